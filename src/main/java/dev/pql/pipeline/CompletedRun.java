package dev.pql.pipeline;

import dev.pql.config.Settings;
import dev.pql.io.DeltaStore;
import dev.pql.io.Digests;
import dev.pql.io.Tables;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * What the last run that went through every stage left: the state it ended in — the lake's files as that run found
 * them, the latest version of every table of the warehouse (the run log's aside), the settings that shape the
 * tables, the definition files and pql's own build — and what its summary said. A run that finds the same state has
 * nothing to do: every stage would read what it read and skip, so it skips them all at once, reading no table.
 * Only file listings are needed to tell: the lake's files, each table's log folder.
 */
public record CompletedRun(String state, String runId, String endedAt, String model, String withheld,
    LocalDate latestScored, String report, List<String> warnings, List<String> skippedForData,
    Map<String, String> skips) {
  /** The marker, beside the stages' own under the warehouse. */
  static final String MARKER = "_pql_checkpoints/pipeline-completed";

  /**
   * The lake as this run finds it, listed before any stage reads it: a digest of every source's files (path, length,
   * modification time), or empty when a source is not a file system path that can be listed (then a run is never
   * taken for unchanged).
   */
  static Optional<String> lake(SparkSession spark, Settings settings) {
    Settings.IngestSettings in = settings.ingest();
    List<String> parts = new ArrayList<>();
    for (Settings.SourceTable source : List.of(in.events(), in.accounts(), in.enrichment().source(),
        in.users().source(), in.identities().source())) {
      if (source == null || source.path() == null || source.path().isBlank()) continue;
      Optional<String> files = Digests.files(spark, source.path(), Digests.canonical(source));
      if (files.isEmpty()) return Optional.empty();
      parts.add(files.get());
    }
    Optional<String> definitions = Digests.files(spark, settings.scoring().definitions(), "definitions");
    parts.add(definitions.orElse("no definitions folder"));
    return Optional.of(String.join(" ", parts));
  }

  /**
   * The state a run ends in, or finds: the lake as listed at its start, the settings that shape the tables (not the
   * run id, Spark's own settings or the generator's), pql's build and every table's latest version.
   */
  static String state(SparkSession spark, DeltaStore store, Settings settings, String lake) {
    String shaping = String.join(" ", Digests.canonical(settings.plans()), Digests.canonical(settings.domains()),
        Digests.canonical(settings.ingest()), Digests.canonical(settings.features()),
        Digests.canonical(settings.model()), Digests.canonical(settings.scoring()),
        Digests.canonical(settings.metrics()), Digests.canonical(settings.run()));
    return Digests.text(lake + "\n" + shaping + "\n" + BUILD + "\n" + tableVersions(spark, store));
  }

  /** The previous complete run, when the warehouse, lake and settings are still as it left them. */
  static Optional<CompletedRun> matching(SparkSession spark, DeltaStore store, Settings settings, String lake) {
    Optional<String> marker = store.readText(MARKER);
    if (marker.isEmpty()) return Optional.empty();
    CompletedRun previous;
    try {
      previous = parse(marker.get());
    } catch (RuntimeException e) { // a marker cut short by a crash: not a match
      return Optional.empty();
    }
    return previous.state().equals(state(spark, store, settings, lake)) ? Optional.of(previous) : Optional.empty();
  }

  /** After a run through every stage: the state it leaves and its outcome, for the next run to compare with. */
  static void record(SparkSession spark, DeltaStore store, Settings settings, String lake, String runId,
      Pipeline.Outcome outcome) {
    Properties p = new Properties();
    p.setProperty("state", state(spark, store, settings, lake));
    p.setProperty("run_id", runId);
    p.setProperty("ended_at", java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
    p.setProperty("model", String.valueOf(outcome.modelVersion()));
    p.setProperty("withheld", String.valueOf(outcome.withheld()));
    p.setProperty("latest_scored", String.valueOf(outcome.latestScored()));
    p.setProperty("report", String.valueOf(outcome.report()));
    indexed(p, "warning", outcome.warnings());
    indexed(p, "skipped_for_data", outcome.skipped());
    indexed(p, "skip", outcome.skips().entrySet().stream().map(e -> e.getKey() + "\t" + e.getValue()).toList());
    StringWriter text = new StringWriter();
    try {
      p.store(text, "the last run through every stage (pql run): the state it left and what it said");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    store.writeText(MARKER, text.toString());
  }

  /** The outcome the run that left this state reported. */
  Pipeline.Outcome outcome() {
    return new Pipeline.Outcome(model, latestScored, null, withheld, skippedForData, warnings, report, skips, this);
  }

  static CompletedRun parse(String text) {
    Properties p = new Properties();
    try {
      p.load(new StringReader(text));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> skips = new LinkedHashMap<>();
    for (String s : indexed(p, "skip")) skips.put(s.substring(0, s.indexOf('\t')), s.substring(s.indexOf('\t') + 1));
    String scored = orNull(p, "latest_scored");
    return new CompletedRun(required(p, "state"), required(p, "run_id"), required(p, "ended_at"), orNull(p, "model"),
        orNull(p, "withheld"), scored == null ? null : LocalDate.parse(scored), orNull(p, "report"),
        indexed(p, "warning"), indexed(p, "skipped_for_data"), skips);
  }

  private static void indexed(Properties p, String key, List<String> values) {
    for (int i = 0; i < values.size(); i++) p.setProperty(key + "." + i, values.get(i));
  }

  private static List<String> indexed(Properties p, String key) {
    List<String> values = new ArrayList<>();
    for (int i = 0; p.containsKey(key + "." + i); i++) values.add(p.getProperty(key + "." + i));
    return values;
  }

  private static String required(Properties p, String key) {
    String v = p.getProperty(key);
    if (v == null) throw new IllegalArgumentException("no " + key);
    return v;
  }

  private static String orNull(Properties p, String key) {
    String v = p.getProperty(key);
    return v == null || v.equals("null") ? null : v;
  }

  /**
   * The latest committed version of every Delta table under the warehouse, from its log folder's listing (no
   * table is read); the run log, which every run writes, aside.
   */
  static String tableVersions(SparkSession spark, DeltaStore store) {
    Map<String, Long> versions = new TreeMap<>();
    try {
      Path root = new Path(store.root());
      FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(root)) return "{}";
      for (FileStatus table : fs.listStatus(root)) {
        String name = table.getPath().getName();
        Path log = new Path(table.getPath(), "_delta_log");
        if (!table.isDirectory() || name.equals(Tables.PIPELINE_RUNS.name()) || !fs.exists(log)) continue;
        long latest = -1;
        for (FileStatus f : fs.listStatus(log)) {
          String file = f.getPath().getName();
          if (file.matches("[0-9]{20}\\.json")) latest = Math.max(latest, Long.parseLong(file.substring(0, 20)));
        }
        versions.put(name, latest);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Listing the tables of " + store.warehouse() + " failed", e);
    }
    return versions.toString();
  }

  /**
   * pql's own build, read once: the classes this JVM runs are those of the build it found when it first looked (a
   * class folder walked once per run rather than at both ends of it).
   */
  private static final String BUILD = build();

  /**
   * pql's own build: its version and the jar (or class folder) it runs from, with its size and time, so that a
   * run after an upgrade is never taken for a run with nothing to do.
   */
  static String build() {
    java.security.CodeSource source = CompletedRun.class.getProtectionDomain().getCodeSource();
    String version = String.valueOf(CompletedRun.class.getPackage().getImplementationVersion());
    if (source == null || source.getLocation() == null) return version;
    try {
      java.nio.file.Path where = java.nio.file.Path.of(source.getLocation().toURI());
      if (!java.nio.file.Files.isDirectory(where)) {
        return version + " " + where + " " + java.nio.file.Files.size(where) + " "
            + java.nio.file.Files.getLastModifiedTime(where).toMillis();
      }
      // A class folder (a development build): its newest file and how many there are.
      try (var files = java.nio.file.Files.walk(where)) {
        java.util.LongSummaryStatistics times = files.filter(java.nio.file.Files::isRegularFile)
            .mapToLong(f -> f.toFile().lastModified()).summaryStatistics();
        return version + " " + where + " " + times.getCount() + " " + times.getMax();
      }
    } catch (Exception e) { // not a local file (a jar a cluster fetched by URL): its location names the build
      return version + " " + source.getLocation();
    }
  }
}
