package dev.pql.submit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.PqlException.ConfigurationError;
import dev.pql.config.Settings;
import dev.pql.config.SettingsLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** jobs/pql-submit's planner: the spark-submit line it builds from an environment file made from the template. */
class SubmitTest {
  @TempDir Path home;
  private Path prod;

  @BeforeEach
  void environmentFromTheTemplate() throws IOException {
    Files.createDirectories(home.resolve("conf/env"));
    Files.copy(Path.of("conf/application.conf"), home.resolve("conf/application.conf"));
    prod = home.resolve("conf/env/prod.conf");
    Files.copy(Path.of("conf/cluster.conf.template"), prod);
  }

  private List<String> plan(String... args) throws IOException {
    Path argv = home.resolve("argv");
    List<String> all = new ArrayList<>(List.of("--argv-file", argv.toString()));
    all.addAll(Arrays.asList(args));
    assertEquals(0, Submit.run(all, Map.of("PQL_HOME", home.toString(), "SPARK_HOME", "/opt/spark")));
    String text = Files.readString(argv);
    assertTrue(text.endsWith("\0"));
    return List.of(text.substring(0, text.length() - 1).split("\0"));
  }

  private static String after(List<String> argv, String option) {
    int i = argv.indexOf(option);
    assertTrue(i >= 0, option + " missing from " + argv);
    return argv.get(i + 1);
  }

  @Test
  void theTemplateGivesEachCommandItsResourcesOverTheDefaults() throws IOException {
    List<String> train = plan("train", "--config", prod.toString());
    assertEquals("/opt/spark/bin/spark-submit", train.get(0));
    assertEquals("yarn", after(train, "--master"));
    assertEquals("client", after(train, "--deploy-mode"));
    assertEquals("dev.pql.cli.Main", after(train, "--class"));
    assertEquals("4g", after(train, "--driver-memory"), "train's own block");
    assertEquals("4g", after(train, "--executor-memory"), "default");
    assertEquals("2", after(train, "--num-executors"));
    assertEquals("io.delta:delta-spark_2.12:3.3.2,org.apache.hadoop:hadoop-aws:3.3.4", after(train, "--packages"));
    assertTrue(train.contains("spark.executor.extraJavaOptions=-Duser.timezone=UTC"));
    // the jar, then the command and its arguments exactly as given: the driver reads the same file
    assertEquals(List.of(home + "/target/pql-cluster.jar", "train", "--config", prod.toString()),
        train.subList(train.size() - 4, train.size()));

    List<String> ingest = plan("ingest", "--config", prod.toString());
    assertEquals("6g", after(ingest, "--executor-memory"));
    assertEquals("4", after(ingest, "--num-executors"));
    assertEquals("2g", after(ingest, "--driver-memory"));
  }

  @Test
  void aStandaloneMasterIsGivenCoresNotExecutors() throws IOException {
    List<String> argv = plan("run", "--config", prod.toString(), "-Dpql.submit.master=spark://10.0.0.5:7077");
    assertEquals("spark://10.0.0.5:7077", after(argv, "--master"));
    assertEquals("8", after(argv, "--total-executor-cores"), "4 executors x 2 cores");
    assertFalse(argv.contains("--num-executors"));
  }

  @Test
  void clusterDeployModeShipsOneSelfContainedConfigurationAndTheDefinitions() throws IOException {
    Path stage = home.resolve("stage");
    Path argvFile = home.resolve("argv");
    List<String> args = List.of("--argv-file", argvFile.toString(), "run", "--config", prod.toString(),
        "-Dpql.submit.deploy-mode=cluster", "--lake", "s3a://other-bucket/lake");
    assertEquals(0, Submit.run(args, Map.of("PQL_HOME", home.toString(), "PQL_SUBMIT_DIR", stage.toString())));
    List<String> argv = List.of(Files.readString(argvFile).split("\0"));
    assertEquals(stage.resolve("pql.conf").toAbsolutePath().toString(), after(argv, "--files"));
    assertEquals(stage.resolve("pql-definitions.zip").toAbsolutePath() + "#pql-definitions", after(argv, "--archives"));
    assertEquals(List.of("run", "-Dpql.submit.deploy-mode=cluster", "--lake", "s3a://other-bucket/lake", "--config",
        "pql.conf", "-Dpql.scoring.definitions=pql-definitions"), argv.subList(argv.size() - 7, argv.size()));

    // The driver reads the shipped file without the include beside it, and its --lake still reaches the paths
    // built from pql.ingest.lake.
    Settings driver = SettingsLoader.load(stage.resolve("pql.conf").toFile(), null,
        Map.of("pql.ingest.lake", "s3a://other-bucket/lake"));
    assertEquals("s3a://YOUR-BUCKET/pql/warehouse", driver.warehouse());
    assertEquals("s3a://other-bucket/lake/generic/events", driver.ingest().events().path());
    assertEquals(180, driver.generate().days(), "from the included conf/application.conf");
    try (ZipFile zip = new ZipFile(stage.resolve("pql-definitions.zip").toFile())) {
      assertEquals(Files.list(Path.of("conf/definitions")).count(), zip.size());
      assertTrue(zip.getEntry("usage-limit.conf") != null);
    }
  }

  @Test
  void aBadEnvironmentFileStopsBeforeAnythingIsSubmittedNamingFileAndKey() throws IOException {
    Files.writeString(prod, "\npql.submit.resources.train { executor-memroy = 4g }\n", java.nio.file.StandardOpenOption.APPEND);
    ConfigurationError typo = assertThrows(ConfigurationError.class, () -> plan("train", "--config", prod.toString()));
    assertTrue(typo.getMessage().contains("pql.submit.resources.train.executor-memroy"), typo.getMessage());
    assertTrue(typo.getMessage().contains(prod.toString()), typo.getMessage());
    assertEquals(2, typo.exitCode());
    assertFalse(Files.exists(home.resolve("argv")), "nothing to run");
  }

  @Test
  void credentialsInAConfigurationFileAreRefused() throws IOException {
    Files.writeString(prod, "\npql.spark.conf { \"spark.hadoop.fs.s3a.secret.key\" = \"abc\" }\n",
        java.nio.file.StandardOpenOption.APPEND);
    ConfigurationError e = assertThrows(ConfigurationError.class, () -> plan("run", "--config", prod.toString()));
    assertTrue(e.getMessage().contains("'pql.spark.conf.spark.hadoop.fs.s3a.secret.key'"), e.getMessage());
    assertFalse(e.getMessage().contains("abc"), "the message does not repeat the secret");
  }

  @Test
  void confIsTakenBeforeOrAfterTheCommandOverridesTheFileAndGoesBeforeTheJar() throws IOException {
    for (List<String> args : List.of(List.of("--conf", "spark.x=1", "run", "--config", prod.toString()),
        List.of("run", "--config", prod.toString(), "--conf", "spark.x=1"),
        List.of("run", "--conf=spark.x=1", "--config", prod.toString()))) {
      List<String> argv = plan(args.toArray(String[]::new));
      int jar = argv.indexOf(home + "/target/pql-cluster.jar");
      assertTrue(argv.subList(0, jar).contains("spark.x=1"), args + ": " + argv);
      assertEquals(List.of("run", "--config", prod.toString()), argv.subList(jar + 1, argv.size()),
          "the driver gets the pql options alone");
    }
    List<String> over = plan("train", "--config", prod.toString(), "--conf",
        "spark.executor.extraJavaOptions=-Duser.timezone=Europe/Paris");
    assertTrue(over.contains("spark.executor.extraJavaOptions=-Duser.timezone=Europe/Paris"), over.toString());
    assertFalse(over.contains("spark.executor.extraJavaOptions=-Duser.timezone=UTC"), "replaced, not repeated");
  }

  @Test
  void theCommandsOptionsAreParsedAsJobsPqlParsesThem() {
    ConfigurationError port = assertThrows(ConfigurationError.class,
        () -> plan("serve-sql", "--config", prod.toString(), "--port", "eighty"));
    assertTrue(port.getMessage().contains("'--port'") && port.getMessage().contains("eighty"), port.getMessage());
    ConfigurationError unknown = assertThrows(ConfigurationError.class,
        () -> plan("run", "--config", prod.toString(), "--lakes", "x"));
    assertTrue(unknown.getMessage().startsWith("Unknown options: '--lakes'"), unknown.getMessage());
    ConfigurationError command = assertThrows(ConfigurationError.class, () -> plan("tables"));
    assertTrue(command.getMessage().contains("tables"), command.getMessage());
  }

  @Test
  void helpListsTheCommandsAndEachCommandsOptions() {
    java.io.PrintStream stdout = System.out;
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try {
      System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
      assertEquals(0, Submit.run(List.of("--help"), Map.of()));
      assertEquals(0, Submit.run(List.of("run", "--help"), Map.of()));
    } finally {
      System.setOut(stdout);
    }
    String help = out.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(help.startsWith("Usage: pql-submit"), help);
    for (String command : dev.pql.options.Commands.names()) assertTrue(help.contains("  " + command + " "), command);
    assertTrue(help.contains("Usage: pql-submit run") && help.contains("--lake=DIR") && help.contains("--conf"), help);
  }

  @Test
  void everyCommandAResourcesBlockMayNameIsOneTheLauncherSubmits() {
    assertEquals(dev.pql.config.SubmitSettings.COMMANDS, java.util.Set.copyOf(dev.pql.options.Commands.names()));
  }
}
