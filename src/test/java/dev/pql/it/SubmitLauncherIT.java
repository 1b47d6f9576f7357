package dev.pql.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** jobs/pql-submit as a user calls it: help, the --conf settings it passes on, and a machine without Spark. */
class SubmitLauncherIT {
  private record Outcome(int exitCode, String out) {}

  private static Outcome submit(boolean withSpark, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(ServiceProcess.HOME.resolve("jobs/pql-submit").toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(ServiceProcess.HOME.toFile())
        .redirectErrorStream(true);
    builder.environment().remove("SPARK_HOME");
    // A PATH with the shell's tools and no spark-submit, or one with a stand-in spark-submit.
    Path bin = SampleRun.createDirectories(SampleRun.WORK.resolve("submit-launcher/bin"));
    if (withSpark) {
      SampleRun.write(bin.resolve("spark-submit"), "#!/bin/sh\necho \"spark-submit $*\"\n");
      bin.resolve("spark-submit").toFile().setExecutable(true);
    } else {
      java.nio.file.Files.deleteIfExists(bin.resolve("spark-submit"));
    }
    builder.environment().put("PATH", bin + ":/usr/bin:/bin");
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    Process p = builder.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(2, TimeUnit.MINUTES));
    return new Outcome(p.exitValue(), out);
  }

  @Test
  void helpDryRunConfAnywhereAndNoSparkSubmit() throws Exception {
    Outcome help = submit(false, "--help");
    assertEquals(0, help.exitCode(), help.out());
    assertTrue(help.out().startsWith("Usage: pql-submit") && help.out().contains("serve-sql"), help.out());
    Outcome runHelp = submit(false, "run", "--help");
    assertEquals(0, runHelp.exitCode(), runHelp.out());
    assertTrue(runHelp.out().contains("--lake=DIR"), runHelp.out());

    String jar = ServiceProcess.HOME.resolve("target/pql-cluster.jar").toString();
    for (String[] args : List.of(
        new String[] {"--dry-run", "run", "--config", "conf/cluster.conf.template", "--conf", "spark.x=1"},
        new String[] {"--conf", "spark.x=1", "--dry-run", "run", "--config", "conf/cluster.conf.template"})) {
      Outcome dry = submit(false, args);
      assertEquals(0, dry.exitCode(), dry.out());
      assertTrue(dry.out().contains(" --conf spark.x=1 " + jar + " run --config conf/cluster.conf.template\n"),
          dry.out());
    }

    Outcome missing = submit(false, "run", "--config", "conf/cluster.conf.template");
    assertEquals(2, missing.exitCode(), missing.out());
    assertTrue(missing.out().contains("SPARK_HOME") && missing.out().contains("pql.submit.spark-submit"), missing.out());

    Outcome submitted = submit(true, "run", "--config", "conf/cluster.conf.template", "--conf", "spark.x=1");
    assertEquals(0, submitted.exitCode(), submitted.out());
    assertTrue(submitted.out().contains("spark-submit --master yarn"), submitted.out());
  }
}
