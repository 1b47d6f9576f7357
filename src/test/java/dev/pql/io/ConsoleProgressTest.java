package dev.pql.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A stage's progress line is completed in place, and a log line written meanwhile is never inside it. */
class ConsoleProgressTest {
  private static String time(String text) {
    return text.replaceAll("[0-9]+\\.[0-9] s:", "T s:");
  }

  @Test
  void pipedTheLineEndsWithTheTimeAndWhatTheStageDid() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ConsoleProgress p = new ConsoleProgress(new PrintStream(bytes, true), false);
    p.start("[1/7] ingest    ... ", null);
    p.end("12 rows");
    assertEquals("[1/7] ingest    ... T s: 12 rows\n", time(bytes.toString(StandardCharsets.UTF_8)));
  }

  @Test
  void aLogLineOnStderrEndsTheOpenLineAndTheStagesEndIsALineOfItsOwn() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream stderr = System.err;
    System.setErr(new PrintStream(err, true));
    try {
      ConsoleProgress.guardStderr();
      ConsoleProgress p = new ConsoleProgress(new PrintStream(out, true), true);
      p.start("[3/7] train     ... ", null);
      System.err.print("12:00:00 WARN Delta: a warning\n");
      p.end("model m1");
      assertEquals("[3/7] train     ... \n[3/7] train     ... T s: model m1\n",
          time(out.toString(StandardCharsets.UTF_8)));
      assertEquals("12:00:00 WARN Delta: a warning\n", err.toString(StandardCharsets.UTF_8));

      // Undisturbed, a terminal's line is rewritten in place and cleared to its end.
      out.reset();
      p.start("[4/7] score     ... ", null);
      p.end("1 snapshot");
      String line = out.toString(StandardCharsets.UTF_8);
      assertTrue(time(line).equals("[4/7] score     ... \r[4/7] score     ... T s: 1 snapshot\033[K\n"), line);
    } finally {
      System.setErr(stderr);
    }
  }
}
