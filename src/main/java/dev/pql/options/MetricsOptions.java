package dev.pql.options;

import picocli.CommandLine.Command;

@Command(name = "metrics",
    description = "Recompute pql_metrics (PQLs, PQL rate, cohort share, conversion of PQLs and non-PQLs, time to "
    + "PQL per week, month, definition and segment) from the scoring history, and print the latest complete "
    + "week.")
public final class MetricsOptions extends CommandOptions {}
