package dev.pql.generate;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.dense_rank;
import static org.apache.spark.sql.functions.date_format;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.map_concat;
import static org.apache.spark.sql.functions.map;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.regexp_replace;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;
import static org.apache.spark.sql.functions.when;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.SaveMode;

/**
 * The generated events as the product analytics tools export them, each in its documented layout with the quirks
 * a reader meets, so that each shipped mapping is tested on what the vendor writes: the same rows (faults included:
 * a missing id, account or time, a time in 2100, a re-sent duplicate) under the vendor's field names and formats.
 * Account history is not an analytics export: every vendor's mapping reads it from the generic accounts table, as
 * a billing database would hold it.
 *
 * <pre>
 * OUTPUT/amplitude/events  Export API: gzipped JSON lines; $insert_id (the id to deduplicate on), uuid (new for a
 *                          re-sent copy), event_id (a per-device counter, not unique), event_type, event_time and
 *                          server_received_time ("yyyy-MM-dd HH:mm:ss.SSSSSS", UTC), user_id, device_id,
 *                          amplitude_id, groups {company: [id]}, event_properties, user_properties, ip_address
 * OUTPUT/mixpanel/events   raw export: JSON lines {event, properties {time (epoch seconds), distinct_id,
 *                          $insert_id, $device_id, $user_id, mp_processing_time_ms, company_id, ...}}
 * OUTPUT/posthog/events    JSON lines: uuid, event, distinct_id, person_id, timestamp (ISO-8601), created_at,
 *                          properties as a JSON string with $group_0 (the company) and the event's properties
 * OUTPUT/snowplow/events   enriched events as the loaders write atomic.events (Parquet): event_id, event
 *                          (struct), event_name ("event" for a structured event, whose action is se_action),
 *                          se_category, se_action, collector_tstamp, derived_tstamp, dvce_created_tstamp,
 *                          user_id, domain_userid, user_ipaddress, contexts_com_acme_workspace_1 [{id}]
 * </pre>
 *
 * <p>Each user's first two events are a visitor's before the login (Amplitude, Mixpanel, Snowplow): the device id
 * without the user id, as these tools record a visitor, when the user has at least four events without a fault
 * (the later ones carry both ids, which links them). PostHog links only through an $identify event, not written
 * here: its layout keeps every user id.
 */
final class VendorLayouts {
  private VendorLayouts() {}

  /** A time as Amplitude exports it: UTC, a space, microseconds, no zone. */
  private static Column amplitudeTime(Column ts) {
    return date_format(ts, "yyyy-MM-dd HH:mm:ss.SSSSSS");
  }

  /** The column saying an event came before its user's login: its user id is left out where the tool would. */
  static final String BEFORE_LOGIN = "before_login";

  /**
   * The events with {@value #BEFORE_LOGIN}: each user's first two events without a fault (late ones included), and
   * their re-sent copies, when the user has at least four; the generator's fault column dropped.
   */
  static Dataset<Row> withLogins(Dataset<Row> events) {
    Column clean = col("fault").isNull().or(col("fault").equalTo("LATE")).and(col("user_id").isNotNull())
        .and(col("event_id").isNotNull());
    Dataset<Row> ranked = events.withColumn("pql_clean", clean)
        .withColumn("pql_rank", dense_rank().over(Window.partitionBy(col("user_id"), col("pql_clean"))
            .orderBy(col("ts"), col("event_id"))))
        .withColumn("pql_events", count(lit(1)).over(Window.partitionBy(col("user_id"), col("pql_clean"))));
    Column first = col("pql_clean").and(col("pql_rank").leq(2)).and(col("pql_events").geq(4));
    // A re-sent copy is a fault of its own: it takes its original's mark (rows without an id are never first).
    return ranked.withColumn(BEFORE_LOGIN, max(first).over(Window.partitionBy(col("event_id"))))
        .drop("pql_clean", "pql_rank", "pql_events", "fault");
  }

  /** The user id, or none before the login. */
  private static Column userUnlessBeforeLogin() {
    return when(col(BEFORE_LOGIN), lit(null).cast("string")).otherwise(col("user_id"));
  }

  /** An anonymous device id standing for a user's browser or phone. */
  private static Column device(Column user) {
    return concat(lit("dev-"), regexp_replace(user, ":", "-"));
  }

  static void amplitude(Dataset<Row> events, int files, String out) {
    Dataset<Row> rows = events.select(
        col("event_id").as("$insert_id"),
        expr("uuid()").as("uuid"),
        expr("row_number() OVER (PARTITION BY user_id ORDER BY ts, event_id)").as("event_id"),
        col("event").as("event_type"),
        amplitudeTime(col("ts")).as("event_time"),
        amplitudeTime(col("ts")).as("client_event_time"),
        amplitudeTime(col("received_at")).as("server_received_time"),
        userUnlessBeforeLogin().as("user_id"),
        device(col("user_id")).as("device_id"),
        expr("abs(xxhash64(user_id)) % 1000000000").as("amplitude_id"),
        struct(array(col("account_id")).as("company")).as("groups"),
        col("properties").as("event_properties"),
        struct(concat(regexp_replace(col("user_id"), ":", "."), lit("@example.com")).as("email")).as("user_properties"),
        lit("203.0.113.7").as("ip_address"),
        lit("Web").as("platform"));
    rows.coalesce(files).write().mode(SaveMode.Overwrite).option("compression", "gzip").json(out + "/amplitude/events");
  }

  static void mixpanel(Dataset<Row> events, int files, String out) {
    // The event's own properties beside Mixpanel's, in one object; `time` and `mp_processing_time_ms` are numbers
    // (absent when unknown), so each line is written as Mixpanel writes it rather than through a schema.
    Column strings = to_json(map_concat(col("properties"), map(
        lit("distinct_id"), when(col(BEFORE_LOGIN), concat(lit("$device:"), device(col("user_id"))))
            .otherwise(col("user_id")),
        lit("$insert_id"), col("event_id"),
        lit("$user_id"), userUnlessBeforeLogin(),
        lit("$device_id"), device(col("user_id")),
        lit("company_id"), col("account_id"))));
    Column numbers = concat(
        when(col("ts").isNotNull(), concat(lit("\"time\":"), col("ts").cast("long"), lit(","))).otherwise(lit("")),
        lit("\"mp_processing_time_ms\":"), col("received_at").cast("double").multiply(1000).cast("long"), lit(","));
    Column line = concat(regexp_replace(to_json(struct(col("event"))), "\\}$", ""), lit(",\"properties\":{"), numbers,
        regexp_replace(strings, "^\\{", ""), lit("}"));
    events.select(line.as("value")).coalesce(files).write().mode(SaveMode.Overwrite).text(out + "/mixpanel/events");
  }

  static void posthog(Dataset<Row> events, int files, String out) {
    Column properties = to_json(map_concat(col("properties"), map(lit("$group_0"), col("account_id"),
        lit("$lib"), lit("web"))));
    Dataset<Row> rows = events.select(
        col("event_id").as("uuid"),
        col("event"),
        col("user_id").as("distinct_id"),
        // One person per user: a stable UUID from the user's id.
        expr("regexp_replace(md5(user_id), '^(.{8})(.{4})(.{4})(.{4})(.{12})$', '$1-$2-$3-$4-$5')").as("person_id"),
        date_format(col("ts"), "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX").as("timestamp"),
        date_format(col("received_at"), "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX").as("created_at"),
        properties.as("properties"));
    rows.coalesce(files).write().mode(SaveMode.Overwrite).json(out + "/posthog/events");
  }

  static void snowplow(Dataset<Row> events, int files, String out) {
    Column action = lower(regexp_replace(col("event"), " ", "_"));
    Dataset<Row> rows = events.select(
        col("event_id"),
        lit("web").as("app_id"),
        lit("web").as("platform"),
        lit("struct").as("event"),
        lit("event").as("event_name"),
        lit("com.google.analytics").as("event_vendor"),
        lit("product").as("se_category"),
        col("event").as("se_action"),
        action.as("se_label"),
        col("received_at").as("collector_tstamp"),
        col("ts").as("dvce_created_tstamp"),
        col("ts").as("derived_tstamp"),
        userUnlessBeforeLogin().as("user_id"),
        device(col("user_id")).as("domain_userid"),
        lit("203.0.113.7").as("user_ipaddress"),
        when(col("account_id").isNotNull(), array(struct(col("account_id").as("id"))))
            .as("contexts_com_acme_workspace_1"));
    rows.coalesce(files).write().mode(SaveMode.Overwrite).parquet(out + "/snowplow/events");
  }
}
