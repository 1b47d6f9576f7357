package dev.pql.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.io.TableContract;
import dev.pql.io.Tables;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The pipeline on S3 (the reference run of {@link SampleRun}, on a cluster): S3Proxy on 127.0.0.1, lake and
 * warehouse on s3a://, credentials only in the environment, and the secret nowhere in what the run leaves behind:
 * not in the output of the launcher, the driver, the master, the worker or the executors, nor in the Spark event
 * logs or the Delta logs.
 */
class S3IT {
  @Test
  void thePipelineRunsOnS3aAndTheSecretAppearsInNoOutputEventLogOrDeltaLog() throws Exception {
    SampleRun.Reference s3 = SampleRun.reference();

    // ingest through metrics ran against s3a and wrote every table there
    assertTrue(s3.runOutput().contains("Run " + SampleRun.RUN_ID + " -> s3a://" + SampleRun.BUCKET + "/warehouse"),
        s3.runOutput());
    for (String stage : List.of("[1/7] ingest", "[2/7] features", "[3/7] train", "[4/7] score", "[5/7] backtest",
        "[6/7] metrics", "[7/7] report")) {
      assertTrue(s3.runOutput().lines().anyMatch(l -> l.startsWith(stage) && !l.contains("skipped")), stage);
    }
    List<String> tables = new ArrayList<>(Tables.ALL.stream().map(TableContract::name).toList());
    tables.add(dev.pql.features.AccountFeatures.NAME);
    for (String table : tables) {
      assertTrue(Files.isDirectory(s3.warehouse().resolve(table).resolve("_delta_log")), table + " on s3a");
    }

    // Every figure of every table is a number or null: no NaN or Infinity anywhere, text included.
    assertEquals(java.util.Map.of(), dev.pql.OutputScan.nanOrInfinity(ItSpark.session(), s3.warehouse()),
        "NaN or Infinity in the warehouse");

    // The secret is in none of the process outputs, the Spark event logs or the Delta logs.
    List<Path> searched = new ArrayList<>(s3.outputs());
    List<Path> eventLogs;
    try (var logs = Files.list(s3.eventLogs())) {
      eventLogs = logs.toList();
    }
    assertEquals(2, eventLogs.size(), "generate's and run's event logs");
    searched.addAll(eventLogs);
    try (var files = Files.walk(s3.warehouse())) {
      files.filter(p -> p.getParent().getFileName().toString().equals("_delta_log") && Files.isRegularFile(p))
          .forEach(searched::add);
    }
    assertTrue(searched.size() > 30, "outputs, event logs and Delta logs: " + searched.size());
    for (Path file : searched) {
      String text = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
      assertFalse(text.contains(s3.secret()), "the secret appears in " + file);
    }
    // The search would see it: the event log records the s3a settings the run used.
    assertTrue(Files.readString(eventLogs.get(0)).contains(s3.endpoint()), "the event log records the s3a endpoint");
  }
}
