package dev.pql.bench;

import static org.apache.spark.sql.functions.max;

import dev.pql.PqlException.NotEnoughData;
import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import dev.pql.features.FeaturesJob;
import dev.pql.features.SnapshotDates;
import dev.pql.generate.LakeGenerator;
import dev.pql.ingest.IngestJob;
import dev.pql.io.DeltaStore;
import dev.pql.io.RunLog;
import dev.pql.io.StageContext;
import dev.pql.io.SparkSessions;
import dev.pql.io.Tables;
import dev.pql.model.TrainJob;
import dev.pql.scoring.ScoreJob;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * The benchmark: for each lake size, generates (or reuses) a lake, ingests it, and times pql's feature build for one
 * snapshot and for a backfill of weekly snapshots, the training and the scoring — wall time inside the process
 * (Spark already started), events per second and the peak heap of each stage. Prints one table and appends it to the
 * results file. Timings are printed, never asserted.
 *
 * <p>{@code bench/run [--events 1000000,10000000] [--snapshots 26] [--days 182] [--dir bench/work]
 * [--results bench/RESULTS.md] [--master local[*]] [--stages ingest,features,train]
 * [--event-log DIR]}: without {@code ingest} in {@code --stages}
 * the events of an earlier run are reused; without {@code train}, training and scoring are skipped.
 */
public final class Bench {
  private Bench() {}

  /** Events per generated account over 182 days, from the generator's default product (measured: 4.3M / 1,501). */
  static final long EVENTS_PER_ACCOUNT = 2_900;
  static final int DAYS = 182;
  /** The tables the feature build writes, deleted before each timed build so that each builds from scratch. */
  private static final List<String> FEATURE_TABLES =
      List.of("account_daily", "account_user_daily", "account_event_user_daily", "account_features",
          "feature_catalog");
  /** The tables ingest writes: a run without the ingest stage keeps these and deletes everything else. */
  private static final Set<String> INGESTED = Set.of(Tables.EVENTS.name(), Tables.EVENTS_REJECTED.name(),
      Tables.ACCOUNTS.name(), Tables.CONVERSIONS.name(), Tables.PIPELINE_RUNS.name());

  /** One measured stage. */
  record Measure(long events, String stage, double seconds, double referenceSeconds, long peakHeapBytes, String note) {
    double eventsPerSecond() {
      return seconds <= 0 ? Double.NaN : events / seconds;
    }

    /** The same work done by another engine (DuckDB, scikit-learn), named in the note. */
    Measure withReference(double referenceSeconds, String comparison) {
      return new Measure(events, stage, seconds, referenceSeconds, peakHeapBytes, comparison);
    }

    Measure withNote(String note) {
      return new Measure(events, stage, seconds, referenceSeconds, peakHeapBytes, note);
    }
  }

  public static void main(String[] args) throws IOException {
    Map<String, String> options = options(args);
    List<Long> sizes = new ArrayList<>();
    for (String s : options.getOrDefault("events", "1000000,10000000").split(",")) sizes.add(Long.parseLong(s.trim()));
    List<Measure> measures = run(sizes, Integer.parseInt(options.getOrDefault("snapshots", "26")),
        Integer.parseInt(options.getOrDefault("days", String.valueOf(DAYS))),
        Path.of(options.getOrDefault("dir", "bench/work")), options.getOrDefault("master", "local[*]"),
        Set.of(options.getOrDefault("stages", "ingest,features,train").split(",")),
        options.containsKey("event-log") ? Path.of(options.get("event-log")).toAbsolutePath() : null,
        conf(options.getOrDefault("conf", "")));
    String table = table(measures);
    System.out.print(table);
    append(Path.of(options.getOrDefault("results", "bench/RESULTS.md")), table);
  }

  static List<Measure> run(List<Long> sizes, int snapshots, int days, Path dir, String master, Set<String> stages,
      Path eventLog, Map<String, String> conf) throws IOException {
    List<Measure> measures = new ArrayList<>();
    for (long size : sizes) measures.addAll(runSize(size, snapshots, days, dir, master, stages, eventLog, conf));
    return measures;
  }

  /** --conf "key=value;key=value": configuration overrides, e.g. other feature windows. */
  private static Map<String, String> conf(String pairs) {
    Map<String, String> conf = new LinkedHashMap<>();
    for (String pair : pairs.split(";")) {
      if (pair.isBlank()) continue;
      int eq = pair.indexOf('=');
      if (eq < 1) throw new IllegalArgumentException("--conf expects key=value pairs separated by ';', found " + pair);
      conf.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
    }
    return conf;
  }

  private static List<Measure> runSize(long size, int snapshots, int days, Path dir, String master,
      Set<String> stages, Path eventLog, Map<String, String> conf) throws IOException {
    Path lake = dir.resolve("lake-" + size).toAbsolutePath();
    Path warehouse = dir.resolve("warehouse-" + size).toAbsolutePath();
    // Without the ingest stage, the events ingested by an earlier run are reused (only what is derived from them
    // is deleted), so the feature build can be measured again without ingesting again.
    boolean reuse = !stages.contains("ingest") && Files.isDirectory(warehouse.resolve("events").resolve("_delta_log"));
    if (reuse) {
      try (java.util.stream.Stream<Path> tables = Files.list(warehouse)) {
        for (Path t : tables.filter(t -> !INGESTED.contains(t.getFileName().toString())).toList()) {
          deleteRecursively(t);
        }
      }
    } else {
      deleteRecursively(warehouse);
    }
    long accounts = Math.max(20, size * DAYS / days / EVENTS_PER_ACCOUNT);
    Map<String, String> overrides = new LinkedHashMap<>();
    overrides.put("pql.warehouse", warehouse.toString());
    overrides.put("pql.generate.output", lake.toString());
    overrides.put("pql.ingest.lake", lake.toString());
    overrides.put("pql.generate.accounts", String.valueOf(accounts));
    overrides.put("pql.generate.days", String.valueOf(days));
    overrides.put("pql.spark.master", master);
    overrides.put("pql.spark.conf.spark.ui.enabled", "false");
    // --event-log DIR keeps Spark's event log of the run (its SQL plans and stage times), for profiling.
    if (eventLog != null) {
      Files.createDirectories(eventLog);
      overrides.put("pql.spark.conf.spark.eventLog.enabled", "true");
      overrides.put("pql.spark.conf.spark.eventLog.dir", eventLog.toUri().toString());
    }
    overrides.putAll(conf);
    Settings settings = SettingsLoader.load(null, null, overrides);
    SparkSession spark = SparkSessions.create(settings.spark());
    List<Measure> out = new ArrayList<>();
    try {
      DeltaStore store = new DeltaStore(spark, warehouse.toString());
      StageContext context = new StageContext(spark, store, new RunLog(spark, store, "bench-" + size, "bench"),
          Instant.now());
      if (!Files.isDirectory(lake.resolve("generic").resolve("events"))) {
        LakeGenerator.Summary[] s = new LakeGenerator.Summary[1];
        Measure generated = timed(0, "generate the lake", () -> s[0] = LakeGenerator.generate(spark,
            settings.generate(), settings.domains()));
        System.out.printf("bench: generated %,d source event rows for %,d accounts at %s%n", s[0].get("source_rows"),
            s[0].get("accounts"), lake);
        out.add(new Measure(s[0].get("source_rows"), generated.stage(), generated.seconds(), Double.NaN,
            generated.peakHeapBytes(), String.format("%,d accounts", s[0].get("accounts"))));
      }
      if (stages.contains("daily")) {
        out.addAll(DailyRun.measure(spark, size, lake, dir, overrides));
        if (stages.equals(Set.of("daily"))) return out;
      }
      long events;
      if (reuse) {
        events = store.read(Tables.EVENTS).count();
        System.out.printf("bench: reusing the %,d events ingested at %s%n", events, warehouse);
      } else {
        IngestJob.Result[] ingest = new IngestJob.Result[1];
        Measure ingested = timed(0, "ingest", () -> ingest[0] = IngestJob.run(context, settings));
        events = ingest[0].eventsWritten();
        out.add(againstDuckDbIngest(new Measure(events, ingested.stage(), ingested.seconds(), Double.NaN,
            ingested.peakHeapBytes(), ""), ingest[0], settings, context.start(), lake,
            dir.resolve("duckdb-ingest-" + size).toAbsolutePath()));
      }
      LocalDate dataEnd = store.read(Tables.EVENTS).agg(max("event_date")).first().getDate(0).toLocalDate()
          .plusDays(1);
      List<LocalDate> mondays = SnapshotDates.between(dataEnd.minusWeeks(snapshots).plusDays(1), dataEnd, true,
          DayOfWeek.MONDAY);
      LocalDate last = mondays.get(mondays.size() - 1);

      FeaturesJob.Result[] built = new FeaturesJob.Result[1];
      Measure one = timed(events, "features, 1 snapshot", () -> built[0] = FeaturesJob.run(context,
          settings.features(), settings.domains(), List.of(last)));
      Measure compared = againstDuckDb(one, spark, settings, store, dir.resolve("accounts-" + size).toAbsolutePath(),
          last);
      out.add(compared.withNote(compared.note() + "; " + built[0].width()));
      for (String t : FEATURE_TABLES) deleteRecursively(warehouse.resolve(t));
      Measure many = timed(events, "features, " + mondays.size() + " snapshots", () -> built[0] = FeaturesJob.run(
          context, settings.features(), settings.domains(), mondays));
      out.add(many.withNote(built[0].width().toString()));
      if (!stages.contains("train")) return out;
      try {
        Measure train = timed(events, "train", () -> TrainJob.run(context, settings.model(), settings.features(),
            settings.domains(), settings.plans().free(), List.of()));
        out.addAll(againstScikitLearn(train, spark, settings, store, context.runId(),
            dir.resolve("matrix-" + size).toAbsolutePath()));
        out.add(timed(events, "score, 1 snapshot", () -> ScoreJob.run(context, settings, List.of(last))));
      } catch (NotEnoughData e) {
        out.add(new Measure(events, "train", Double.NaN, Double.NaN, 0, "skipped: " + e.getMessage()));
      }
    } finally {
      spark.stop();
    }
    return out;
  }

  /**
   * Runs one stage and measures its wall time and the peak heap in use while it ran (sampled every 20 ms, so it
   * never exceeds the maximum heap; garbage not yet collected included).
   */
  static Measure timed(long events, String stage, Supplier<?> work) {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    AtomicLong peak = new AtomicLong(memory.getHeapMemoryUsage().getUsed());
    AtomicBoolean running = new AtomicBoolean(true);
    Thread sampler = new Thread(() -> {
      while (running.get()) {
        peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "bench-heap-sampler");
    sampler.setDaemon(true);
    sampler.start();
    long t0 = System.nanoTime();
    try {
      work.get();
    } finally {
      running.set(false);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("bench: %s: %.1f s%n", stage, seconds);
    return new Measure(events, stage, seconds, Double.NaN, peak.get(), "");
  }

  /**
   * The same ingest in DuckDB: the generic layout's event files read, checked, deduplicated and written as Parquet
   * (DuckDbIngest), its counts compared with pql's: rows read, written, rejected and duplicated.
   */
  private static Measure againstDuckDbIngest(Measure pql, IngestJob.Result r, Settings settings, Instant start,
      Path lake, Path out) {
    try {
      deleteRecursively(out);
      Files.createDirectories(out);
      DuckDbIngest.Outcome duck = DuckDbIngest.run(lake.resolve("generic").resolve("events"), out,
          settings.ingest().earliestTimestamp(), start.plus(settings.ingest().futureTolerance()),
          settings.ingest().keptProperties());
      deleteRecursively(out);
      boolean same = duck.read() == r.eventRowsRead() && duck.written() == r.eventsWritten()
          && duck.rejected() == r.eventsRejected() && duck.duplicates() == r.eventsDuplicate();
      String counts = String.format("%,d rows read: %,d written, %,d rejected, %,d duplicates", r.eventRowsRead(),
          r.eventsWritten(), r.eventsRejected(), r.eventsDuplicate());
      String note = same ? "DuckDB; the same " + counts : String.format("DuckDB; DIFFERENT: pql %s, DuckDB %,d read: "
          + "%,d written, %,d rejected, %,d duplicates", counts, duck.read(), duck.written(), duck.rejected(),
          duck.duplicates());
      System.out.printf("bench: DuckDB ingest: %.1f s; %s%n", duck.seconds(), note);
      return pql.withReference(duck.seconds(), note);
    } catch (java.sql.SQLException | IOException e) {
      throw new IllegalStateException("DuckDB side of the ingest benchmark failed: " + e.getMessage(), e);
    }
  }

  /**
   * The same snapshot in DuckDB over the same Parquet files (the events table's; the account states written out as
   * Parquet first, untimed), compared with pql's on every account before the times are put side by side.
   */
  private static Measure againstDuckDb(Measure pql, SparkSession spark, Settings settings, DeltaStore store,
      Path accountStates, LocalDate asOf) {
    try {
      store.read(Tables.ACCOUNTS).write().mode("overwrite").parquet(accountStates.toString());
      Map<String, String> keyEvents = new java.util.TreeMap<>();
      // The catalog holds a few tens of event names.
      store.read(Tables.FEATURE_CATALOG).collectAsList()
          .forEach(r -> keyEvents.put(r.getAs("event"), r.getAs("feature_name")));
      String sql = DuckDbSnapshot.sql(Path.of("bench/duckdb/snapshot.sql"), settings, keyEvents, asOf);
      DuckDbSnapshot.Outcome duck = DuckDbSnapshot.runAndCompare(sql, Path.of(java.net.URI.create(
              store.path(Tables.EVENTS))), accountStates,
          Path.of(java.net.URI.create(store.location(dev.pql.features.AccountFeatures.NAME + "/as_of_date=" + asOf))));
      System.out.printf("bench: DuckDB snapshot: %.1f s; %,d accounts, %,d differ %s%n", duck.seconds(),
          duck.accounts(), duck.differing(), duck.example());
      return pql.withReference(duck.seconds(), duck.differing() == 0
          ? String.format("DuckDB; same %,d accounts in both", duck.accounts())
          : String.format("DuckDB; DIFFERENT on %,d of %,d accounts: %s", duck.differing(), duck.accounts(),
              duck.example()));
    } catch (IOException | java.sql.SQLException e) {
      throw new IllegalStateException("DuckDB side of the benchmark failed: " + e.getMessage(), e);
    }
  }

  /**
   * The training matrix of the model just trained, fitted along the same regularization path by scikit-learn
   * (bench/sklearn_fit.py, Debian's python3-sklearn): its time beside the train stage's fit (train.fit in
   * pipeline_runs: preparation, path and refit) and beside the whole stage.
   */
  private static List<Measure> againstScikitLearn(Measure train, SparkSession spark, Settings settings,
      DeltaStore store, String runId, Path matrix) {
    long[] shape = dev.pql.model.TrainingMatrixExport.write(spark, store, settings, matrix.toUri().toString());
    Path csv;
    try (java.util.stream.Stream<Path> files = Files.list(matrix)) {
      csv = files.filter(f -> f.getFileName().toString().endsWith(".csv")).findFirst().orElseThrow();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    Map<String, String> sklearn = SklearnFit.run(csv, settings.model());
    double fitSeconds = Double.parseDouble(sklearn.get("fit_seconds"));
    Row fit = store.read(Tables.PIPELINE_RUNS).filter(functions.col("run_id").equalTo(runId)
        .and(functions.col("stage").equalTo("train.fit"))).orderBy(functions.col("started_at").desc()).first();
    double pqlFit = (fit.<java.sql.Timestamp>getAs("ended_at").getTime()
        - fit.<java.sql.Timestamp>getAs("started_at").getTime()) / 1000.0;
    String what = String.format("scikit-learn %s (%s), the same path and refit on the same %,d x %d matrix",
        sklearn.get("version"), sklearn.get("solver"), shape[0], shape[1]);
    System.out.printf("bench: scikit-learn fit: %.2f s (loading the CSV: %s s); pql train.fit %.1f s%n",
        fitSeconds, sklearn.get("load_seconds"), pqlFit);
    return List.of(new Measure(train.events(), "train: fit (path and refit)", pqlFit, Double.NaN, 0, "")
            .withReference(fitSeconds, what),
        train.withReference(fitSeconds, "whole stage against " + what));
  }

  static String table(List<Measure> measures) {
    StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
        "%n%s, %d cores, %.1f GiB max heap%n%n| events | stage | pql time (s) | reference time (s) | pql / reference "
            + "| pql events/s | peak heap (MiB) | note |%n| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |%n", LocalDate.now(ZoneOffset.UTC),
        Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() / (1024.0 * 1024 * 1024)));
    for (Measure m : measures) {
      out.append(String.format(Locale.ROOT, "| %,d | %s | %s | %s | %s | %s | %s | %s |%n", m.events(), m.stage(),
          Double.isNaN(m.seconds()) ? "-" : String.format(Locale.ROOT, "%.1f", m.seconds()),
          Double.isNaN(m.referenceSeconds()) ? "-" : String.format(Locale.ROOT, "%.2f", m.referenceSeconds()),
          Double.isNaN(m.referenceSeconds()) ? "-" : String.format(Locale.ROOT, "%.1f",
              m.seconds() / m.referenceSeconds()),
          Double.isNaN(m.eventsPerSecond()) ? "-" : String.format(Locale.ROOT, "%,.0f", m.eventsPerSecond()),
          m.peakHeapBytes() == 0 ? "-" : String.valueOf(m.peakHeapBytes() / (1024 * 1024)), m.note()));
    }
    return out.toString();
  }

  static void append(Path results, String table) throws IOException {
    if (results.getParent() != null) Files.createDirectories(results.getParent());
    Files.writeString(results, table, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) throw new IllegalArgumentException("expected --option value, found " + args[i]);
      options.put(args[i].substring(2), args[i + 1]);
    }
    return options;
  }

  static void deleteRecursively(Path p) throws IOException {
    if (Files.exists(p)) org.apache.commons.io.FileUtils.deleteDirectory(p.toFile());
  }
}
