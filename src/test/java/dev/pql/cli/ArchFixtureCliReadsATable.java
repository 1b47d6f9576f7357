package dev.pql.cli;

/** Breaks a package rule on purpose (ArchitectureTest shows the rule catches it): a command reading a table. */
final class ArchFixtureCliReadsATable {
  Object read(dev.pql.io.DeltaStore store) {
    return store.read(dev.pql.io.Tables.EVENTS);
  }
}
