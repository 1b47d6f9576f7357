package dev.pql.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * jobs/pql run from outside the installation, as a scheduler runs it: relative paths on the command line are read
 * from and land in the working directory, and the shipped configuration and definitions are found in the installation.
 */
class WorkingDirectoryIT {
  @Test
  void aRunFromAnotherDirectoryWritesWhereItIsToldAndFindsTheShippedDefinitions() throws Exception {
    Path elsewhere = SampleRun.WORK.resolve("elsewhere");
    SampleRun.deleteRecursively(elsewhere);
    SampleRun.createDirectories(elsewhere);
    String[] quiet = {"-Dpql.spark.master=local[2]", "-Dpql.spark.conf.spark.ui.enabled=false"};
    // The lake, generated here (a JVM less to start); the run below names it by a relative path.
    dev.pql.config.Settings lake = dev.pql.config.SettingsLoader.load(null, null, Map.of("pql.generate.output",
        elsewhere.resolve("lake").toString(), "pql.generate.accounts", "60", "pql.generate.days", "20"));
    dev.pql.generate.LakeGenerator.generate(ItSpark.session(), lake.generate(), lake.domains());

    Path log = elsewhere.resolve("run.log");
    assertEquals(0, SampleRun.pqlIn(elsewhere, log, Map.of(), "run", "--lake", "lake", "--warehouse", "wh",
        quiet[0], quiet[1]));
    String out = SampleRun.read(log);
    assertTrue(Files.isDirectory(elsewhere.resolve("wh/pql_scores/_delta_log")), "the warehouse is where it was told");
    assertTrue(out.contains(" event rows read, "), "the lake was found where it was told: " + out);
    assertFalse(Files.exists(ServiceProcess.HOME.resolve("wh")), "nothing in the installation");
    // The shipped definitions were found and applied: scoring by the rules, each named in pql_definitions. (The
    // progress line's two halves may have log lines between them.)
    assertTrue(out.contains(" s: 1 snapshot by the rules and activation (no model yet); "), out);
    java.util.Set<String> shipped = new java.util.TreeSet<>();
    try (var files = Files.list(ServiceProcess.HOME.resolve("conf/definitions"))) {
      files.forEach(f -> shipped.add(f.getFileName().toString().replace(".conf", "")));
    }
    java.util.Set<String> applied = new java.util.TreeSet<>();
    ItSpark.session().read().format("delta").load(elsewhere.resolve("wh/pql_definitions").toString())
        .filter("source = 'rules'").select("definition_name").distinct().collectAsList()
        .forEach(r -> applied.add(r.getString(0)));
    assertEquals(shipped, applied, "every shipped definition, found from " + elsewhere);
  }
}
