package dev.pql.io;

import java.util.List;

/**
 * Whether what a stage wrote is up to date with what it reads. A marker under the warehouse's _pql_checkpoints
 * holds a digest of what the stage ran with (its settings, the files it read) and the version of each table it read
 * and wrote, as they stood when it last ended. A stage that finds the same has nothing to do; any write to one of
 * those tables (a new version), a table deleted or replaced, or other settings, and it runs. The marker is written
 * after the stage's last commit, so a run killed before it leaves the marker stale and the next run does the work
 * again.
 */
public final class UpToDate {
  private final DeltaStore store;
  private final String marker;
  private final String inputs;
  private final List<String> tables;

  private UpToDate(DeltaStore store, String marker, String inputs, List<String> tables) {
    this.store = store;
    this.marker = marker;
    this.inputs = inputs;
    this.tables = tables;
  }

  /**
   * @param name the marker's name, one per stage (and per source or mapping where a stage has several)
   * @param inputs what the stage ran with besides tables: settings, file digests
   * @param tables the tables it reads and writes, by name
   */
  public static UpToDate of(DeltaStore store, String name, String inputs, List<String> tables) {
    return new UpToDate(store, "_pql_checkpoints/" + name, Digests.text(inputs), List.copyOf(tables));
  }

  /** Whether the tables and inputs are as the stage left them when it last ended. */
  public boolean holds() {
    return store.readText(marker).map(state()::equals).orElse(false);
  }

  /** After the stage's last commit: the tables and inputs as it leaves them. */
  public void record() {
    store.writeText(marker, state());
  }

  private String state() {
    StringBuilder state = new StringBuilder("inputs=").append(inputs).append('\n');
    for (String table : tables) state.append(table).append('=').append(store.version(table)).append('\n');
    return state.toString();
  }
}
