package dev.pql.io;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFs;
import org.apache.hadoop.fs.DelegateToFileSystem;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.io.nativeio.NativeIO;

/**
 * Hadoop's local file system without a process per file. Without Hadoop's native library (Maven ships none),
 * {@code file:} sets each new file's permissions by running {@code chmod} and checks each renamed file for a link
 * by running {@code readlink}: a Delta write of 20 small files forks some 60 processes, 7 ms each here. This one
 * does both through java.nio, and leaves everything else, and machines with the native library, to Hadoop.
 * {@link SparkSessions} installs it in local sessions for {@code file:} paths ({@code fs.file.impl}, and
 * {@code fs.AbstractFileSystem.file.impl} for Delta's log and streaming checkpoints).
 */
public class NioLocalFileSystem extends LocalFileSystem {
  public NioLocalFileSystem() {
    super(new Raw());
  }

  /** The raw (checksum-less) file system underneath. */
  public static class Raw extends RawLocalFileSystem {
    @Override
    public void setPermission(Path p, FsPermission permission) throws IOException {
      java.nio.file.Path file = pathToFile(p).toPath();
      if (NativeIO.isAvailable() || permission.getStickyBit()
          || !file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
        super.setPermission(p, permission);
        return;
      }
      try {
        Files.setPosixFilePermissions(file, posix(permission.toShort()));
      } catch (java.nio.file.NoSuchFileException e) {
        throw new java.io.FileNotFoundException("File " + p + " does not exist");
      }
    }

    /** A link's status as Hadoop gives it; anything else's without asking {@code readlink}. */
    @Override
    public FileStatus getFileLinkStatus(Path f) throws IOException {
      if (NativeIO.isAvailable() || Files.isSymbolicLink(pathToFile(f).toPath())) return super.getFileLinkStatus(f);
      return getFileStatus(f);
    }
  }

  /** The same for {@code FileContext} users (Delta's log store, Spark's streaming checkpoints). */
  public static class Fs extends ChecksumFs {
    public Fs(URI uri, Configuration conf) throws IOException, URISyntaxException {
      super(new DelegateToFileSystem(uri, new Raw(), conf, "file", false) {
        // As Hadoop's RawLocalFs: no port, local defaults, any name.
        @Override
        public int getUriDefaultPort() {
          return -1;
        }

        @Override
        public org.apache.hadoop.fs.FsServerDefaults getServerDefaults(Path f) throws IOException {
          return org.apache.hadoop.fs.local.LocalConfigKeys.getServerDefaults();
        }

        @Override
        @Deprecated
        public org.apache.hadoop.fs.FsServerDefaults getServerDefaults() throws IOException {
          return org.apache.hadoop.fs.local.LocalConfigKeys.getServerDefaults();
        }

        @Override
        public boolean isValidName(String src) {
          return true;
        }
      });
    }
  }

  /** The Spark settings that install it. */
  public static java.util.Map<String, String> sparkConf() {
    return java.util.Map.of("spark.hadoop.fs.file.impl", NioLocalFileSystem.class.getName(),
        "spark.hadoop.fs.AbstractFileSystem.file.impl", Fs.class.getName());
  }

  /** Unix mode bits (e.g. 0644) as java.nio permissions, through Hadoop's own rwx text of them. */
  static Set<PosixFilePermission> posix(short mode) {
    return PosixFilePermissions.fromString(new FsPermission(mode).toString());
  }
}
