package dev.pql.io;

import java.time.Instant;
import org.apache.spark.sql.SparkSession;

/**
 * What every stage job is called with, beside its own typed settings: the session, the warehouse, the run log
 * (which names the run) and the run's start, the instant the run stamps on what it ingests.
 */
public record StageContext(SparkSession spark, DeltaStore store, RunLog log, Instant start) {
  /** A context for a new run log of the given run and command on the warehouse. */
  public static StageContext open(SparkSession spark, String warehouse, String runId, String command, Instant start) {
    DeltaStore store = new DeltaStore(spark, warehouse);
    // Every Delta commit of the run carries its id (DESCRIBE HISTORY's userMetadata), so a table's history says
    // which run wrote each version, and a write finds its own commit's counts among other writers'.
    spark.conf().set(DeltaStore.USER_METADATA, "pql run " + runId + " (" + command + ")");
    FaultInjection.install(spark.sparkContext());
    return new StageContext(spark, store, new RunLog(spark, store, runId, command), start);
  }

  /** The warehouse as a fully qualified location (file:/..., s3a://...), for the lease and serve-sql's check. */
  public String warehouseLocation() {
    return store.location("");
  }

  public String runId() {
    return log.runId();
  }
}
