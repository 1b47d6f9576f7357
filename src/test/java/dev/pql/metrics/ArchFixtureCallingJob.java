package dev.pql.metrics;

/** Breaks a package rule on purpose (ArchitectureTest shows the rule catches it): a job calling another stage's job. */
final class ArchFixtureCallingJob {
  Object dailyAggregates(dev.pql.io.DeltaStore store) {
    return dev.pql.features.DailyAggregatesJob.build(store);
  }
}
