package dev.pql.features;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.array_compact;
import static org.apache.spark.sql.functions.bit_count;
import static org.apache.spark.sql.functions.bit_or;
import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.call_function;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.count_if;
import static org.apache.spark.sql.functions.datediff;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.to_timestamp;
import static org.apache.spark.sql.functions.when;

import dev.pql.config.Settings.FeatureSettings;
import dev.pql.config.Settings.Milestone;
import dev.pql.config.Settings.PlanLimit;
import java.sql.Date;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Account feature snapshots, point-in-time correct: the snapshot for as-of date D uses only daily rows of
 * days before D (events with ts before D 00:00 UTC) and the account state valid at D 00:00. Any number of
 * snapshots costs one scan of each daily table: the (small) list of dates is broadcast and joined.
 */
public final class PointInTimeFeatures {
  private PointInTimeFeatures() {}

  /**
   * What the snapshot counts: key events (name → snake name), the events that count as a login, an invite, a
   * limit reached and a hand-raise, the free-plan limits and the activation milestones.
   */
  public record Spec(Map<String, String> keyEvents, List<String> loginEvents, List<String> inviteEvents,
      List<String> limitEvents, List<String> handRaiseEvents, List<PlanLimit> planLimits,
      List<Milestone> activationMilestones, Integer arrivalGraceDays, List<Integer> windows,
      List<Integer> signupWindows, List<Integer> userWindows) {

    public static Spec of(FeatureSettings settings, Map<String, String> keyEvents) {
      return new Spec(keyEvents, settings.loginEvents(), settings.inviteEvents(), settings.limitEvents(),
          settings.handRaiseEvents(), settings.planLimits(), settings.activationMilestones(),
          settings.arrivalGraceDays(), settings.countWindows(), settings.signupWindows(), settings.userWindows());
    }

    /**
     * The daily rows a snapshot at D counts: days before D and, with the arrival limit, events that had arrived
     * before D plus the grace (an arrival_date is a day after the event's own).
     */
    Column counted() {
      Column asOf = col("as_of_date");
      Column before = col("event_date").lt(asOf);
      if (arrivalGraceDays == null) return before;
      return before.and(col("arrival_date").isNull()
          .or(col("arrival_date").lt(org.apache.spark.sql.functions.date_add(asOf, arrivalGraceDays))));
    }
  }

  /**
   * The snapshots of some dates, from the three daily tables (account_daily, account_user_daily,
   * account_event_user_daily) and the account history.
   */
  public static Dataset<Row> snapshots(Dataset<Row> daily, Dataset<Row> userDaily, Dataset<Row> eventUserDaily,
      Dataset<Row> accounts, List<LocalDate> asOfDates, Spec spec) {
    List<Row> dateRows = new ArrayList<>();
    for (LocalDate d : asOfDates) dateRows.add(RowFactory.create(Date.valueOf(d)));
    Dataset<Row> dates = broadcast(daily.sparkSession().createDataFrame(dateRows,
        new StructType().add("as_of_date", DataTypes.DateType, false)));
    return snapshots(new Daily(daily, userDaily, eventUserDaily, accounts), dates, null, spec);
  }

  /**
   * The snapshots of some accounts, each at its own dates: {@code moments} holds (account_id, as_of_date) pairs,
   * few of them (the eve of each upgrade), broadcast; only the daily rows of those accounts are read for them.
   */
  public static Dataset<Row> snapshotsAt(Dataset<Row> daily, Dataset<Row> userDaily, Dataset<Row> eventUserDaily,
      Dataset<Row> accounts, Dataset<Row> moments, Spec spec) {
    Dataset<Row> at = broadcast(moments.select(col("account_id").as(MOMENT_ACCOUNT), col("as_of_date")).distinct());
    return snapshots(new Daily(daily, userDaily, eventUserDaily, accounts), at,
        col("account_id").equalTo(col(MOMENT_ACCOUNT)), spec);
  }

  private static final String MOMENT_ACCOUNT = "moment_account_id";

  /** The three daily tables and the account history a snapshot reads. */
  private record Daily(Dataset<Row> events, Dataset<Row> users, Dataset<Row> eventUsers, Dataset<Row> accounts) {}

  /** A join of rows of some account with the as-of dates: every date, or (with {@code sameAccount}) its own. */
  private static Dataset<Row> atDates(Dataset<Row> rows, Dataset<Row> dates, Column condition, Column sameAccount) {
    return sameAccount == null ? rows.join(dates, condition)
        : rows.join(dates, condition.and(sameAccount)).drop(MOMENT_ACCOUNT);
  }

  private static Dataset<Row> snapshots(Daily tables, Dataset<Row> dates, Column sameAccount, Spec spec) {
    Dataset<Row> daily = tables.events();
    Dataset<Row> accounts = tables.accounts();
    Column asOf = col("as_of_date");
    Column asOfInstant = to_timestamp(asOf);

    // The accounts that exist at D, with the attributes valid at D 00:00 (a state that ends exactly then is
    // the one in force just before D).
    Dataset<Row> spine = atDates(accounts, dates, col("signup_at").lt(asOfInstant)
            .and(col("valid_from").lt(asOfInstant))
            .and(col("valid_to").isNull().or(col("valid_to").geq(asOfInstant))), sameAccount)
        .select(col("account_id"), asOf, col("signup_at"), col("plan"), col("email_domain"), col("employees"),
            col("industry"), col("country"), col("timezone"));

    // Each account's signup day, for the counts since signup: one row per account.
    Dataset<Row> signups = accounts.groupBy(col("account_id").as("s_account_id"))
        .agg(min(to_date(col("signup_at"))).as("signup_date"));
    Dataset<Row> dailyCounted = atDates(daily, dates, spec.counted(), sameAccount);
    if (!spec.signupWindows().isEmpty()) {
      dailyCounted = dailyCounted.join(signups, col("account_id").equalTo(col("s_account_id")), "left")
          .drop("s_account_id");
    }
    Dataset<Row> counted = accountCounts(perEvent(dailyCounted, spec), spec);
    Dataset<Row> users = userCounts(atDates(tables.users(), dates, spec.counted(), sameAccount));

    Dataset<Row> joined = spine
        .join(counted, col("account_id").equalTo(col("a_account_id")).and(asOf.equalTo(col("a_as_of_date"))), "left")
        .join(users, col("account_id").equalTo(col("u_account_id")).and(asOf.equalTo(col("u_as_of_date"))), "left");
    if (!spec.userWindows().isEmpty() && !spec.keyEvents().isEmpty()) {
      joined = joined.join(eventUserCounts(tables.eventUsers(), dates, sameAccount, spec), col("account_id")
          .equalTo(col("p_account_id")).and(asOf.equalTo(col("p_as_of_date"))), "left");
    }

    List<Column> out = new ArrayList<>(List.of(col("account_id"), asOf,
        datediff(asOf, to_date(col("signup_at"))).as("days_since_signup"),
        datediff(asOf, col("last_active_date")).as("days_since_last_activity")));
    out.addAll(keyEventColumns(spec));
    for (String counter : List.of("logins_7d", "logins_30d", "active_days_7d", "active_days_30d", "active_users_7d",
        "active_users_30d", "seats", "invites_30d", "invites_total", "events_7d", "events_prev_7d", "events_30d",
        "breadth_30d", "breadth_total", "limits_reached_30d", "limits_reached_total", "hand_raises_30d",
        "hand_raises_total")) {
      out.add(coalesce(col(counter).cast("long"), lit(0L)).as(counter));
    }
    Column events7 = coalesce(col("events_7d"), lit(0L));
    Column previous7 = coalesce(col("events_prev_7d"), lit(0L));
    // +1 smoothing keeps the ratio defined for accounts new to the product or idle the week before.
    out.add(events7.plus(1).divide(previous7.plus(1)).as("trend_7d"));
    out.add(col("events_30d").divide(col("active_days_30d")).as("depth_30d"));
    out.add(col("weekday_events_30d").divide(col("events_30d")).as("weekday_share_30d"));
    out.add(col("working_hours_events_30d").divide(col("events_30d")).as("working_hours_share_30d"));
    for (PlanLimit limit : spec.planLimits()) {
      String snake = FeatureNames.snake(limit.event());
      out.add(coalesce(col("limit_use__" + snake), lit(0L)).divide(limit.limit())
          .as(FeatureNames.usageVsLimit(snake)));
    }
    out.addAll(activation(spec.activationMilestones()));
    out.addAll(List.of(col("plan"), col("email_domain"), col("employees"), col("industry"), col("country"),
        col("timezone")));
    return joined.select(out.toArray(Column[]::new));
  }

  /** Each key event's columns, in the contract's order: the total, each window, since signup, users, days to first. */
  private static List<Column> keyEventColumns(Spec spec) {
    List<Column> out = new ArrayList<>();
    Column age = datediff(col("as_of_date"), to_date(col("signup_at")));
    for (String snake : spec.keyEvents().values()) {
      out.add(coalesce(col(FeatureNames.countTotal(snake)), lit(0L)).as(FeatureNames.countTotal(snake)));
      for (int w : spec.windows()) {
        out.add(coalesce(col(FeatureNames.countWindow(w, snake)), lit(0L)).as(FeatureNames.countWindow(w, snake)));
      }
      // Not yet k days old: the first k days are not over, so the count is not known (null), not 0.
      for (int k : spec.signupWindows()) {
        out.add(when(age.geq(k), coalesce(col(FeatureNames.countFirst(k, snake)), lit(0L)))
            .as(FeatureNames.countFirst(k, snake)));
      }
      for (int w : spec.userWindows()) {
        out.add(coalesce(col(FeatureNames.distinctUsers(w, snake)), lit(0L)).as(FeatureNames.distinctUsers(w, snake)));
      }
      // Calendar days (UTC), like days_since_signup: 0 = the signup day, so "within 7 days of signup" is <= 7.
      out.add(datediff(to_date(col("first_ts__" + snake)), to_date(col("signup_at")))
          .as(FeatureNames.daysToFirst(snake)));
    }
    return out;
  }

  /**
   * The first of two narrow aggregations (no count-distinct, whose Expand would copy every row once per distinct
   * column): per account, as-of date and event, its counts in each window, its first time, its last day and its
   * active days in the 30 days before D as a bit mask (bit i = day D-1-i).
   */
  static Dataset<Row> perEvent(Dataset<Row> dailyBeforeAsOf, Spec spec) {
    Column asOf = col("as_of_date");
    Column daysBack = datediff(asOf, col("event_date"));
    Column in7 = daysBack.leq(7);
    Column in30 = daysBack.leq(30);
    Column inPrevious7 = daysBack.gt(7).and(daysBack.leq(14));
    List<Column> sums = new ArrayList<>(List.of(
        sum(when(in7, col("events"))).as("d7"),
        sum(when(inPrevious7, col("events"))).as("prev7"),
        sum(when(in30, col("events"))).as("d30"),
        sum(when(in30, col("weekday_events"))).as("weekday30"),
        sum(when(in30, col("working_hours_events"))).as("working30"),
        min("first_ts").as("first_ts"),
        max("event_date").as("last_date"),
        bit_or(when(in30, call_function("shiftleft", lit(1L), daysBack.minus(1)))).as("days30")));
    for (int w : spec.windows()) {
      if (w != 7 && w != 30) sums.add(sum(when(daysBack.leq(w), col("events"))).as(window(w)));
    }
    for (int k : spec.signupWindows()) {
      sums.add(sum(when(datediff(col("event_date"), col("signup_date")).lt(k), col("events"))).as("first" + k));
    }
    return dailyBeforeAsOf.groupBy("account_id", "as_of_date", "event")
        .agg(sum("events").as("total"), sums.toArray(Column[]::new));
  }

  /** perEvent's column of the w days before D. */
  private static String window(int w) {
    return w == 7 ? "d7" : w == 30 ? "d30" : "w" + w;
  }

  /** The second: per account and as-of date, the event counts spread into one column per feature. */
  static Dataset<Row> accountCounts(Dataset<Row> perEvent, Spec spec) {
    List<Column> activity = new ArrayList<>();
    for (Map.Entry<String, String> e : spec.keyEvents().entrySet()) {
      Column isEvent = col("event").equalTo(e.getKey());
      activity.add(sum(when(isEvent, col("total"))).as(FeatureNames.countTotal(e.getValue())));
      for (int w : spec.windows()) {
        activity.add(sum(when(isEvent, col(window(w)))).as(FeatureNames.countWindow(w, e.getValue())));
      }
      for (int k : spec.signupWindows()) {
        activity.add(sum(when(isEvent, col("first" + k))).as(FeatureNames.countFirst(k, e.getValue())));
      }
      activity.add(min(when(isEvent, col("first_ts"))).as("first_ts__" + e.getValue()));
    }
    Column isKey = col("event").isin(spec.keyEvents().keySet().toArray());
    activity.add(sum("d7").as("events_7d"));
    activity.add(sum("prev7").as("events_prev_7d"));
    activity.add(sum("d30").as("events_30d"));
    activity.add(sum("weekday30").as("weekday_events_30d"));
    activity.add(sum("working30").as("working_hours_events_30d"));
    // Every row is an event seen before D (a daily row counts at least one event).
    activity.add(count_if(isKey.and(col("d30").gt(0))).as("breadth_30d"));
    activity.add(count_if(isKey).as("breadth_total"));
    activity.add(sumOf(spec.inviteEvents(), "d30").as("invites_30d"));
    activity.add(sumOf(spec.inviteEvents(), "total").as("invites_total"));
    activity.add(sumOf(spec.loginEvents(), "d7").as("logins_7d"));
    activity.add(sumOf(spec.loginEvents(), "d30").as("logins_30d"));
    activity.add(sumOf(spec.limitEvents(), "d30").as("limits_reached_30d"));
    activity.add(sumOf(spec.limitEvents(), "total").as("limits_reached_total"));
    activity.add(sumOf(spec.handRaiseEvents(), "d30").as("hand_raises_30d"));
    activity.add(sumOf(spec.handRaiseEvents(), "total").as("hand_raises_total"));
    for (PlanLimit limit : spec.planLimits()) {
      Column isLimited = col("event").equalTo(limit.event());
      activity.add(sum(when(isLimited, col(limit.sinceSignup() ? "total" : "d30")))
          .as("limit_use__" + FeatureNames.snake(limit.event())));
    }
    for (int i = 0; i < spec.activationMilestones().size(); i++) {
      activity.add(sum(when(col("event").equalTo(spec.activationMilestones().get(i).event()), col("total")))
          .as("milestone_" + i));
    }
    Column activeDays = bit_or(col("days30"));
    activity.add(bit_count(activeDays.bitwiseAND(lit(0x7FL))).as("active_days_7d"));
    activity.add(bit_count(activeDays).as("active_days_30d"));
    activity.add(max("last_date").as("last_active_date"));
    return perEvent.groupBy(col("account_id").as("a_account_id"), col("as_of_date").as("a_as_of_date"))
        .agg(activity.get(0), activity.subList(1, activity.size()).toArray(Column[]::new));
  }

  /** The sum of one window's counts (total, d7, d30) over the rows of some events. */
  private static Column sumOf(List<String> events, String window) {
    return sum(when(col("event").isin(events.toArray()), col(window)));
  }

  /** Active users in 7 and 30 days and seats: each user's last day before D first, then counted per account. */
  static Dataset<Row> userCounts(Dataset<Row> userDailyBeforeAsOf) {
    Column daysBack = datediff(col("as_of_date"), col("last_date"));
    return userDailyBeforeAsOf.groupBy("account_id", "as_of_date", "user_id")
        .agg(max("event_date").as("last_date"))
        .groupBy(col("account_id").as("u_account_id"), col("as_of_date").as("u_as_of_date"))
        .agg(count_if(daysBack.leq(7)).as("active_users_7d"), count_if(daysBack.leq(30)).as("active_users_30d"),
            count(lit(1)).as("seats"));
  }

  /**
   * Distinct users per key event in each user window: each user's last day with the event before D first, then
   * counted per account. Only the rows of the longest window before each D are joined to it.
   */
  static Dataset<Row> eventUserCounts(Dataset<Row> eventUserDaily, Dataset<Row> dates, Column sameAccount,
      Spec spec) {
    int longest = java.util.Collections.max(spec.userWindows());
    Column asOf = col("as_of_date");
    Dataset<Row> recent = atDates(eventUserDaily.filter(col("event").isin(spec.keyEvents().keySet().toArray())),
        dates, spec.counted().and(col("event_date").geq(org.apache.spark.sql.functions.date_sub(asOf, longest))),
        sameAccount);
    Column daysBack = datediff(asOf, col("last_date"));
    List<Column> counts = new ArrayList<>();
    for (Map.Entry<String, String> e : spec.keyEvents().entrySet()) {
      for (int w : spec.userWindows()) {
        counts.add(count_if(col("event").equalTo(e.getKey()).and(daysBack.leq(w)))
            .as(FeatureNames.distinctUsers(w, e.getValue())));
      }
    }
    return recent.groupBy("account_id", "as_of_date", "event", "user_id")
        .agg(max("event_date").as("last_date"))
        .groupBy(col("account_id").as("p_account_id"), col("as_of_date").as("p_as_of_date"))
        .agg(counts.get(0), counts.subList(1, counts.size()).toArray(Column[]::new));
  }

  /** activation_share (null without milestones) and activation_milestones (the names reached, in order). */
  private static List<Column> activation(List<Milestone> milestones) {
    if (milestones.isEmpty()) {
      return List.of(lit(null).cast("double").as("activation_share"),
          array().cast("array<string>").as("activation_milestones"));
    }
    Column reachedCount = lit(0);
    List<Column> names = new ArrayList<>();
    for (int i = 0; i < milestones.size(); i++) {
      Column reached = coalesce(col("milestone_" + i), lit(0L)).geq(milestones.get(i).atLeast());
      reachedCount = reachedCount.plus(when(reached, 1).otherwise(0));
      names.add(when(reached, lit(milestones.get(i).name())));
    }
    return List.of(reachedCount.divide(milestones.size()).as("activation_share"),
        array_compact(array(names.toArray(Column[]::new))).as("activation_milestones"));
  }
}
