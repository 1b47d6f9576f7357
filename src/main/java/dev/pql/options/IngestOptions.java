package dev.pql.options;

import picocli.CommandLine.Command;

@Command(name = "ingest",
    description = "Read an event lake through a source mapping into the Delta tables events, events_rejected, "
    + "accounts and conversions.")
public final class IngestOptions extends LakeCommandOptions {}
