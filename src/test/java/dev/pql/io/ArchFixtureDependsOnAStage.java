package dev.pql.io;

/** Breaks a package rule on purpose (ArchitectureTest shows the rule catches it): io depending on a stage. */
final class ArchFixtureDependsOnAStage {
  java.time.LocalDate end(DeltaStore store) {
    return dev.pql.ingest.EventHistory.dataEnd(store);
  }
}
