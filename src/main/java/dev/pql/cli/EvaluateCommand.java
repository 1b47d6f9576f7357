package dev.pql.cli;

import dev.pql.PqlException.ConfigurationError;
import dev.pql.config.Settings;
import dev.pql.definitions.Definition;
import dev.pql.definitions.DefinitionParser;
import dev.pql.io.StageContext;
import dev.pql.metrics.EvaluateJob;
import dev.pql.options.EvaluateOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

final class EvaluateCommand extends SparkCommand<EvaluateOptions> {
  EvaluateCommand() {
    super(new EvaluateOptions());
  }

  @Override
  int run(Settings settings, StageContext context) {
    EvaluateJob.Result r = EvaluateJob.run(context, settings, definition(), options.from, options.to);
    System.out.print(switch (options.format) {
      case table -> Report.evaluate(r);
      case json -> Report.evaluateJson(r);
      case csv -> Report.evaluateCsv(r);
    });
    return 0;
  }

  private Definition definition() {
    if (options.candidate.rule != null) return Definition.candidate(options.candidate.rule, options.withinDays);
    Path file = options.candidate.definition;
    try {
      return DefinitionParser.parse(Files.readString(file), file.toString());
    } catch (IOException e) {
      throw new ConfigurationError("Cannot read definition file " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  boolean writesWarehouse() {
    return false;
  }
}
