package dev.pql.options;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "events",
    description = "List the events a lake holds, read through its source mapping: each name with its rows, accounts "
    + "and users and its first and last day, and how many rows the mapping rejects — to choose "
    + "pql.features.key-events and write definitions for a lake pql has not seen. Writes nothing.")
public final class EventsOptions extends LakeCommandOptions {
  @Option(names = "--limit", paramLabel = "N", defaultValue = "100",
      description = "Show at most N events, the most frequent first (default: ${DEFAULT-VALUE}).")
  public int limit;
}
