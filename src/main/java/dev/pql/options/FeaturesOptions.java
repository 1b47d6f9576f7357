package dev.pql.options;

import java.time.LocalDate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "features",
    description = "Bring account_daily and account_user_daily up to date with the ingested events, then write "
    + "point-in-time account_features snapshots (one partition per as-of date).")
public final class FeaturesOptions extends CommandOptions {
  @Option(names = "--as-of", paramLabel = "DATE", description = "One snapshot date (default: today, UTC).")
  public LocalDate asOf;

  @Option(names = "--from", paramLabel = "DATE",
      description = "First date of a backfill range; with --to, snapshots on pql.features.cadence dates.")
  public LocalDate from;

  @Option(names = "--to", paramLabel = "DATE", description = "Last date of a backfill range.")
  public LocalDate to;
}
