package dev.pql.options;

import picocli.CommandLine.Command;

@Command(name = "backtest",
    description = "Replay the active definitions, the latest model's discovered rules and its learned definition on "
    + "the stored snapshots: write definition_backtest.")
public final class BacktestOptions extends CommandOptions {}
