package dev.pql.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The pipeline on S3: an S3-compatible server (S3Proxy, from Maven Central) on 127.0.0.1, the lake read from and
 * the warehouse written to s3a:// paths, with credentials only in the environment, and the secret nowhere in what
 * the run leaves behind.
 */
class S3IT {
  private static final String BUCKET = "pql-it";

  @Test
  void thePipelineRunsOnS3aAndTheSecretAppearsInNoOutputEventLogOrDeltaLog() throws Exception {
    Path expected = SampleRun.localWarehouse();
    Path work = SampleRun.WORK.resolve("s3");
    SampleRun.deleteRecursively(work);
    Path store = work.resolve("store");
    String accessKey = "pql-it-" + UUID.randomUUID().toString().substring(0, 8);
    String secret = "s3cr3t-" + UUID.randomUUID();
    int port = ServiceProcess.freePort();

    Path properties = work.resolve("s3proxy.properties");
    SampleRun.write(properties, String.join("\n",
        "s3proxy.endpoint=http://127.0.0.1:" + port,
        "s3proxy.authorization=aws-v2-or-v4",
        "s3proxy.identity=" + accessKey,
        "s3proxy.credential=" + secret,
        "jclouds.provider=filesystem",
        "jclouds.filesystem.basedir=" + store, ""));
    // The filesystem back end keeps each object as a file under <basedir>/<bucket>/<key>; a bucket is a folder.
    Files.createDirectories(store.resolve(BUCKET));

    Path eventLogs = work.resolve("spark-events");
    Files.createDirectories(eventLogs);
    Path config = work.resolve("s3.conf");
    SampleRun.environment(config,
        "pql.spark.conf {",
        "  \"spark.hadoop.fs.s3a.endpoint\" = \"http://127.0.0.1:" + port + "\"",
        "  \"spark.hadoop.fs.s3a.endpoint.region\" = \"us-east-1\"",
        "  \"spark.hadoop.fs.s3a.path.style.access\" = \"true\"",
        "  \"spark.hadoop.fs.s3a.connection.ssl.enabled\" = \"false\"",
        "  \"spark.eventLog.enabled\" = \"true\"",
        "  \"spark.eventLog.dir\" = \"file://" + eventLogs + "\"",
        "}");

    List<Path> outputs = new ArrayList<>();
    try (ServiceProcess s3 = ServiceProcess.start("s3proxy", List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-jar",
        System.getProperty("pql.it.s3proxy"), "--properties", properties.toString()), Map.of(),
        work.resolve("logs/s3proxy.log"))) {
      outputs.add(s3.log);
      s3.awaitPort(port, Duration.ofSeconds(60));
      // Credentials reach s3a only through the environment (its provider chain reads AWS_ACCESS_KEY_ID and
      // AWS_SECRET_ACCESS_KEY); the configuration file has none.
      Map<String, String> credentials = Map.of("AWS_ACCESS_KEY_ID", accessKey, "AWS_SECRET_ACCESS_KEY", secret);
      // The same seeded lake as the local run's, written through s3a.
      Path generateLog = work.resolve("logs/generate.log");
      outputs.add(generateLog);
      assertEquals(0, SampleRun.pql(generateLog, credentials, "generate", "--config", config.toString(),
          "-Dpql.generate.output=s3a://" + BUCKET + "/lake"), "generate on s3a");
      Path runLog = work.resolve("logs/run.log");
      outputs.add(runLog);
      int code = SampleRun.pql(runLog, credentials, "run", "--config", config.toString(),
          "--lake", "s3a://" + BUCKET + "/lake", "--warehouse", "s3a://" + BUCKET + "/warehouse",
          "--run-id", SampleRun.RUN_ID);
      assertEquals(0, code, "run on s3a");
      String run = Files.readString(runLog);
      assertTrue(run.contains("Run " + SampleRun.RUN_ID + " -> s3a://" + BUCKET + "/warehouse"), run);
      assertFalse(Files.readString(config).contains(secret));
    }

    // What the run wrote through s3a, read back from the store's files: the same tables as the local run.
    Path warehouse = store.resolve(BUCKET).resolve("warehouse");
    List<String> compared = TableComparison.assertSameTables(ItSpark.session(), expected.toString(),
        warehouse.toString());
    assertTrue(compared.containsAll(List.of("events", "account_features", "pql_scores", "pql_metrics")), "" + compared);

    // The secret is in none of the process outputs, the Spark event logs or the Delta logs.
    List<Path> searched = new ArrayList<>(outputs);
    try (var logs = Files.list(eventLogs)) {
      logs.forEach(searched::add);
    }
    try (var files = Files.walk(warehouse)) {
      files.filter(p -> p.getParent().getFileName().toString().equals("_delta_log") && Files.isRegularFile(p))
          .forEach(searched::add);
    }
    assertTrue(searched.stream().anyMatch(p -> p.startsWith(eventLogs)), "an event log was written");
    assertTrue(searched.stream().filter(p -> p.toString().contains("_delta_log")).count() > 15, "delta logs");
    for (Path file : searched) {
      String text = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
      assertFalse(text.contains(secret), "the secret appears in " + file);
    }
    String eventLog = Files.readString(searched.stream().filter(p -> p.startsWith(eventLogs)).findFirst().get());
    assertTrue(eventLog.contains("http://127.0.0.1:" + port), "the event log records the s3a settings");
  }
}
