package dev.pql.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A smoke run of the benchmark at a tiny size, so that it cannot rot. Its timings are printed, never asserted. */
class BenchTest {
  @TempDir Path dir;

  @Test
  void aTinyRunMeasuresEveryStageAndAppendsItsTable() throws Exception {
    List<Bench.Measure> measures = Bench.run(List.of(20_000L), 2, 21, dir, "local[2]",
        java.util.Set.of("ingest", "features", "train"), null,
        java.util.Map.of("pql.features.user-windows", "[7, 14, 30]"));
    // The lake's generation is timed too; three weeks are too few to train on: the stage says so instead of a time.
    assertEquals(List.of("generate the lake", "ingest", "features, 1 snapshot", "features, 2 snapshots", "train"),
        measures.stream().map(Bench.Measure::stage).toList());
    Bench.Measure generated = measures.get(0);
    assertTrue(generated.note().matches("[0-9,]+ accounts"), generated.note());
    measures = measures.subList(1, measures.size());
    assertTrue(measures.get(3).note().startsWith("skipped: "), measures.get(3).note());
    // DuckDB reads, checks, deduplicates and writes the same event files: the same rows kept, rejected, doubled.
    assertTrue(measures.get(0).note().matches("DuckDB; the same [0-9,]+ rows read: [0-9,]+ written, [0-9,]+ "
        + "rejected, [0-9,]+ duplicates"), measures.get(0).note());
    assertTrue(measures.get(0).referenceSeconds() > 0);
    // DuckDB computes the same snapshot from the same files: every column of every account agrees.
    // The widths are printed: with user windows 7, 14 and 30 (--conf), per key event the total, days to first, 7
    // windows, 5 since signup and 3 of distinct users.
    assertTrue(measures.get(1).note().matches("DuckDB; same [0-9,]+ accounts in both; [0-9,]+ columns \\([0-9]+ key "
        + "events x 17 \\+ [0-9]+\\)"), measures.get(1).note());
    assertTrue(measures.get(2).note().matches("[0-9,]+ columns \\([0-9]+ key events x 17 \\+ [0-9]+\\)"),
        measures.get(2).note());
    assertTrue(measures.get(1).referenceSeconds() > 0);
    long events = measures.get(0).events();
    assertTrue(events > 0 && measures.stream().allMatch(m -> m.events() == events), measures.toString());
    assertTrue(generated.events() >= events, "source rows, the faulty ones included: " + generated);
    Path results = dir.resolve("RESULTS.md");
    Bench.append(results, Bench.table(measures));
    Bench.append(results, Bench.table(measures));
    String text = Files.readString(results);
    assertEquals(2, text.split("\\| events \\| stage \\|", -1).length - 1, "results accumulate");
    assertTrue(text.contains("| features, 2 snapshots | "), text);
  }
}
