package dev.pql.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.PqlException.ConfigurationError;
import dev.pql.config.Settings.AccountSource;
import dev.pql.config.Settings.ConversionSource;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsLoaderTest {
  @TempDir Path dir;

  private File file(String name, String text) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, text);
    return p.toFile();
  }

  @Test
  void referenceDefaultsAloneAreValid() {
    Settings s = SettingsLoader.load(null, null, Map.of());
    assertEquals("warehouse", s.warehouse());
    assertEquals("lake/generic/events", s.ingest().events().path());
    assertEquals(AccountSource.TABLE, s.ingest().accountSource());
    assertEquals(ConversionSource.PLAN_HISTORY, s.ingest().conversions().source());
  }

  @Test
  void layersOverrideInOrderAndLakePathsFollowTheLake() throws IOException {
    File env = file("env.conf", "pql { warehouse = \"from-file\", ingest.lake = \"/data/lake\" }");
    Settings fromFile = SettingsLoader.load(env, null, Map.of());
    assertEquals(dir.resolve("from-file").toString(), fromFile.warehouse(), "relative to the file's folder");
    assertEquals("/data/lake/generic/events", fromFile.ingest().events().path());
    Settings overridden = SettingsLoader.load(env, null, Map.of("pql.warehouse", "s3a://bucket/w"));
    assertEquals("s3a://bucket/w", overridden.warehouse());
  }

  @Test
  void overridesTakeListsWrittenInHoconAndConvertPlainValues() {
    Settings s = SettingsLoader.load(null, null, Map.of("pql.model.elastic-net-params", "[0.5, 1.0]",
        "pql.model.horizon-days", "14"));
    assertEquals(List.of(0.5, 1.0), s.model().elasticNetParams());
    assertEquals(14, s.model().horizonDays());
    ConfigurationError e = assertThrows(ConfigurationError.class,
        () -> SettingsLoader.load(null, null, Map.of("pql.model.reg-params", "[0.1,")));
    assertTrue(e.getMessage().contains("command-line options: pql.model.reg-params = [0.1, is not a valid HOCON list"),
        e.getMessage());
  }

  @Test
  void anEnvironmentFileIncludesApplicationAndOverridesWhatDiffers() throws IOException {
    file("application.conf", "pql { warehouse = \"base\", spark.shuffle-partitions = 3 }");
    File prod = file("prod.conf", "include \"application\"\npql.warehouse = \"prod\"\n");
    Settings s = SettingsLoader.load(prod, null, Map.of());
    assertEquals(dir.resolve("prod").toString(), s.warehouse());
    assertEquals(3, s.spark().shufflePartitions());
  }

  @Test
  void aMisspelledKeyNamesTheKeyTheFileAndLineAndSuggestsTheRightOne() throws IOException {
    File bad = file("bad.conf", "pql {\n  warehouse = \"w\"\n  ingest.evnts.path = \"x\"\n}\n");
    ConfigurationError e = assertThrows(ConfigurationError.class, () -> SettingsLoader.load(bad, null, Map.of()));
    assertEquals("Unknown configuration key 'pql.ingest.evnts.path' in " + bad.getPath() + ":3"
        + " (did you mean 'pql.ingest.events.path'?)", e.getMessage());
    assertEquals(2, e.exitCode());
  }

  @Test
  void aWrongTypeNamesTheKeyAndFile() throws IOException {
    File bad = file("type.conf", "pql.spark.shuffle-partitions = many\n");
    ConfigurationError e = assertThrows(ConfigurationError.class, () -> SettingsLoader.load(bad, null, Map.of()));
    assertTrue(e.getMessage().contains("shuffle-partitions"), e.getMessage());
    assertTrue(e.getMessage().contains("type.conf: 1"), e.getMessage());
  }

  @Test
  void aMissingRequiredValueNamesTheKeyAndFile() throws IOException {
    File bad = file("missing.conf", "pql.ingest.events.columns.account-id = \"\"\n");
    ConfigurationError e = assertThrows(ConfigurationError.class, () -> SettingsLoader.load(bad, null, Map.of()));
    assertEquals("Invalid configuration: 'pql.ingest.events.columns.account-id' in " + bad.getPath()
        + ":1 is required and must not be empty", e.getMessage());
  }

  @Test
  void aValueOutsideItsAllowedSetIsRejected() throws IOException {
    File bad = file("format.conf", "pql.ingest.events.format = \"xml\"\n");
    ConfigurationError e = assertThrows(ConfigurationError.class, () -> SettingsLoader.load(bad, null, Map.of()));
    assertEquals("Invalid configuration: 'pql.ingest.events.format' in " + bad.getPath()
        + ":1 must be one of [csv, delta, json, parquet], found 'xml'", e.getMessage());
    File layouts = file("layouts.conf", "pql.generate.layouts = [generic, heap]\n");
    e = assertThrows(ConfigurationError.class, () -> SettingsLoader.load(layouts, null, Map.of()));
    assertTrue(e.getMessage().contains("'pql.generate.layouts' in " + layouts.getPath() + ":1 must list some of "
        + "generic, segment, amplitude, mixpanel, posthog, snowplow, not [generic, heap]"), e.getMessage());
    assertEquals(List.of("generic"), SettingsLoader.load(null, null, Map.of("pql.generate.layouts", "[generic]"))
        .generate().layouts());
    // serve-sql's two databases must be two.
    File oneDatabase = file("serve.conf", "pql.serve { database = bi, internal-database = BI }\n");
    e = assertThrows(ConfigurationError.class, () -> SettingsLoader.load(oneDatabase, null, Map.of()));
    assertTrue(e.getMessage().contains("'pql.serve.internal-database' in " + oneDatabase.getPath() + ":1 must differ "
        + "from pql.serve.database ('bi')"), e.getMessage());
  }

  @Test
  void aMissingConfigFileIsAConfigurationError() {
    ConfigurationError e = assertThrows(ConfigurationError.class,
        () -> SettingsLoader.load(new File(dir.toFile(), "nope.conf"), null, Map.of()));
    assertTrue(e.getMessage().startsWith("Configuration file given with --config does not exist"), e.getMessage());
  }

  @Test
  void sparkSettingsAreFreeFormAndCredentialsAreRefusedByNameInEveryFreeFormBlock() throws IOException {
    File env = file("s3.conf", "pql.spark.conf { \"spark.hadoop.fs.s3a.aws.credentials.provider\" = "
        + "\"com.amazonaws.auth.InstanceProfileCredentialsProvider\", \"spark.executor.memory\" = \"4g\" }\n");
    Settings s = SettingsLoader.load(env, null, Map.of());
    assertEquals("4g", s.spark().conf().get("spark.executor.memory"));
    assertTrue(s.effectiveConfiguration().contains("InstanceProfileCredentialsProvider"), "a provider is no secret");

    Map<String, String> secrets = Map.of(
        "pql.spark.conf", "spark.hadoop.fs.s3a.secret.key", "pql.submit.conf", "spark.hadoop.fs.s3a.session.token",
        "pql.ingest.events.options", "password");
    List<String> keys = List.of("spark.hadoop.fs.s3a.secret.key", "spark.hadoop.fs.s3a.access.key",
        "spark.hadoop.fs.s3a.session.token", "spark.hadoop.fs.s3a.encryption.key",
        "spark.hadoop.fs.s3a.bucket.lake.secret.key", "spark.hadoop.javax.jdo.option.ConnectionPassword",
        "spark.hadoop.fs.azure.account.key.myaccount.dfs.core.windows.net",
        "spark.hadoop.fs.azure.account.key.myaccount.blob.core.windows.net",
        "spark.hadoop.fs.azure.account.oauth2.client.secret.myaccount.dfs.core.windows.net",
        "spark.hadoop.fs.azure.account.oauth2.client.secret",
        "spark.hadoop.fs.azure.sas.data.myaccount.blob.core.windows.net",
        "spark.hadoop.fs.gs.auth.service.account.private.key", "spark.hadoop.fs.gs.auth.client.secret",
        "spark.hadoop.fs.gs.encryption.key", "spark.authenticate.secret");
    for (String key : keys) {
      File secret = file("secret.conf", "pql.spark.conf { \"" + key + "\" = \"hunter2\" }\n");
      ConfigurationError e = assertThrows(ConfigurationError.class, () -> SettingsLoader.load(secret, null, Map.of()),
          key);
      assertTrue(e.getMessage().contains("'pql.spark.conf." + key + "' in " + secret.getPath() + ":1 is a credential"),
          e.getMessage());
      assertFalse(e.getMessage().contains("hunter2"));
    }
    for (Map.Entry<String, String> block : secrets.entrySet()) {
      File secret = file("secret.conf", block.getKey() + " { \"" + block.getValue() + "\" = \"hunter2\" }\n");
      ConfigurationError e = assertThrows(ConfigurationError.class, () -> SettingsLoader.load(secret, null, Map.of()));
      assertTrue(e.getMessage().contains("'" + block.getKey() + "." + block.getValue() + "'"), e.getMessage());
    }
    for (String key : List.of("spark.hadoop.fs.s3a.endpoint", "spark.hadoop.fs.azure.account.auth.type",
        "spark.hadoop.fs.azure.account.oauth2.client.id", "spark.hadoop.fs.s3a.delegation.token.binding",
        "spark.hadoop.google.cloud.auth.service.account.json.keyfile", "spark.sql.shuffle.partitions")) {
      assertFalse(Secrets.isSecret(key), key);
      assertEquals("v", Secrets.shown(key, "v"));
    }
    assertEquals("***", Secrets.shown("spark.hadoop.fs.azure.account.key.acct.dfs.core.windows.net", "v"));
  }

  /** Each shipped mapping loads, and names a definitions folder of its own whose definitions parse. */
  @Test
  void everyShippedConfigurationFileIsValidWithADefinitionsFolderThatParses() throws IOException {
    Map<String, String> folders = new java.util.TreeMap<>();
    try (var files = Files.list(Path.of("conf/mappings"))) {
      files.filter(f -> f.toString().endsWith(".conf")).forEach(mapping -> {
        Settings s = SettingsLoader.load(new File("conf/application.conf"), mapping.toFile(), Map.of());
        File folder = new File(s.scoring().definitions());
        assertFalse(dev.pql.definitions.DefinitionParser.loadFolder(folder).isEmpty(), mapping + ": " + folder);
        folders.put(mapping.getFileName().toString(), Path.of("").toAbsolutePath().relativize(folder.toPath()
            .toAbsolutePath().normalize()).toString());
      });
    }
    assertEquals(Map.of("generic.conf", "conf/definitions", "segment-warehouse.conf", "conf/definitions",
        "sparkify.conf", "conf/mappings/sparkify-definitions", "segment-ecommerce.conf",
        "conf/mappings/segment-ecommerce-definitions", "amplitude.conf", "conf/definitions", "mixpanel.conf",
        "conf/definitions", "posthog.conf", "conf/definitions", "snowplow.conf", "conf/definitions"), folders);
  }

  @Test
  void planLimitsAndMilestonesAreReadAndTheirMistakesNamed() throws IOException {
    Settings s = SettingsLoader.load(null, null, Map.of());
    assertEquals(new Settings.PlanLimit("File Uploaded", 50, true), s.features().planLimits().get(0));
    assertEquals(new Settings.Milestone("sent 500 messages", "Message Sent", 500), s.features().activationMilestones().get(0));

    File typo = file("typo.conf", "pql.features.plan-limits = [\n  {event = \"File Uploaded\", limt = 5}\n]\n");
    ConfigurationError e = assertThrows(ConfigurationError.class, () -> SettingsLoader.load(typo, null, Map.of()));
    assertEquals("Unknown key 'limt' in an element of 'pql.features.plan-limits' in " + typo.getPath()
        + ":2; allowed: [event, limit, window]", e.getMessage());

    File twice = file("twice.conf", "pql.features.plan-limits = [\n  {event = A, limit = 5, window = 30d}\n"
        + "  {event = A, limit = 9, window = total}\n]\n");
    e = assertThrows(ConfigurationError.class, () -> SettingsLoader.load(twice, null, Map.of()));
    assertEquals("Invalid configuration: 'event' in " + twice.getPath() + ":3 repeats 'A': one limit per event",
        e.getMessage());
  }

  @Test
  void metricsSegmentsMustBeKnownAccountAttributes() throws IOException {
    Settings s = SettingsLoader.load(null, null, Map.of());
    assertEquals(new Settings.MetricsSettings(30, 30, java.util.List.of("size_band", "signup_plan")), s.metrics());
    assertEquals(new Settings.RunSettings(28, 28, 120), s.run());
    File bad = file("segments.conf", "pql.metrics.segments = [size_band, plan]\n");
    ConfigurationError e = assertThrows(ConfigurationError.class, () -> SettingsLoader.load(bad, null, Map.of()));
    assertEquals("Invalid configuration: 'pql.metrics.segments' in " + bad.getPath() + ":1 lists 'plan', which is "
        + "not one of [size_band, signup_plan, domain_class, industry, country, revenue_band]", e.getMessage());
  }

  @Test
  void aRelativePathIsTakenAgainstTheFileThatWritesItTheCommandLineOrTheInstallation() throws IOException {
    Files.createDirectories(dir.resolve("conf/env"));
    file("conf/application.conf", "pql.scoring.definitions = \"my-definitions\"\n");
    File env = file("conf/env/prod.conf", "include \"../application\"\npql { warehouse = \"../../w\", "
        + "ingest.lake = \"s3a://bucket/lake\", serve.metastore = \"/var/pql/metastore\" }\n");
    File mapping = file("conf/mapping.conf", "pql.ingest.events.path = \"events\"\n");
    Settings s = SettingsLoader.load(env, mapping, Map.of());
    assertEquals(dir.resolve("w").toString(), s.warehouse(), "against conf/env/");
    assertEquals(dir.resolve("conf/my-definitions").toString(), s.scoring().definitions(),
        "an included file's value against the included file's folder");
    assertEquals(dir.resolve("conf/events").toString(), s.ingest().events().path(), "against the mapping's folder");
    assertEquals("s3a://bucket/lake/generic/accounts", s.ingest().accounts().path(), "a URI is kept");
    assertEquals("/var/pql/metastore", s.serve().metastore(), "an absolute path is kept");

    Settings commandLine = SettingsLoader.load(env, mapping, Map.of("pql.warehouse", "here"));
    assertEquals("here", commandLine.warehouse(), "the working directory's, as Spark and Hadoop read it");

    com.typesafe.config.Config reference = SettingsLoader.anchorPaths(com.typesafe.config.ConfigFactory
        .parseResources(SettingsLoader.class.getClassLoader(), "reference.conf"), "/opt/pql");
    assertEquals("/opt/pql/conf/definitions", reference.getString("pql.scoring.definitions"));
    assertEquals("/opt/pql/lake/generic/events", reference.resolve().getString("pql.ingest.events.path"),
        "paths built from the lake follow it");
    assertEquals("warehouse", SettingsLoader.load(null, null, Map.of()).warehouse(),
        "without PQL_HOME (these tests), the working directory");
  }

  @Test
  void windowsAreDistinctDaysInOrderWithSevenAndThirtyAlwaysAndAZeroDayWindowIsRefusedByName() {
    Settings s = SettingsLoader.load(null, null, Map.of("pql.features.windows", "[14, 1, 14]",
        "pql.features.signup-windows", "[7, 3]"));
    assertEquals(java.util.List.of(1, 7, 14, 30), s.features().countWindows());
    assertEquals(java.util.List.of(3, 7), s.features().signupWindows());
    ConfigurationError e = assertThrows(ConfigurationError.class,
        () -> SettingsLoader.load(null, null, Map.of("pql.features.signup-windows", "[0]")));
    assertEquals("pql.features.signup-windows holds 0: a window is 1 to 3,650 days", e.getMessage());
  }
}
