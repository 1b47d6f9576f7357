package dev.pql.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pql.PqlException.WarehouseBusy;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WarehouseLeaseTest {
  private static final Duration TTL = Duration.ofSeconds(120);
  private final Configuration conf = new Configuration();
  @TempDir Path warehouse;

  @Test
  void aSecondRunIsRefusedWithExitFiveNamingTheHolderAndMayStartOnceTheFirstEnds() {
    List<String> abandoned = new ArrayList<>();
    try (WarehouseLease first = WarehouseLease.acquire(conf, warehouse.toUri().toString(), "run-1", "run", TTL,
        abandoned::add)) {
      WarehouseBusy busy = assertThrows(WarehouseBusy.class,
          () -> WarehouseLease.acquire(conf, warehouse.toUri().toString(), "run-2", "ingest", TTL, abandoned::add));
      assertEquals(5, busy.exitCode());
      assertTrue(busy.getMessage().contains("in use by run run-1 (run, process " + ProcessHandle.current().pid()),
          busy.getMessage());
      assertEquals("run-1", WarehouseLease.holder(conf, warehouse.toUri().toString()).runId());
    }
    assertNull(WarehouseLease.holder(conf, warehouse.toUri().toString()), "released when the run ends");
    WarehouseLease.acquire(conf, warehouse.toUri().toString(), "run-2", "ingest", TTL, abandoned::add).close();
    assertEquals(List.of(), abandoned, "nobody died");
  }

  @Test
  void aLeaseWhoseProcessIsGoneIsTakenOverAtOnceAndItsRunReportedDead() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    writeLease("run-killed", InetAddress.getLocalHost().getHostName(), gone.pid(), System.currentTimeMillis());
    List<String> abandoned = new ArrayList<>();
    WarehouseLease.acquire(conf, warehouse.toUri().toString(), "run-2", "run", TTL, abandoned::add).close();
    assertEquals(List.of("run-killed"), abandoned);
  }

  @Test
  void aLeaseWhosePidNowBelongsToAnotherProcessIsTakenOver() throws Exception {
    // Pids are reused (pids and thread ids wrap within a long suite): the lease's pid is this very process's, but
    // the process that wrote it started an hour earlier.
    long started = ProcessHandle.current().info().startInstant().orElseThrow().toEpochMilli();
    String host = InetAddress.getLocalHost().getHostName();
    long pid = ProcessHandle.current().pid();
    Files.writeString(warehouse.resolve(WarehouseLease.NAME), "command=run\nhost=" + host + "\npid=" + pid
        + "\nprocess_started_at_ms=" + started + "\nrenewed_at_ms=" + System.currentTimeMillis() + "\nrun_id=same\n");
    assertThrows(WarehouseBusy.class,
        () -> WarehouseLease.acquire(conf, warehouse.toUri().toString(), "run-2", "run", TTL, id -> {}),
        "the same process, started then: alive");
    Files.writeString(warehouse.resolve(WarehouseLease.NAME), "command=run\nhost=" + host + "\npid=" + pid
        + "\nprocess_started_at_ms=" + (started - 3_600_000) + "\nrenewed_at_ms=" + System.currentTimeMillis()
        + "\nrun_id=reused\n");
    List<String> abandoned = new ArrayList<>();
    WarehouseLease.acquire(conf, warehouse.toUri().toString(), "run-2", "run", TTL, abandoned::add).close();
    assertEquals(List.of("reused"), abandoned);
  }

  @Test
  void aLeaseFromAnotherMachineHoldsUntilItHasNotBeenRenewedForItsTime() throws IOException {
    writeLease("run-elsewhere", "some-other-host", 1, System.currentTimeMillis() - 60_000);
    assertThrows(WarehouseBusy.class,
        () -> WarehouseLease.acquire(conf, warehouse.toUri().toString(), "run-2", "run", TTL, id -> {}));
    writeLease("run-elsewhere", "some-other-host", 1, System.currentTimeMillis() - 121_000);
    List<String> abandoned = new ArrayList<>();
    WarehouseLease.acquire(conf, warehouse.toUri().toString(), "run-2", "run", TTL, abandoned::add).close();
    assertEquals(List.of("run-elsewhere"), abandoned);
  }

  private void writeLease(String runId, String host, long pid, long renewedAtMs) throws IOException {
    Files.writeString(warehouse.resolve(WarehouseLease.NAME), "command=run\nhost=" + host + "\npid=" + pid
        + "\nrenewed_at_ms=" + renewedAtMs + "\nrun_id=" + runId + "\n");
  }
}
