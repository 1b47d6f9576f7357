package dev.pql.model;

/** Breaks a package rule on purpose (ArchitectureTest shows the rule catches it): a stage depending on cli. */
final class ArchFixtureDependsOnCli {
  int run() {
    return dev.pql.cli.Main.execute("tables");
  }
}
