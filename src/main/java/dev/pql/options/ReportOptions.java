package dev.pql.options;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "report",
    description = "Write a run's HTML report under the warehouse (reports/RUN.html), one self-contained page that "
    + "opens offline: the latest model's drivers with intervals and stability, threshold curves, gains and "
    + "calibration, PQLs and their conversion per week by definition, the cohorts' incidence of reaching PQL, the "
    + "run's data quality and stage times. run and demo write it too.")
public final class ReportOptions extends CommandOptions {
  @Option(names = "--of-run", paramLabel = "ID", description = "The run whose data quality and stage times it shows "
      + "(default: the latest run or demo in pipeline_runs).")
  public String ofRun;
}
