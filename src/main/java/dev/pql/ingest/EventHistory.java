package dev.pql.ingest;

import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;

import dev.pql.PqlException.NotEnoughData;
import dev.pql.io.DeltaStore;
import dev.pql.io.Tables;
import java.time.LocalDate;
import org.apache.spark.sql.Row;

/**
 * The span of the ingested events. Its end is pql's one "end of the data": the first day without events, the day
 * after the latest event date in {@code events}. Every horizon that labels a snapshot, every conversion window of
 * the metrics and the snapshots the pipeline builds end on or before it.
 */
public final class EventHistory {
  private EventHistory() {}

  /** The first day without events: the day after the latest event date in events. */
  public static LocalDate dataEnd(DeltaStore store) {
    return span(store).getDate(1).toLocalDate().plusDays(1);
  }

  /** The earliest event date in events. */
  public static LocalDate firstEventDate(DeltaStore store) {
    return span(store).getDate(0).toLocalDate();
  }

  /** The earliest and latest event dates; Delta answers this aggregate from its log (a LocalTableScan, no file read). */
  private static Row span(DeltaStore store) {
    if (!store.exists(Tables.EVENTS)) {
      throw new NotEnoughData("No events table in " + store.warehouse() + ": run `pql ingest` first");
    }
    Row span = store.read(Tables.EVENTS).agg(min("event_date"), max("event_date")).first();
    if (span.isNullAt(1)) throw new NotEnoughData("The events table is empty: no data to work from");
    return span;
  }
}
