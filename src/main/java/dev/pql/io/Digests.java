package dev.pql.io;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.sql.SparkSession;

/** Short names for what a text or a set of files holds: SHA-256, in hex. */
public final class Digests {
  private Digests() {}

  /** The first 16 hex digits of the text's SHA-256: a name for what the text configures. */
  public static String text(String text) {
    return HexFormat.of().formatHex(sha256().digest(text.getBytes(StandardCharsets.UTF_8)), 0, 8);
  }

  /**
   * A settings value as text that is the same in every JVM: a record's toString, with the entries of each map and
   * the elements of each set in sorted order (Map.of and Set.of iterate in an order that changes from JVM to JVM).
   * Lists keep their order.
   */
  public static String canonical(Object value) {
    if (value instanceof Record r) {
      List<String> parts = new ArrayList<>();
      for (java.lang.reflect.RecordComponent c : r.getClass().getRecordComponents()) {
        try {
          java.lang.reflect.Method accessor = c.getAccessor();
          accessor.setAccessible(true);
          parts.add(c.getName() + "=" + canonical(accessor.invoke(r)));
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException("Cannot read " + c.getName() + " of " + r.getClass().getSimpleName(), e);
        }
      }
      return r.getClass().getSimpleName() + "[" + String.join(", ", parts) + "]";
    }
    if (value instanceof java.util.Map<?, ?> m) {
      List<String> entries = new ArrayList<>();
      m.forEach((k, v) -> entries.add(canonical(k) + "=" + canonical(v)));
      Collections.sort(entries);
      return "{" + String.join(", ", entries) + "}";
    }
    if (value instanceof java.util.Collection<?> c) {
      List<String> elements = new ArrayList<>();
      c.forEach(e -> elements.add(canonical(e)));
      if (!(value instanceof List)) Collections.sort(elements);
      return "[" + String.join(", ", elements) + "]";
    }
    return String.valueOf(value);
  }

  /**
   * What the files under a path hold, as a digest: the salt (a format, its options) and the path, length and
   * modification time of every file under it (globs expanded, folders listed to their leaves, a Delta log's commits
   * included). Equal digests mean the same files as they were; empty when the path is not a file system path or
   * cannot be listed, so a caller that skips work on unchanged files never skips then.
   */
  public static Optional<String> files(SparkSession spark, String location, String salt) {
    try {
      Path path = new Path(location);
      FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
      FileStatus[] matched = fs.globStatus(path);
      if (matched == null || matched.length == 0) return Optional.empty();
      List<String> files = new ArrayList<>();
      for (FileStatus status : matched) {
        RemoteIterator<LocatedFileStatus> leaves = fs.listFiles(status.getPath(), true);
        while (leaves.hasNext()) {
          LocatedFileStatus f = leaves.next();
          files.add(f.getPath() + " " + f.getLen() + " " + f.getModificationTime());
        }
      }
      Collections.sort(files);
      MessageDigest digest = sha256();
      digest.update(salt.getBytes(StandardCharsets.UTF_8));
      for (String f : files) digest.update(("\n" + f).getBytes(StandardCharsets.UTF_8));
      return Optional.of(HexFormat.of().formatHex(digest.digest()));
    } catch (Exception e) { // not a file system path, or one that cannot be listed: no digest, no skipping
      return Optional.empty();
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
