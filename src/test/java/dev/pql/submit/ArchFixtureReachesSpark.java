package dev.pql.submit;

/** Breaks a package rule on purpose (ArchitectureTest shows the rule catches it): submit reaching Spark indirectly. */
final class ArchFixtureReachesSpark {
  String warehouse(dev.pql.io.StageContext context) {
    return context.store().warehouse();
  }
}
