package dev.pql;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.to_date;

import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import dev.pql.features.DailyAggregates;
import dev.pql.features.FeatureNames;
import dev.pql.features.Firmographics;
import dev.pql.features.PointInTimeFeatures;
import java.io.File;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** The hand-made lake of src/test/resources/golden/features: its events, accounts, configuration and snapshots. */
public final class GoldenLake {
  private GoldenLake() {}

  public static File file(String name) {
    return new File(GoldenLake.class.getResource("/golden/features/" + name).getFile());
  }

  public static Settings settings() {
    return SettingsLoader.load(file("features.conf"), null, Map.of("pql.warehouse", "unused"));
  }

  public static Dataset<Row> events(SparkSession spark) {
    return spark.read().option("header", "true")
        .schema("account_id STRING, user_id STRING, event STRING, ts TIMESTAMP")
        .csv(file("events.csv").getPath())
        .withColumn("event_date", to_date(col("ts")))
        .withColumn("ingested_at", lit(java.sql.Timestamp.valueOf("2026-03-20 00:00:00")));
  }

  public static Dataset<Row> accounts(SparkSession spark) {
    return spark.read().option("header", "true")
        .schema("account_id STRING, valid_from TIMESTAMP, valid_to TIMESTAMP, signup_at TIMESTAMP, plan STRING, "
            + "email_domain STRING, employees INT, industry STRING, country STRING, timezone STRING")
        .csv(file("accounts.csv").getPath());
  }

  /** Snapshots of these events and account states on the dates, classified as the features stage does. */
  public static Dataset<Row> snapshots(Settings settings, Dataset<Row> events, Dataset<Row> accounts,
      List<LocalDate> dates) {
    Settings.FeatureSettings f = settings.features();
    Dataset<Row> timezones = DailyAggregates.timezones(accounts);
    Dataset<Row> perUser = DailyAggregates.perUser(events, timezones, DailyAggregates.zoneIds(timezones));
    Dataset<Row> snapshots = PointInTimeFeatures.snapshots(DailyAggregates.accountDaily(perUser),
        DailyAggregates.accountUserDaily(perUser), DailyAggregates.accountEventUserDaily(perUser), accounts, dates,
        PointInTimeFeatures.Spec.of(f, FeatureNames.snakeNames(f.keyEvents())));
    return Firmographics.classify(snapshots, settings.domains().webmail(), settings.domains().enterprise(),
        new Firmographics.SizeBands(f.sizeMidFrom(), f.sizeLargeFrom()));
  }
}
