package dev.pql.generate;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.regexp_replace;
import static org.apache.spark.sql.functions.when;

import dev.pql.config.Settings.DomainSettings;
import dev.pql.config.Settings.GenerateSettings;
import dev.pql.generate.ProductSimulator.AccountState;
import dev.pql.generate.ProductSimulator.EventRow;
import dev.pql.generate.ProductSimulator.Faults;
import dev.pql.generate.ProductSimulator.HazardRow;
import dev.pql.generate.ProductSimulator.SimulatedAccount;
import java.sql.Date;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.collection.JavaConverters;

/**
 * Writes a synthetic event lake with Spark: accounts are simulated in parallel by {@link ProductSimulator}
 * (no driver-side loop), then written in a generic layout, a Segment warehouse layout and the ground
 * truth (true hazard, planted drivers, decoys, fault counts) that tests check pql against.
 *
 * <pre>
 * OUTPUT/generic/events     event_id, account_id, user_id, event, ts, received_at, properties
 * OUTPUT/generic/accounts   account_id, updated_at, created_at, name, plan, email_domain, employees, ...
 * OUTPUT/segment/tracks     id, anonymous_id, user_id, event, event_text, timestamp, sent_at, received_at,
 *                           context_group_id
 * OUTPUT/segment/identifies id, anonymous_id, user_id, timestamp, received_at, email, context_group_id
 * OUTPUT/segment/groups     id, anonymous_id, user_id, group_id, timestamp, received_at, name, website, email,
 *                           employees, industry, country, plan, created_at
 * OUTPUT/amplitude, mixpanel, posthog, snowplow: the events as those tools export them ({@link VendorLayouts})
 * OUTPUT/truth/...          hazard, drivers, decoys, accounts, summary
 * </pre>
 */
public final class LakeGenerator {
  public static final String BIG_ACCOUNT = "acc_big";
  private static final int USERS_PER_BIG_SHARD = 40;

  private static final StructType EVENT = new StructType()
      .add("event_id", DataTypes.StringType)
      .add("account_id", DataTypes.StringType)
      .add("user_id", DataTypes.StringType)
      .add("event", DataTypes.StringType)
      .add("ts", DataTypes.TimestampType)
      .add("received_at", DataTypes.TimestampType)
      .add("properties", DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType))
      .add("fault", DataTypes.StringType);
  private static final StructType STATE = new StructType()
      .add("account_id", DataTypes.StringType)
      .add("updated_at", DataTypes.TimestampType)
      .add("created_at", DataTypes.TimestampType)
      .add("name", DataTypes.StringType)
      .add("plan", DataTypes.StringType)
      .add("email_domain", DataTypes.StringType)
      .add("domain_class", DataTypes.StringType)
      .add("employees", DataTypes.IntegerType)
      .add("industry", DataTypes.StringType)
      .add("country", DataTypes.StringType)
      .add("timezone", DataTypes.StringType);
  private static final StructType HAZARD = new StructType()
      .add("account_id", DataTypes.StringType)
      .add("date", DataTypes.DateType)
      .add("hazard", DataTypes.DoubleType)
      .add("active_team", DataTypes.BooleanType)
      .add("heavy_messaging", DataTypes.BooleanType)
      .add("early_integration", DataTypes.BooleanType)
      .add("usage_limit", DataTypes.BooleanType)
      .add("asked_for_sales", DataTypes.BooleanType)
      .add("messages_30d", DataTypes.IntegerType)
      .add("logins_30d", DataTypes.IntegerType)
      .add("upgraded_next_day", DataTypes.BooleanType)
      .add("rules_holding", DataTypes.createArrayType(DataTypes.StringType));
  private static final StructType SIMULATED = new StructType()
      .add("account_id", DataTypes.StringType)
      .add("converted_at", DataTypes.TimestampType)
      .add("events", DataTypes.createArrayType(EVENT))
      .add("states", DataTypes.createArrayType(STATE))
      .add("hazard", DataTypes.createArrayType(HAZARD));

  private LakeGenerator() {}

  /** What was generated, for the run summary and for tests; the same figures are in truth/summary. */
  public record Summary(Map<String, Long> counts) {
    public long get(String metric) {
      return counts.getOrDefault(metric, 0L);
    }
  }

  public static Summary generate(SparkSession spark, GenerateSettings g, DomainSettings domains) {
    ProductSimulator simulator = new ProductSimulator(g.seed(), g.startDate(), g.days(), g.trialShare(),
        g.paidAtSignupShare(), g.fileLimit(), new Faults(g.lateEventShare(), g.duplicateEventShare(),
        g.malformedEventShare()), domains.webmail(), domains.enterprise(), Hazard.World.of(g.world()));
    String out = g.output().endsWith("/") ? g.output().substring(0, g.output().length() - 1) : g.output();

    // ~250 accounts a partition keeps a task's simulated arrays small whatever the lake's size.
    int partitions = Math.max(spark.sparkContext().defaultParallelism(), g.accounts() / 250);
    Dataset<Row> simulated = spark.range(0, g.accounts(), 1, partitions)
        .map((MapFunction<Long, Row>) index -> toRow(simulator.simulate(index)), Encoders.row(SIMULATED))
        .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> sourceEvents = sourceEvents(spark, simulator, simulated, g).persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> states = simulated.select(explode(col("states")).as("s")).select("s.*")
        .unionByName(bigAccountState(spark, g, domains));

    // Generic layout: one event table, one account-history table.
    if (g.writes("generic")) {
      write(sourceEvents.drop("fault").coalesce(g.files()), out + "/generic/events");
      write(states.drop("domain_class").coalesce(Math.min(g.files(), 2)), out + "/generic/accounts");
    }
    if (g.writes("segment")) writeSegment(sourceEvents, states, g, out);
    // Faulty rows included, as the generic layout has them; only the column naming their fault is left out, and
    // each user's first events are a visitor's before the login.
    Dataset<Row> exported = VendorLayouts.withLogins(sourceEvents);
    if (g.writes("amplitude")) VendorLayouts.amplitude(exported, g.files(), out);
    if (g.writes("mixpanel")) VendorLayouts.mixpanel(exported, g.files(), out);
    if (g.writes("posthog")) VendorLayouts.posthog(exported, g.files(), out);
    if (g.writes("snowplow")) VendorLayouts.snowplow(exported, g.files(), out);
    writeTruth(spark, simulated, states, g, out);
    Map<String, Long> counts = counts(sourceEvents, simulated, states, g);
    List<Row> summaryRows = new ArrayList<>();
    counts.forEach((k, v) -> summaryRows.add(RowFactory.create(k, v)));
    write(spark.createDataFrame(summaryRows, new StructType()
        .add("metric", DataTypes.StringType).add("value", DataTypes.LongType)).coalesce(1), out + "/truth/summary");
    sourceEvents.unpersist();
    simulated.unpersist();
    return new Summary(counts);
  }

  /** The simulated accounts' events and the very large account's, with user ids made global. */
  private static Dataset<Row> sourceEvents(SparkSession spark, ProductSimulator simulator, Dataset<Row> simulated,
      GenerateSettings g) {
    Dataset<Row> accountEvents = simulated.select(explode(col("events")).as("e")).select("e.*");
    // The very large account: sized from the others so that it holds the configured share of all events.
    long otherEvents = accountEvents.filter(col("fault").isNull().or(col("fault").equalTo("LATE"))).count();
    double share = g.bigAccountEventShare();
    long bigTarget = share >= 1 ? 0 : (long) (otherEvents * share / (1 - share));
    int shards = (int) Math.ceil(bigTarget / (USERS_PER_BIG_SHARD * g.days() * ProductSimulator.BIG_ACCOUNT_EVENTS_PER_USER_DAY));
    Dataset<Row> bigEvents = spark.range(0, shards, 1, Math.max(1, Math.min(shards, 64)))
        .flatMap((FlatMapFunction<Long, Row>) shard -> rows(
            simulator.simulateBigAccountShard(BIG_ACCOUNT, shard.intValue(), USERS_PER_BIG_SHARD)),
            Encoders.row(EVENT));
    return accountEvents.unionByName(bigEvents)
        .withColumn("user_id", concat(col("account_id"), lit(":"), col("user_id")));
  }

  /** Segment warehouse layout: the same facts under Segment's column names. */
  private static void writeSegment(Dataset<Row> sourceEvents, Dataset<Row> states, GenerateSettings g, String out) {
    Dataset<Row> tracks = sourceEvents.select(
        col("event_id").as("id"),
        concat(lit("anon_"), regexp_replace(col("user_id"), ":", "_")).as("anonymous_id"),
        col("user_id"),
        col("event"),
        lower(regexp_replace(col("event"), " ", "_")).as("event_text"),
        col("ts").as("timestamp"),
        col("ts").as("sent_at"),
        col("received_at"),
        col("account_id").as("context_group_id"));
    write(tracks.coalesce(g.files()), out + "/segment/tracks");
    Dataset<Row> identifies = sourceEvents
        .filter(col("fault").isNull().or(col("fault").equalTo("LATE")))
        .groupBy("account_id", "user_id")
        .agg(min("ts").as("timestamp"), min("received_at").as("received_at"))
        .join(states.groupBy("account_id").agg(min("email_domain").as("email_domain")), "account_id")
        .select(
            concat(lit("idf_"), col("user_id")).as("id"),
            concat(lit("anon_"), regexp_replace(col("user_id"), ":", "_")).as("anonymous_id"),
            col("user_id"),
            col("timestamp"),
            col("received_at"),
            concat(regexp_replace(col("user_id"), ":", "."), lit("@"), col("email_domain")).as("email"),
            col("account_id").as("context_group_id"));
    write(identifies.coalesce(Math.min(g.files(), 2)), out + "/segment/identifies");
    Dataset<Row> groups = states.select(
        concat(lit("grp_"), col("account_id"), lit("_"), col("updated_at").cast("long")).as("id"),
        lit(null).cast("string").as("anonymous_id"),
        concat(col("account_id"), lit(":u0")).as("user_id"),
        col("account_id").as("group_id"),
        col("updated_at").as("timestamp"),
        col("updated_at").as("received_at"),
        col("name"),
        when(col("domain_class").notEqual("webmail"), concat(lit("https://www."), col("email_domain"))).as("website"),
        concat(lit("owner@"), col("email_domain")).as("email"),
        col("employees"),
        col("industry"),
        col("country"),
        col("plan"),
        col("created_at"));
    write(groups.coalesce(Math.min(g.files(), 2)), out + "/segment/groups");

  }

  /** The ground truth: the daily hazard, each account's signup and conversion, the planted drivers and decoys. */
  private static void writeTruth(SparkSession spark, Dataset<Row> simulated, Dataset<Row> states,
      GenerateSettings g, String out) {
    write(simulated.select(explode(col("hazard")).as("h")).select("h.*").coalesce(g.files()), out + "/truth/hazard");
    write(states.groupBy("account_id").agg(
            min("created_at").as("signup_at"), min("domain_class").as("domain_class"))
        .join(simulated.select(col("account_id").as("simulated_id"), col("converted_at")),
            col("account_id").equalTo(col("simulated_id")), "left")
        .drop("simulated_id")
        .coalesce(1), out + "/truth/accounts");
    write(spark.createDataFrame(driverRows(Hazard.World.of(g.world())), new StructType()
            .add("name", DataTypes.StringType).add("feature", DataTypes.StringType).add("form", DataTypes.StringType)
            .add("threshold", DataTypes.DoubleType).add("coefficient", DataTypes.DoubleType)
            .add("description", DataTypes.StringType)).coalesce(1), out + "/truth/drivers");
    write(spark.createDataFrame(decoyRows(Hazard.World.of(g.world())), new StructType()
            .add("feature", DataTypes.StringType).add("follows", DataTypes.StringType)).coalesce(1),
        out + "/truth/decoys");

  }

  private static Map<String, Long> counts(Dataset<Row> sourceEvents, Dataset<Row> simulated, Dataset<Row> states,
      GenerateSettings g) {
    Map<String, Long> counts = new LinkedHashMap<>();
    counts.put("source_rows", sourceEvents.count());
    for (Row r : sourceEvents.groupBy("fault").count().orderBy("fault").collectAsList()) {
      String fault = r.isNullAt(0) ? "clean" : r.getString(0).toLowerCase();
      counts.put("rows." + fault, r.getLong(1));
    }
    long malformed = counts.entrySet().stream()
        .filter(e -> e.getKey().startsWith("rows.missing") || e.getKey().startsWith("rows.timestamp"))
        .mapToLong(Map.Entry::getValue).sum();
    counts.put("malformed_rows", malformed);
    counts.put("duplicate_rows", counts.getOrDefault("rows.duplicate", 0L));
    counts.put("unique_events", counts.getOrDefault("rows.clean", 0L) + counts.getOrDefault("rows.late", 0L));
    counts.put("late_events", counts.getOrDefault("rows.late", 0L));
    counts.put("big_account_events", sourceEvents.filter(col("account_id").equalTo(BIG_ACCOUNT)
        .and(col("fault").isNull().or(col("fault").equalTo("LATE")))).count());
    counts.put("accounts", (long) g.accounts() + 1);
    counts.put("account_states", states.count());
    counts.put("converted_accounts", simulated.filter(col("converted_at").isNotNull()).count());
    return counts;
  }


  private static void write(Dataset<Row> rows, String path) {
    rows.write().mode(SaveMode.Overwrite).parquet(path);
  }

  private static Dataset<Row> bigAccountState(SparkSession spark, GenerateSettings g, DomainSettings domains) {
    Timestamp created = Timestamp.valueOf(g.startDate().atStartOfDay());
    String domain = domains.enterprise().isEmpty() ? "bigcorp.com" : domains.enterprise().get(0);
    Row row = RowFactory.create(BIG_ACCOUNT, created, created, "Very Large Customer", ProductSimulator.PAID_PLAN,
        domain, "enterprise", 20000, "software", "US", "America/New_York");
    return spark.createDataFrame(List.of(row), STATE);
  }

  private static Row toRow(SimulatedAccount a) {
    List<Row> events = new ArrayList<>(a.events().size());
    for (EventRow e : a.events()) events.add(eventRow(e));
    List<Row> states = new ArrayList<>();
    for (AccountState s : a.states()) {
      states.add(RowFactory.create(s.accountId(), s.validFrom(), s.createdAt(), s.name(), s.plan(), s.emailDomain(),
          s.domainClass(), s.employees(), s.industry(), s.country(), s.timezone()));
    }
    List<Row> hazard = new ArrayList<>();
    for (HazardRow h : a.hazard()) {
      hazard.add(RowFactory.create(h.accountId(), Date.valueOf(h.date()), h.hazard(), h.activeUsers3(),
          h.messages2000(), h.integrationWithin7(), h.limitReached30(), h.contactSales30(), h.messages30d(),
          h.logins30d(), h.upgradedNextDay(), seq(h.rulesHolding())));
    }
    return RowFactory.create(a.states().get(0).accountId(), a.convertedAt(), seq(events), seq(states), seq(hazard));
  }

  private static Row eventRow(EventRow e) {
    return RowFactory.create(e.eventId(), e.accountId(), e.userId(), e.event(), e.ts(), e.receivedAt(),
        JavaConverters.mapAsScalaMap(e.properties()), e.fault());
  }

  private static Iterator<Row> rows(List<EventRow> events) {
    return events.stream().map(LakeGenerator::eventRow).iterator();
  }

  private static <T> scala.collection.Seq<T> seq(List<T> rows) {
    return JavaConverters.asScalaBuffer(rows).toSeq();
  }

  private static List<Row> driverRows(Hazard.World world) {
    List<Row> rows = new ArrayList<>();
    for (Hazard.Driver d : Hazard.drivers(world)) {
      rows.add(RowFactory.create(d.name(), d.feature(), d.form(), Double.isNaN(d.threshold()) ? null : d.threshold(),
          d.coefficient(), d.description()));
    }
    rows.add(RowFactory.create("intercept", "", "constant", null, Hazard.intercept(world),
        "log-odds of a day's upgrade with no effect (world " + world.key() + ")"));
    return rows;
  }

  private static List<Row> decoyRows(Hazard.World world) {
    List<Row> rows = new ArrayList<>();
    for (Hazard.Decoy d : Hazard.decoys(world)) rows.add(RowFactory.create(d.feature(), d.follows()));
    return rows;
  }
}
