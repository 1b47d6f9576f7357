package dev.pql.scoring;

/** Breaks a package rule on purpose (ArchitectureTest shows the rule catches it): a stage depending on pipeline. */
final class ArchFixtureDependsOnPipeline {
  int stages() {
    return dev.pql.pipeline.Pipeline.STAGES + dev.pql.pipeline.Contracts.tableNames().size();
  }
}
