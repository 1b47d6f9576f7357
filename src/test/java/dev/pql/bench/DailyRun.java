package dev.pql.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.to_date;

import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import dev.pql.io.DeltaStore;
import dev.pql.io.RunLog;
import dev.pql.io.StageContext;
import dev.pql.io.Tables;
import dev.pql.pipeline.Pipeline;
import dev.pql.pipeline.StageRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * What a daily run costs (bench/run --stages daily): a generated lake is split at its last day; the run on the
 * history before it sets the warehouse up, then the last day arrives as new files and {@code run} is timed, beside
 * a {@code run} on a lake holding only that day. Reading only the new files and looking duplicates up in the days
 * they cover is what keeps the first close to the second.
 */
final class DailyRun {
  private DailyRun() {}

  static List<Bench.Measure> measure(SparkSession spark, long size, Path lake, Path dir,
      Map<String, String> overrides) throws IOException {
    Path work = dir.resolve("daily-" + size).toAbsolutePath();
    Bench.deleteRecursively(work);
    List<Bench.Measure> out = new ArrayList<>();
    long newDayRows = split(spark, lake, work);
    Bench.Measure whole = run(spark, overrides, work.resolve("lake"), work.resolve("warehouse"), "daily-setup",
        "run, history before the last day (setup)", 0);
    out.add(whole);
    out.addAll(stages(spark, work.resolve("warehouse"), "daily-setup", "setup", whole.events()));
    // The last day's files arrive beside the history's, under names of their own.
    try (var files = Files.list(work.resolve("new-day"))) {
      for (Path f : files.filter(p -> p.getFileName().toString().startsWith("part-")).toList()) {
        Files.move(f, work.resolve("lake/generic/events/day-" + f.getFileName()));
      }
    }
    Bench.Measure daily = run(spark, overrides, work.resolve("lake"), work.resolve("warehouse"), "daily-next",
        "run after one new day", newDayRows);
    Bench.Measure alone = run(spark, overrides, work.resolve("only"), work.resolve("warehouse-only"), "daily-only",
        "run, a lake of that day alone", newDayRows);
    out.add(daily.withReference(alone.seconds(), String.format("against a run on a lake holding only that day "
        + "(%,d events of the day; the history %,d)", newDayRows, whole.events())));
    out.add(alone);
    out.addAll(stages(spark, work.resolve("warehouse"), "daily-next", "new day", newDayRows));
    return out;
  }

  /**
   * Where a run's time went: each pipeline stage that ran, from the run's own rows in pipeline_runs (start to end;
   * the stages within a stage are not repeated), with the events the run covered.
   */
  private static List<Bench.Measure> stages(SparkSession spark, Path warehouse, String runId, String label,
      long events) {
    List<Bench.Measure> out = new ArrayList<>();
    for (Row r : new DeltaStore(spark, warehouse.toString()).read(Tables.PIPELINE_RUNS)
        .filter(col("run_id").equalTo(runId).and(col("status").equalTo("succeeded"))
            .and(col("stage").contains(".").unary_$bang()))
        .select(col("stage"), col("ended_at").cast("double").minus(col("started_at").cast("double")))
        .orderBy("started_at").collectAsList()) {
      out.add(new Bench.Measure(events, label + ": " + r.getString(0), r.getDouble(1), Double.NaN, 0, ""));
    }
    return out;
  }

  /**
   * Writes the history (every event row before the lake's last day, the faulty ones included) and the last day's
   * rows apart, and the account table beside each: the history under work/lake, the day under work/new-day and
   * again, with the accounts, under work/only. Returns the last day's rows.
   */
  private static long split(SparkSession spark, Path lake, Path work) {
    Dataset<Row> events = spark.read().parquet(lake.resolve("generic/events").toString());
    Column day = to_date(col("ts"));
    // The last day of real data: rows dated in 2100 are the generator's out-of-range faults.
    LocalDate last = events.filter(col("ts").lt(lit(java.sql.Timestamp.valueOf("2099-01-01 00:00:00"))))
        .agg(max(day)).first().getDate(0).toLocalDate();
    Column onLast = day.equalTo(lit(java.sql.Date.valueOf(last)));
    Dataset<Row> newDay = events.filter(onLast);
    events.filter(onLast.isNull().or(onLast.unary_$bang())).write().mode(SaveMode.Overwrite)
        .parquet(work.resolve("lake/generic/events").toString());
    newDay.coalesce(2).write().mode(SaveMode.Overwrite).parquet(work.resolve("new-day").toString());
    newDay.coalesce(2).write().mode(SaveMode.Overwrite).parquet(work.resolve("only/generic/events").toString());
    Dataset<Row> accounts = spark.read().parquet(lake.resolve("generic/accounts").toString());
    accounts.write().mode(SaveMode.Overwrite).parquet(work.resolve("lake/generic/accounts").toString());
    accounts.write().mode(SaveMode.Overwrite).parquet(work.resolve("only/generic/accounts").toString());
    return newDay.count();
  }

  /** One pipeline run, as `jobs/pql run` makes it, timed. */
  private static Bench.Measure run(SparkSession spark, Map<String, String> overrides, Path lake, Path warehouse,
      String runId, String stage, long events) {
    Map<String, String> o = new java.util.HashMap<>(overrides);
    o.put("pql.ingest.lake", lake.toString());
    o.put("pql.warehouse", warehouse.toString());
    Settings settings = SettingsLoader.load(null, null, o);
    DeltaStore store = new DeltaStore(spark, warehouse.toString());
    StageContext context = new StageContext(spark, store, new RunLog(spark, store, runId, "run"), Instant.now());
    Bench.Measure m = Bench.timed(events, stage, () -> Pipeline.run(StageRunner.forPipeline(context,
        Pipeline.STAGES), settings, null));
    return events > 0 ? m : new Bench.Measure(store.read(Tables.EVENTS).count(), m.stage(), m.seconds(),
        Double.NaN, m.peakHeapBytes(), "");
  }
}
