package dev.pql.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The run every integration test works from, made once per test JVM: an S3-compatible server (S3Proxy) on
 * 127.0.0.1, a small generated lake written to it through s3a by the local launcher (jobs/pql), and the whole
 * pipeline run on it by a real standalone cluster (a master and a worker started from the project's jars), submitted
 * with jobs/pql-submit: two executor JVMs besides the driver, lake and warehouse on s3a:// and credentials only in
 * the environment of the processes. S3Proxy's filesystem back end keeps each object as a plain file under
 * {@code <store>/<bucket>/<key>}, so once the server is stopped the same lake and warehouse are local folders: the
 * fault chain reads that lake in local mode and is compared with that warehouse, and serve-sql serves it.
 */
final class SampleRun {
  static final Path WORK = Path.of(System.getProperty("it.work", "target/it")).toAbsolutePath();
  /** Every run uses one run id, so that run ids and model versions in the tables agree. */
  static final String RUN_ID = "it-run";
  static final Duration RUN_TIMEOUT = Duration.ofMinutes(15);
  static final String BUCKET = "pql-it";
  /**
   * The JVM options of the jobs/pql processes the tests start (the pom's it.pql.java.opts): a heap that fits beside
   * the others, the tests' GC and compiler thresholds for short-lived JVMs.
   */
  static final String PQL_JAVA_OPTS = System.getProperty("it.pql.java.opts", "-Xmx2g -XX:+UseParallelGC");
  /** The cluster's executors' JVM options beside Spark's own (the pom's it.executor.java.opts). */
  static final String EXECUTOR_JAVA_OPTS = System.getProperty("it.executor.java.opts", "-XX:+UseParallelGC");

  /**
   * What the reference run left: the lake and warehouse as local folders, the secret it ran with, the output of
   * every process it started (the executors' included), its Spark event logs, the S3 endpoint, and the cluster:
   * its executors' process ids, the driver's, the worker's work folder and the master's output.
   */
  record Reference(Path lake, Path warehouse, String secret, List<Path> outputs, Path eventLogs, String endpoint,
      String runOutput, Set<Long> executorPids, long driverPid, Path workerDir, String masterOutput) {}

  private static Reference reference;

  private SampleRun() {}

  /**
   * The configuration of every integration run: 400 accounts over 110 days, most on a trial (enough upgrades to
   * train at this size), short label windows and snapshots from the third week so the model trains on several
   * snapshots before its calibration and locked windows, fewer feature windows, one
   * regularization point and few optimizer iterations (speed, not quality), no code generation (in processes this
   * short-lived, generating and compiling code cost more than it saves: 8% of one run's CPU time), and
   * no Spark UI (no ports to share).
   */
  static synchronized Path config() {
    Path config = WORK.resolve("it.conf");
    write(config, String.join("\n",
        "include file(\"" + ServiceProcess.HOME.resolve("conf/application.conf") + "\")",
        "pql {",
        "  spark { master = \"local[2]\", shuffle-partitions = 4, conf { \"spark.ui.enabled\" = \"false\",",
        "    \"spark.sql.codegen.wholeStage\" = \"false\", \"spark.sql.codegen.factoryMode\" = \"NO_CODEGEN\" } }",
        "  generate { accounts = 400, days = 110, big-account-event-share = 0.1, trial-share = 0.6 }",
        "  model { horizon-days = 14, driver-horizon-days = 14, evaluation-days = 14, calibration-days = 14,",
        "          min-support = 20, reg-params = [0.003], max-iterations = 25,",
        // These runs check that a cluster, s3a and another directory write what local mode writes, the learned
        // scores included; whether the model earns its place is WorldsTest's and ChampionGateTest's question.
        "          gate.enabled = false }",
        "  run.first-snapshot-after-days = 14",
        // One window of each family beside 7 and 30 days (and those the shipped definitions name): what the
        // cluster and s3a must write alike, at a third of the default width.
        "  features { windows = [7, 30], signup-windows = [7], user-windows = [30] }",
        "}", ""));
    return config;
  }

  static synchronized Reference reference() throws InterruptedException {
    if (reference == null) reference = runOnS3(WORK.resolve("s3"));
    return reference;
  }

  private static Reference runOnS3(Path work) throws InterruptedException {
    deleteRecursively(work);
    Path store = work.resolve("store");
    String accessKey = "pql-it-" + UUID.randomUUID().toString().substring(0, 8);
    String secret = "s3cr3t-" + UUID.randomUUID();
    int port = ServiceProcess.freePort();
    String endpoint = "http://127.0.0.1:" + port;
    Path properties = work.resolve("s3proxy.properties");
    write(properties, String.join("\n", "s3proxy.endpoint=" + endpoint, "s3proxy.authorization=aws-v2-or-v4",
        "s3proxy.identity=" + accessKey, "s3proxy.credential=" + secret, "jclouds.provider=filesystem",
        "jclouds.filesystem.basedir=" + store, ""));
    createDirectories(store.resolve(BUCKET)); // a bucket is a folder of the store

    // Where s3a is and how to talk to it, and an event log to search: no credentials in this file.
    Path eventLogs = createDirectories(work.resolve("spark-events"));
    Path config = environment(work.resolve("s3.conf"),
        "pql.spark.conf {",
        "  \"spark.hadoop.fs.s3a.endpoint\" = \"" + endpoint + "\"",
        "  \"spark.hadoop.fs.s3a.endpoint.region\" = \"us-east-1\"",
        "  \"spark.hadoop.fs.s3a.path.style.access\" = \"true\"",
        "  \"spark.hadoop.fs.s3a.connection.ssl.enabled\" = \"false\"",
        "  \"spark.eventLog.enabled\" = \"true\"",
        "  \"spark.eventLog.dir\" = \"file://" + eventLogs + "\"",
        "}");

    // The cluster: the shared settings, this master, one-core executors; the Spark home holds Delta already.
    LocalSparkHome sparkHome = LocalSparkHome.create(work.resolve("spark-home"));
    int masterPort = ServiceProcess.freePort();
    Path workerDir = work.resolve("worker");
    Path clusterConfig = append(work.resolve("s3-cluster.conf"), config,
        "pql.submit {",
        "  master = \"spark://127.0.0.1:" + masterPort + "\"",
        "  packages = []",
        "  resources.default { driver-memory = \"1g\", executor-memory = \"1g\", executor-cores = 1,",
        "                      num-executors = 2 }",
        "  resources.run = ${pql.submit.resources.default}",
        // The executors as the other JVMs of the tests: their collector and compiler thresholds (with the defaults,
        // C2 compiled for much of their CPU time), beside the UTC zone reference.conf gives them.
        "  conf { \"spark.executor.extraJavaOptions\" = \"-Duser.timezone=UTC " + EXECUTOR_JAVA_OPTS + "\" }",
        "}");

    List<Path> outputs = new ArrayList<>();
    String runOutput;
    String masterOutput;
    Set<Long> executorPids = java.util.concurrent.ConcurrentHashMap.newKeySet();
    long driverPid;
    // S3Proxy serves small requests for a few minutes: the quick compiler alone (12 s of CPU against 18-20 s).
    try (ServiceProcess s3 = ServiceProcess.start("s3proxy", List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-XX:+UseParallelGC",
        "-XX:TieredStopAtLevel=1", "-jar",
        System.getProperty("it.s3proxy"), "--properties", properties.toString()), Map.of(),
        work.resolve("logs/s3proxy.log"))) {
      outputs.add(s3.log);
      s3.awaitPort(port, Duration.ofSeconds(60));
      // s3a's default provider chain reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment: the
      // launcher's, the driver's, and the worker's, whose executors inherit it.
      Map<String, String> credentials = Map.of("AWS_ACCESS_KEY_ID", accessKey, "AWS_SECRET_ACCESS_KEY", secret);
      Path generateLog = work.resolve("logs/generate.log");
      outputs.add(generateLog);
      // The cluster starts while the lake is generated: the master and the worker spend their first seconds
      // starting their JVMs and registering, which the generation's JVM need not wait for.
      ServiceProcess generate = startPql(ServiceProcess.HOME, generateLog, credentials, "generate", "--config",
          config.toString(), "-Dpql.generate.output=s3a://" + BUCKET + "/lake");
      Map<String, String> clusterEnv = new java.util.HashMap<>(sparkHome.env);
      clusterEnv.putAll(credentials);
      try (generate;
          ServiceProcess master = sparkHome.startMaster(masterPort, work.resolve("logs/master.log"));
          ServiceProcess worker = sparkHome.startWorker(masterPort, 2, "3g", workerDir, work.resolve("logs/worker.log"),
              clusterEnv)) {
        outputs.addAll(List.of(master.log, worker.log));
        assertEquals(0, finish(generate), "generate on s3a");
        Path runLog = work.resolve("logs/run.log");
        outputs.add(runLog);
        try (ServiceProcess submit = ServiceProcess.start("pql-submit run", List.of(
            ServiceProcess.HOME.resolve("jobs/pql-submit").toString(), "run", "--config", clusterConfig.toString(),
            "--lake", "s3a://" + BUCKET + "/lake", "--warehouse", "s3a://" + BUCKET + "/warehouse",
            "--run-id", RUN_ID), clusterEnv, runLog)) {
          driverPid = submit.handle().pid(); // jobs/pql-submit execs spark-submit, which runs the driver (client mode)
          // The executors are the worker's own children, each its own JVM. (Not its further descendants: a process
          // an executor forks shows the executor's command line until it execs.)
          long deadline = System.nanoTime() + RUN_TIMEOUT.toNanos();
          while (submit.handle().isAlive() && System.nanoTime() < deadline) {
            worker.handle().children()
                .filter(p -> p.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
                .forEach(p -> executorPids.add(p.pid()));
            Thread.sleep(500);
          }
          assertEquals(0, submit.await(Duration.ofSeconds(30)), "pql-submit run on s3a:\n" + submit.tail());
        }
        runOutput = read(runLog);
        masterOutput = master.output();
      }
      // And the log files beside them (PQL_LOG_FILE), with pql's INFO lines and any stack trace, and every
      // executor's output.
      if (Files.exists(logFile(generateLog))) outputs.add(logFile(generateLog));
      try (var files = Files.walk(workerDir)) {
        files.filter(f -> Files.isRegularFile(f) && (f.endsWith("stderr") || f.endsWith("stdout")))
            .forEach(outputs::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return new Reference(store.resolve(BUCKET).resolve("lake"), store.resolve(BUCKET).resolve("warehouse"), secret,
        List.copyOf(outputs), eventLogs, endpoint, runOutput, Set.copyOf(executorPids), driverPid, workerDir,
        masterOutput);
  }

  /** jobs/pql run from another working directory, to the end; returns its exit code. */
  static int pqlIn(Path directory, Path log, Map<String, String> env, String... args) throws InterruptedException {
    try (ServiceProcess p = startPql(directory, log, env, args)) {
      return finish(p);
    }
  }

  /** jobs/pql with its arguments, started in {@code directory}; {@link #finish} waits for it. */
  static ServiceProcess startPql(Path directory, Path log, Map<String, String> env, String... args) {
    List<String> command = new ArrayList<>(List.of(ServiceProcess.HOME.resolve("jobs/pql").toString()));
    command.addAll(List.of(args));
    Map<String, String> environment = new java.util.HashMap<>(env);
    environment.putIfAbsent("PQL_JAVA_OPTS", PQL_JAVA_OPTS);
    environment.putIfAbsent("PQL_LOG_FILE", logFile(log).toString());
    return ServiceProcess.start("pql " + args[0], command, environment, log, directory);
  }

  /** A started jobs/pql, to the end; its exit code (its output's tail on the error stream when not 0). */
  static int finish(ServiceProcess p) throws InterruptedException {
    int code = p.await(RUN_TIMEOUT);
    if (code != 0) System.err.println(p.tail());
    return code;
  }

  /** The log file (PQL_LOG_FILE) of a process whose console goes to {@code console}: beside it. */
  static Path logFile(Path console) {
    return console.resolveSibling(console.getFileName() + ".pql.log");
  }

  /** An environment file over the shared configuration: its include, then the given lines. */
  static Path environment(Path file, String... lines) {
    return append(file, config(), lines);
  }

  /** A configuration file that includes another, then the given lines. */
  static Path append(Path file, Path included, String... lines) {
    write(file, "include file(\"" + included + "\")\n" + String.join("\n", lines) + "\n");
    return file;
  }

  static void write(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Path createDirectories(Path dir) {
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void deleteRecursively(Path dir) {
    try {
      if (Files.exists(dir)) org.apache.commons.io.FileUtils.deleteDirectory(dir.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
