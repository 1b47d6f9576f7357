package dev.pql.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The reference run of {@link SampleRun} ran on a real standalone cluster (a master and a worker started from the
 * project's jars), submitted with jobs/pql-submit: two executor JVMs besides the driver, from a jar that holds none
 * of what the cluster provides. That its tables are those local mode writes from the same lake is {@link FaultIT}'s
 * comparison: its chain runs in local mode.
 */
class ClusterIT {
  @Test
  void theClusterRunsThePipelineInTwoExecutorJvmsFromAJarWithoutSpark() throws Exception {
    SampleRun.Reference reference = SampleRun.reference();
    assertTrue(reference.masterOutput().contains("Registered app pql run"), reference.masterOutput());
    assertEquals(2, reference.executorPids().size(), "executor JVMs under the worker: " + reference.executorPids());
    assertTrue(reference.executorPids().stream().noneMatch(pid -> pid == reference.driverPid()),
        "the driver is not one of them");
    assertEquals(List.of("0", "1"), LocalSparkHome.executorDirectories(reference.workerDir()).stream()
        .map(d -> d.substring(d.indexOf('/') + 1)).toList(), "one application, executors 0 and 1");

    // The jar submitted holds pql and its two small libraries, none of what the cluster provides.
    try (java.util.zip.ZipFile jar = new java.util.zip.ZipFile(
        ServiceProcess.HOME.resolve("target/pql-cluster.jar").toFile())) {
      List<String> entries = jar.stream().map(java.util.zip.ZipEntry::getName).toList();
      assertTrue(entries.contains("dev/pql/cli/Main.class") && entries.contains("com/typesafe/config/Config.class"));
      assertTrue(entries.stream().noneMatch(e -> e.startsWith("org/apache/spark/") || e.startsWith("io/delta/")
          || e.startsWith("org/apache/hadoop/") || e.startsWith("scala/")), "no Spark, Delta, Hadoop or Scala inside");
    }
    System.out.printf("ClusterIT: %d executor JVMs ran the reference run%n", reference.executorPids().size());
  }
}
