package dev.pql.pipeline;

import dev.pql.features.AccountFeatures;
import dev.pql.io.TableContract;
import dev.pql.io.Tables;
import java.util.List;
import java.util.stream.Stream;

/** Every table pql writes: the contracts of io's tables, then account_features from the features stage. */
public final class Contracts {
  private Contracts() {}

  /** The tables BI tools read, served in their own database: the rest are the stages' own. */
  public static final List<String> BI_FACING = List.of(Tables.PQL_LEADS_CURRENT.name(), Tables.PQL_NEW.name(),
      Tables.PQL_SCORES.name(), Tables.PQL_METRICS.name(), Tables.PQL_FUNNEL.name(), Tables.MODEL_RUNS.name(),
      Tables.MODEL_DRIVERS.name(), Tables.DISCOVERED_RULES.name(), Tables.THRESHOLD_CURVES.name(),
      Tables.DEFINITION_BACKTEST.name());

  /** The names of every output table, in the README's order. */
  public static List<String> tableNames() {
    return Stream.concat(Tables.ALL.stream().map(TableContract::name), Stream.of(AccountFeatures.NAME)).toList();
  }

  /** Every contract as Markdown (the README's "Tables" section); account_features with placeholder events. */
  public static String markdown() {
    return Tables.markdown() + "\n" + AccountFeatures.documented().markdown();
  }
}
