package dev.pql.io;

import dev.pql.PqlException.WarehouseBusy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * One writing run per warehouse: a lease file ({@value #NAME}) created atomically when a run starts, renewed while
 * it runs and deleted when it ends. A second run finds it and refuses (exit 5) unless its holder is dead: a process
 * of this host that no longer exists (its pid gone, or taken by a process started at another time: pids and thread
 * ids share one space that wraps within hours on a busy machine), or a holder anywhere that has not renewed it for
 * the lease's time (a killed driver on another machine). Creation is atomic on a local file system and on HDFS; on
 * S3 it is not (S3A has no create-if-absent), so two runs started in the same instant may both proceed: the README
 * says one writer per warehouse on s3a://.
 */
public final class WarehouseLease implements AutoCloseable {
  public static final String NAME = "_pql_lease";

  private final FileSystem fs;
  private final Path path;
  private final Properties holder;
  private final ScheduledExecutorService renewer;

  private WarehouseLease(FileSystem fs, Path path, Properties holder, Duration ttl) {
    this.fs = fs;
    this.path = path;
    this.holder = holder;
    this.renewer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "pql-lease");
      t.setDaemon(true);
      return t;
    });
    long every = Math.max(1, ttl.toMillis() / 4);
    renewer.scheduleAtFixedRate(this::renew, every, every, TimeUnit.MILLISECONDS);
  }

  /**
   * Who holds a lease: the run, its command, host and process (with the process's start time, 0 when unknown), and
   * when it last renewed it.
   */
  public record Holder(String runId, String command, String host, long pid, long startedAtMs, Instant renewedAt) {
    boolean dead(Duration ttl, Instant now) {
      if (host.equals(thisHost()) && pid > 0 && !processAlive(pid, startedAtMs)) return true;
      return renewedAt.plus(ttl).isBefore(now);
    }

    String describe() {
      return String.format("run %s (%s, process %d on %s, renewed %s)", runId, command, pid, host, renewedAt);
    }
  }

  /**
   * Takes the warehouse's lease for a run, or refuses with {@link WarehouseBusy} naming the run that holds it. A
   * dead holder's lease is taken over; {@code abandoned} receives its run id so the run log can mark it.
   */
  public static WarehouseLease acquire(Configuration conf, String warehouseUri, String runId, String command,
      Duration ttl, java.util.function.Consumer<String> abandoned) {
    Path path = new Path(warehouseUri, NAME);
    String warehouse = warehouseUri.replaceAll("/+$", "");
    try {
      FileSystem fs = path.getFileSystem(conf);
      for (int attempt = 0; attempt < 3; attempt++) {
        Properties mine = properties(runId, command);
        if (create(fs, path, mine)) return new WarehouseLease(fs, path, mine, ttl);
        Holder other = read(fs, path);
        if (other == null) continue; // released between our attempt and our read
        if (!other.dead(ttl, Instant.now())) {
          throw new WarehouseBusy("The warehouse " + warehouse + " is in use by " + other.describe()
              + ": wait for it to finish, or, if it died on another machine, for its lease to expire "
              + ttl.toSeconds() + " s after its last renewal (pql.run.lease-seconds)");
        }
        fs.delete(path, false);
        if (!other.runId().equals(runId)) abandoned.accept(other.runId());
      }
      throw new WarehouseBusy("The warehouse " + warehouse + " lease " + path + " keeps changing hands: another "
          + "run is starting; try again");
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot take the lease " + path, e);
    }
  }

  /**
   * Whether the process with this pid still runs and is the one started then, when its start time is known (to a
   * second: the kernel counts it in clock ticks, and two readers may round the boot time differently).
   */
  static boolean processAlive(long pid, long startedAtMs) {
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
        .filter(p -> startedAtMs <= 0 || startedAtMs(p) <= 0 || Math.abs(startedAtMs(p) - startedAtMs) <= 1_000)
        .isPresent();
  }

  private static long startedAtMs(ProcessHandle process) {
    return process.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
  }

  /** The lease's holder, or null when nobody holds it. */
  public static Holder holder(Configuration conf, String warehouseUri) {
    Path path = new Path(warehouseUri, NAME);
    try {
      return read(path.getFileSystem(conf), path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean create(FileSystem fs, Path path, Properties p) throws IOException {
    fs.mkdirs(path.getParent());
    if (fs.getUri().getScheme().equals("file")) {
      // java.nio's CREATE_NEW is atomic; Hadoop's local create(overwrite = false) checks, then creates.
      try {
        Files.write(Paths.get(path.toUri()), bytes(p), java.nio.file.StandardOpenOption.CREATE_NEW,
            java.nio.file.StandardOpenOption.WRITE);
        return true;
      } catch (FileAlreadyExistsException e) {
        return false;
      }
    }
    try (FSDataOutputStream out = fs.create(path, false)) {
      out.write(bytes(p));
      return true;
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    }
  }

  private static Holder read(FileSystem fs, Path path) throws IOException {
    Properties p = new Properties();
    try (java.io.InputStream in = fs.open(path)) {
      p.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
    } catch (java.io.FileNotFoundException e) {
      return null;
    }
    return new Holder(p.getProperty("run_id", "?"), p.getProperty("command", "?"), p.getProperty("host", "?"),
        Long.parseLong(p.getProperty("pid", "-1")), Long.parseLong(p.getProperty("process_started_at_ms", "0")),
        Instant.ofEpochMilli(Long.parseLong(p.getProperty("renewed_at_ms", "0"))));
  }

  private static Properties properties(String runId, String command) {
    Properties p = new Properties();
    p.setProperty("run_id", runId);
    p.setProperty("command", command);
    p.setProperty("host", thisHost());
    p.setProperty("pid", String.valueOf(ProcessHandle.current().pid()));
    p.setProperty("process_started_at_ms", String.valueOf(startedAtMs(ProcessHandle.current())));
    p.setProperty("renewed_at_ms", String.valueOf(System.currentTimeMillis()));
    return p;
  }

  private static byte[] bytes(Properties p) {
    StringBuilder text = new StringBuilder();
    p.stringPropertyNames().stream().sorted().forEach(k -> text.append(k).append('=').append(p.getProperty(k))
        .append('\n'));
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String thisHost() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return ManagementFactory.getRuntimeMXBean().getName();
    }
  }

  /** Rewrites the lease with a new renewal time, if it is still this run's. */
  private void renew() {
    try {
      Holder now = read(fs, path);
      if (now == null || !now.runId().equals(holder.getProperty("run_id"))) return;
      holder.setProperty("renewed_at_ms", String.valueOf(System.currentTimeMillis()));
      try (FSDataOutputStream out = fs.create(path, true)) {
        out.write(bytes(holder));
      }
    } catch (IOException | RuntimeException e) {
      // A missed renewal only shortens the lease; the next one may succeed.
    }
  }

  /** Releases the lease if this run still holds it. */
  @Override
  public void close() {
    renewer.shutdownNow();
    try {
      Holder now = read(fs, path);
      if (now != null && now.runId().equals(holder.getProperty("run_id"))) fs.delete(path, false);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot release the lease " + path, e);
    }
  }
}
