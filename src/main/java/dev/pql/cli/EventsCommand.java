package dev.pql.cli;

import dev.pql.config.Settings;
import dev.pql.ingest.LakeEvents;
import dev.pql.io.StageContext;
import dev.pql.options.EventsOptions;

final class EventsCommand extends SparkCommand<EventsOptions> {
  EventsCommand() {
    super(new EventsOptions());
  }

  @Override
  int run(Settings settings, StageContext context) {
    LakeEvents.Listing listing = LakeEvents.list(context.spark(), settings, Math.max(1, options.limit));
    System.out.print(Report.events(settings.ingest().events().path(), listing));
    return 0;
  }

  @Override
  boolean writesWarehouse() {
    return false;
  }
}
