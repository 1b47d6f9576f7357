package dev.pql.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The java.nio local file system does what Hadoop's does: the same permissions, links and renames. */
class NioLocalFileSystemTest {
  @TempDir
  java.nio.file.Path dir;

  private static Configuration conf(boolean nio) {
    Configuration conf = new Configuration();
    conf.setBoolean("fs.file.impl.disable.cache", true);
    if (nio) NioLocalFileSystem.sparkConf().forEach((k, v) -> conf.set(k.substring("spark.hadoop.".length()), v));
    return conf;
  }

  @Test
  void newFilesAndFoldersGetTheModesHadoopGivesThem() throws Exception {
    FileSystem nio = FileSystem.get(dir.toUri(), conf(true));
    FileSystem hadoop = FileSystem.get(dir.toUri(), conf(false));
    assertTrue(nio instanceof NioLocalFileSystem, nio.getClass().getName());
    assertFalse(hadoop instanceof NioLocalFileSystem);
    for (FileSystem fs : new FileSystem[] {nio, hadoop}) {
      String name = fs == nio ? "nio" : "hadoop";
      fs.mkdirs(new Path(dir.toString(), name + "/folder"));
      fs.create(new Path(dir.toString(), name + "/folder/file")).close();
      fs.setPermission(new Path(dir.toString(), name + "/folder/file"), new FsPermission((short) 0640));
    }
    for (String path : new String[] {"", "/folder", "/folder/file", "/folder/.file.crc"}) {
      assertEquals(mode(dir.resolve("hadoop" + path)), mode(dir.resolve("nio" + path)), path);
    }
    assertEquals("rw-r-----", mode(dir.resolve("nio/folder/file")));
    assertEquals("rwxr-xr--", PosixFilePermissions.toString(NioLocalFileSystem.posix((short) 0754)));
  }

  @Test
  void linksAreStillLinksAndRenamesStillRename() throws Exception {
    java.nio.file.Path target = Files.writeString(dir.resolve("target"), "x");
    Files.createSymbolicLink(dir.resolve("link"), target);
    FileSystem nio = FileSystem.get(dir.toUri(), conf(true));
    FileSystem hadoop = FileSystem.get(dir.toUri(), conf(false));
    // Hadoop answers a link by asking readlink, which sees one only through a path without a scheme.
    for (Path path : new Path[] {new Path(dir.resolve("link").toString()), new Path(dir.resolve("link").toUri()),
        new Path(target.toUri())}) {
      FileStatus expected = hadoop.getFileLinkStatus(path);
      FileStatus actual = nio.getFileLinkStatus(path);
      assertEquals(expected.isSymlink(), actual.isSymlink(), path.toString());
      assertEquals(expected.getLen(), actual.getLen(), path.toString());
      assertEquals(expected.isSymlink() ? expected.getSymlink() : null, actual.isSymlink() ? actual.getSymlink()
          : null, path.toString());
    }
    assertTrue(nio.getFileLinkStatus(new Path(dir.resolve("link").toString())).isSymlink());

    FileContext context = FileContext.getFileContext(dir.toUri(), conf(true));
    assertTrue(context.getDefaultFileSystem() instanceof NioLocalFileSystem.Fs,
        context.getDefaultFileSystem().getClass().getName());
    context.rename(new Path(target.toUri()), new Path(dir.resolve("moved").toUri()), Options.Rename.NONE);
    assertEquals("x", Files.readString(dir.resolve("moved")));
    assertFalse(Files.exists(target));
  }

  private static String mode(java.nio.file.Path path) throws java.io.IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }
}
