package dev.pql.api;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;

import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import dev.pql.ingest.EventNormalizer;
import dev.pql.ingest.LakeEvents;
import java.io.File;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A lake as pql would read it, before anything is ingested: for bringing a lake pql has not seen (the notebook
 * "Bring your own lake", as {@code pql events}). Opening it checks the mapping and configuration as a command does
 * (a wrong key throws {@link dev.pql.PqlException.ConfigurationError} naming its file and key); nothing is written.
 *
 * <pre>{@code
 * Lake lake = Lake.open(spark, "/data/lake", "conf/mappings/segment-warehouse.conf", "my-lake.conf");
 * lake.events().show();          // each event name: rows, accounts, users, first and last day
 * lake.unseenEvents();           // events the configuration names that the lake never has
 * }</pre>
 */
public final class Lake {
  private final SparkSession spark;
  private final Settings settings;

  private Lake(SparkSession spark, Settings settings) {
    this.spark = spark;
    this.settings = settings;
  }

  /**
   * The lake at {@code path} read through a mapping file (null: the configuration's own), with a configuration file
   * on top (null: pql's defaults), as {@code pql events --lake PATH --mapping FILE --config FILE}.
   */
  public static Lake open(SparkSession spark, String path, String mappingFile, String configFile) {
    return new Lake(spark, SettingsLoader.load(configFile == null ? null : new File(configFile),
        mappingFile == null ? null : new File(mappingFile), Map.of("pql.ingest.lake", path)));
  }

  /** The settings in effect: the mapping's columns, the feature configuration's events. */
  public Settings settings() {
    return settings;
  }

  /** Per event name: rows, distinct accounts and users, first and last UTC day; most rows first. */
  public Dataset<Row> events() {
    return LakeEvents.byEvent(LakeEvents.mapped(spark, settings));
  }

  /** The rows the mapping rejects, by reason: how many, and one example's detail. */
  public Dataset<Row> rejected() {
    return LakeEvents.mapped(spark, settings).filter(EventNormalizer.rejectedRow())
        .groupBy(EventNormalizer.REASON)
        .agg(count(lit(1)).as("rows"), first(EventNormalizer.DETAIL, true).as("example_detail"))
        .orderBy(col("rows").desc());
  }

  /**
   * The events the configuration names (key events, logins, invitations, usage limits, hand-raises, activation
   * milestones) that no usable row of the lake has: features of them would always be zero. Event names are few
   * (tens): a short list.
   */
  public List<String> unseenEvents() {
    Set<String> seen = LakeEvents.mapped(spark, settings).filter(col(EventNormalizer.REASON).isNull())
        .select("event").distinct().collectAsList().stream().map(r -> r.getString(0)).collect(Collectors.toSet());
    return settings.features().namedEvents().stream().filter(e -> !seen.contains(e)).toList();
  }
}
