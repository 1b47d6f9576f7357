package dev.pql.io;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records each stage of a run in {@code pipeline_runs}: a row when the stage starts (running), replaced when it
 * ends (succeeded, failed or skipped), keyed by (run_id, stage) so that a rerun of the same run id overwrites
 * rather than adds. A run that dies leaves its stage running until a later run marks it abandoned.
 */
public final class RunLog {
  private static final Logger LOG = LoggerFactory.getLogger(RunLog.class);

  private final SparkSession spark;
  private final DeltaStore store;
  private final String runId;
  private final String command;
  private final List<StageResult> results = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

  public RunLog(SparkSession spark, DeltaStore store, String runId, String command) {
    this.spark = spark;
    this.store = store;
    this.runId = runId;
    this.command = command;
  }

  public String runId() {
    return runId;
  }

  /** What a stage read and wrote. */
  public record StageCounts(long rowsIn, long rowsOut, long rowsRejected, long rowsDuplicate, long rowsHeld) {
    public static final StageCounts NONE = new StageCounts(0, 0, 0, 0);

    /** A stage that holds no row for a later run. */
    public StageCounts(long rowsIn, long rowsOut, long rowsRejected, long rowsDuplicate) {
      this(rowsIn, rowsOut, rowsRejected, rowsDuplicate, 0);
    }
  }

  /** A finished stage: its counts, how long it took and how evenly its busiest Spark stage shared the work. */
  public record StageResult(String stage, StageCounts counts, long millis, TaskBalance.Balance balance) {}

  /** Runs one stage, recording its counts or its failure; a failure is rethrown after it is recorded. */
  public <T> T stage(String stage, Supplier<T> work, Function<T, StageCounts> counted) {
    return inJobGroup(stage, () -> recorded(stage, work, counted));
  }

  /**
   * Runs work with its Spark jobs in the job group "pql STAGE", so the Spark UI and history server name the stage
   * that ran them; the group before (an enclosing stage's) is restored after.
   */
  public <T> T inJobGroup(String stage, Supplier<T> work) {
    org.apache.spark.SparkContext sc = spark.sparkContext();
    String group = sc.getLocalProperty(JOB_GROUP);
    String description = sc.getLocalProperty(JOB_DESCRIPTION);
    sc.setJobGroup("pql " + stage, "pql " + stage + " (run " + runId + ")", false);
    try {
      return work.get();
    } finally {
      sc.setLocalProperty(JOB_GROUP, group);
      sc.setLocalProperty(JOB_DESCRIPTION, description);
    }
  }

  private static final String JOB_GROUP = "spark.jobGroup.id";

  /**
   * How many stages are open, and the rows of the stages within them not yet written: a stage within a stage
   * (train.fit within train) is written with the enclosing stage's row, in one commit to pipeline_runs instead
   * of one each (a Delta commit costs about a second on a laptop, more than most substages).
   */
  private final java.util.concurrent.atomic.AtomicInteger depth = new java.util.concurrent.atomic.AtomicInteger();
  private final List<Row> pending = new java.util.ArrayList<>();
  private static final String JOB_DESCRIPTION = "spark.job.description";

  private <T> T recorded(String stage, Supplier<T> work, Function<T, StageCounts> counted) {
    Instant start = Instant.now();
    LOG.info("run {}: stage {} started", runId, stage);
    TaskBalance watch = TaskBalance.watch(spark.sparkContext(), "pql " + stage);
    T outcome;
    StageCounts counts;
    // A stage's start is on record before its work, so a run that dies leaves a trace a later run can mark
    // abandoned; a stage within a stage is recorded with the enclosing one.
    if (depth.get() == 0) write(stage, start, start, StageCounts.NONE, RUNNING, null, TaskBalance.Balance.NONE);
    depth.incrementAndGet();
    try {
      outcome = work.get();
      counts = counted.apply(outcome);
    } catch (RuntimeException e) {
      depth.decrementAndGet();
      try {
        write(stage, start, Instant.now(), StageCounts.NONE, "failed", String.valueOf(e.getMessage()),
            watch.stop(spark.sparkContext()));
      } catch (RuntimeException logFailure) {
        e.addSuppressed(logFailure);
      }
      throw e;
    }
    depth.decrementAndGet();
    Instant end = Instant.now();
    TaskBalance.Balance balance = watch.stop(spark.sparkContext());
    write(stage, start, end, counts, "succeeded", null, balance);
    LOG.info("run {}: stage {} succeeded: {}; busiest Spark stage {}", runId, stage, counts, balance);
    results.add(new StageResult(stage, counts, end.toEpochMilli() - start.toEpochMilli(), balance));
    return outcome;
  }

  /** Records a stage that had nothing to do or could not run yet, with the reason (status skipped). */
  public void skipped(String stage, String reason) {
    Instant now = Instant.now();
    LOG.info("run {}: stage {} skipped: {}", runId, stage, reason);
    write(stage, now, now, StageCounts.NONE, "skipped", reason, TaskBalance.Balance.NONE);
    results.add(new StageResult(stage, StageCounts.NONE, 0, TaskBalance.Balance.NONE));
  }

  /** Runs work whose stage rows (skipped stages, say) go to the run log in one commit, at its end. */
  public void together(Runnable work) {
    depth.incrementAndGet();
    try {
      work.run();
    } finally {
      depth.decrementAndGet();
    }
    synchronized (pending) {
      if (!pending.isEmpty()) flush();
    }
  }

  /** The status of a stage that has started and not yet ended; a dead run's stay so until a later run looks. */
  public static final String RUNNING = "running";
  /** The status a later run gives the stages a dead run left running. */
  public static final String ABANDONED = "abandoned";

  /**
   * Marks the stages other runs of the given commands left running as abandoned: called by a run that holds the
   * warehouse's lease, when no other such run can be alive. Returns how many stages were marked.
   */
  public long abandonDeadRuns(java.util.Collection<String> commands) {
    if (!store.exists(Tables.PIPELINE_RUNS) || commands.isEmpty()) return 0;
    String quoted = commands.stream().map(c -> "'" + c.replace("'", "") + "'")
        .collect(java.util.stream.Collectors.joining(", "));
    long marked = store.update(Tables.PIPELINE_RUNS,
        "status = '" + RUNNING + "' AND run_id <> '" + runId.replace("'", "") + "' AND command IN (" + quoted + ")",
        java.util.Map.of("status", "'" + ABANDONED + "'",
            "message", "'the run died before this stage ended; run " + runId.replace("'", "") + " found it dead'"));
    if (marked > 0) LOG.warn("run {}: marked {} stage(s) of dead runs abandoned", runId, marked);
    return marked;
  }

  /** The stages finished so far in this run, in order. */
  public List<StageResult> results() {
    return List.copyOf(results);
  }

  /** Where a run log row, as {@link #write} makes it (pipeline_runs' columns in order), holds its stage and status. */
  private static final int STAGE = 2;
  private static final int STATUS = 10;

  private void write(String stage, Instant start, Instant end, StageCounts c, String status, String message,
      TaskBalance.Balance balance) {
    Row row = RowFactory.create(runId, command, stage, Timestamp.from(start), Timestamp.from(end),
        c.rowsIn(), c.rowsOut(), c.rowsRejected(), c.rowsDuplicate(), c.rowsHeld() == 0 ? null : c.rowsHeld(),
        status, message,
        balance.tasks() == 0 ? null : (long) balance.tasks(),
        Double.isNaN(balance.largestTaskShare()) ? null : balance.largestTaskShare());
    // One commit at a time: two stages ending together on two threads would otherwise race for the same table.
    synchronized (pending) {
      pending.add(row);
      flush();
    }
  }

  /**
   * The rows waiting for the run log, in one commit, unless work run {@link #together} is still going on; the commit
   * is the last row's stage and status (the end a stage's parts come with). Called holding {@code pending}.
   */
  private void flush() {
    if (depth.get() > 0) return;
    List<Row> rows = List.copyOf(pending);
    pending.clear();
    Row last = rows.get(rows.size() - 1);
    commit(last.getString(STAGE), last.getString(STATUS), rows);
  }

  /**
   * The stages of this run on record (read once, at the first write: a run id given twice finds its earlier rows),
   * and the file holding the open stage's "running" row. Rows of new stages are appended and an open stage's end
   * replaces its running row's file, neither reading the table; only a stage already on record (a rerun under the
   * same run id, or a stage run twice) takes a keyed write.
   */
  private java.util.Set<String> onRecord;
  private DeltaStore.OwnFiles running = DeltaStore.OwnFiles.NONE;
  private String runningStage;

  private void commit(String stage, String status, List<Row> rows) {
    if (onRecord == null) onRecord = stagesOnRecord();
    List<String> stages = rows.stream().map(r -> r.getString(STAGE)).toList();
    boolean ending = stage.equals(runningStage); // the open stage's end, with the rows of its parts
    boolean fresh = stages.stream().allMatch(s -> ending && s.equals(runningStage) || !onRecord.contains(s))
        && stages.stream().distinct().count() == stages.size();
    try {
      if (!fresh) {
        store.upsertRows(Tables.PIPELINE_RUNS, rows);
      } else if (RUNNING.equals(status)) {
        running = store.appendOwnRows(Tables.PIPELINE_RUNS, rows);
        runningStage = stage;
      } else {
        store.replaceOwnRows(Tables.PIPELINE_RUNS, ending ? running : DeltaStore.OwnFiles.NONE, rows);
      }
    } catch (dev.pql.PqlException.WarehouseBusy e) {
      // Another writer took the running row's file (a later run that found this one dead): by key, then.
      store.upsertRows(Tables.PIPELINE_RUNS, rows);
    }
    if (ending) {
      running = DeltaStore.OwnFiles.NONE;
      runningStage = null;
    }
    onRecord.addAll(stages);
  }

  private java.util.Set<String> stagesOnRecord() {
    java.util.Set<String> stages = new java.util.HashSet<>();
    if (!store.exists(Tables.PIPELINE_RUNS)) return stages;
    store.read(Tables.PIPELINE_RUNS).filter(org.apache.spark.sql.functions.col("run_id").equalTo(runId))
        .select("stage").as(org.apache.spark.sql.Encoders.STRING()).collectAsList().forEach(stages::add);
    return stages;
  }
}
