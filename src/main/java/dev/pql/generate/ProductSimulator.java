package dev.pql.generate;

import java.io.Serializable;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Simulates one account of a freemium B2B collaboration product, day by day, from its signup to the end
 * of the lake. Pure and deterministic: the same seed and account index give the same account.
 *
 * <p>Upgrades are drawn from a point-in-time hazard ({@link Hazard}) of the behaviour up to each day;
 * latent intent drives behaviour only, so the hazard is the whole truth about who upgrades. How much a team
 * messages is mostly its own style and only partly its intent, as in real products: usage intensity must not
 * be a perfect gauge of intent, or it would predict the upgrades intent brings later better than the actions
 * that bring them. Decoy behaviours follow the drivers without affecting the hazard, and usage jumps after
 * an upgrade.
 */
public final class ProductSimulator implements Serializable {
  private static final long DAY_MS = 86_400_000L;
  private static final int TRIAL_DAYS = 14;
  static final String PAID_PLAN = "team";

  static final String[] INDUSTRIES = {
    "software", "financial services", "healthcare", "retail", "education", "manufacturing", "media", "consulting"
  };
  static final String[] COUNTRIES = {"US", "US", "US", "GB", "DE", "FR", "CA", "AU", "IN", "BR", "NL", "JP"};
  static final String[] TIMEZONES = {
    "America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London", "Europe/Berlin", "Europe/Paris",
    "America/Toronto", "Australia/Sydney", "Asia/Kolkata", "America/Sao_Paulo", "Europe/Amsterdam", "Asia/Tokyo"
  };
  /** Everyday events with no effect on upgrades: name and rate per active user-day. */
  private static final String[] NOISE_EVENTS = {
    "Dashboard Viewed", "Search Performed", "Comment Added", "Task Completed", "Channel Created",
    "Template Used", "Mobile App Opened", "Notification Clicked", "Calendar Synced", "Profile Updated"
  };
  private static final double[] NOISE_RATES = {0.6, 0.3, 0.25, 0.3, 0.02, 0.04, 0.15, 0.2, 0.03, 0.02};

  private final long seed;
  private final LocalDate startDate;
  private final int days;
  private final double trialShare;
  private final double paidAtSignupShare;
  private final int fileLimit;
  private final Faults faults;
  private final List<String> webmail;
  private final List<String> enterprise;
  private final Hazard.World world;

  public ProductSimulator(long seed, LocalDate startDate, int days, double trialShare, double paidAtSignupShare,
      int fileLimit, Faults faults, List<String> webmail, List<String> enterprise, Hazard.World world) {
    this.seed = seed;
    this.startDate = startDate;
    this.days = days;
    this.trialShare = trialShare;
    this.paidAtSignupShare = paidAtSignupShare;
    this.fileLimit = fileLimit;
    this.faults = faults;
    this.webmail = List.copyOf(webmail);
    this.enterprise = List.copyOf(enterprise);
    this.world = world;
  }

  /** Event faults as shares of events. */
  public record Faults(double late, double duplicate, double malformed) implements Serializable {}

  /** One emitted source row. {@code fault} is null for a clean event, else what is wrong with the row. */
  public record EventRow(String eventId, String accountId, String userId, String event, Timestamp ts,
      Timestamp receivedAt, Map<String, String> properties, String fault) {}

  /** A state of the account's attributes from {@code validFrom} on. */
  public record AccountState(String accountId, Timestamp validFrom, Timestamp createdAt, String name, String plan,
      String emailDomain, String domainClass, int employees, String industry, String country, String timezone) {}

  /** The true upgrade hazard for the day after {@code date}, from behaviour up to the end of {@code date}. */
  public record HazardRow(String accountId, LocalDate date, double hazard, boolean activeUsers3, boolean messages2000,
      boolean integrationWithin7, boolean limitReached30, boolean contactSales30, int messages30d, int logins30d,
      boolean upgradedNextDay, List<String> rulesHolding) {}

  public record SimulatedAccount(List<EventRow> events, List<AccountState> states, List<HazardRow> hazard,
      Timestamp convertedAt) {}

  public static String accountId(long index) {
    return String.format("acc_%07d", index);
  }

  private long dayStart(int day) {
    return startDate.plusDays(day).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
  }

  public SimulatedAccount simulate(long index) {
    return new AccountRun(index).run();
  }

  /** One account's simulation: who it is, then its state as the days go by. Draws in a fixed order. */
  private final class AccountRun {
    private final SplittableRandom rng;
    private final String id;
    private final Emitter out;
    private final double intent;
    private final double style;
    private final int signupDay;
    private final long signupAt;
    private final int potential;
    private final List<AccountState> states = new ArrayList<>();
    private final List<Double> userRates = new ArrayList<>();
    private final List<Integer> lastActiveDay = new ArrayList<>();
    private final int[] messagesByDay = new int[days];
    private final int[] loginsByDay = new int[days];
    private final int[] limitByDay = new int[days];
    private final int[] contactByDay = new int[days];
    private final List<HazardRow> hazard = new ArrayList<>();
    /** Each everyday action's factor for this account (1 unless the world spreads usage). */
    private final double[] usage = new double[NOISE_EVENTS.length];
    /** The actions the world's rules count: per day, and each user's last day with it. */
    private final Map<String, int[]> actionsByDay = new HashMap<>();
    private final Map<String, List<Integer>> lastDayByUser = new HashMap<>();
    private boolean paid;
    private Timestamp convertedAt;
    private int integrationDay = -1;
    private int files;
    private int pendingInvites;
    private boolean upgradeTomorrow;

    /** Who the account is: its intent and style, signup, domain, size, place, industry and plan. */
    AccountRun(long index) {
      rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index);
      id = accountId(index);
      out = new Emitter(id, rng, faults);
      intent = gaussian(rng);
      style = gaussian(rng);
      signupDay = rng.nextInt(days);
      signupAt = dayStart(signupDay) + (long) (rng.nextDouble() * DAY_MS);
      double domainDraw = rng.nextDouble();
      String domainClass = domainDraw < 0.45 ? "webmail" : domainDraw < 0.95 ? "corporate" : "enterprise";
      String domain = switch (domainClass) {
        case "webmail" -> webmail.get(rng.nextInt(webmail.size()));
        case "enterprise" -> enterprise.get(rng.nextInt(enterprise.size()));
        default -> "company" + index + (rng.nextBoolean() ? ".com" : ".io");
      };
      int employees = switch (domainClass) {
        case "webmail" -> 1 + rng.nextInt(10);
        case "enterprise" -> 1000 + (int) Math.exp(7 + 2 * rng.nextDouble());
        default -> 5 + (int) Math.exp(2 + 3.5 * rng.nextDouble());
      };
      int place = rng.nextInt(COUNTRIES.length);
      String industry = INDUSTRIES[rng.nextInt(INDUSTRIES.length)];
      double planDraw = rng.nextDouble();
      String plan = planDraw < paidAtSignupShare ? PAID_PLAN : planDraw < paidAtSignupShare + trialShare ? "trial"
          : "free";
      states.add(new AccountState(id, new Timestamp(signupAt), new Timestamp(signupAt), "Company " + index, plan,
          domain, domainClass, employees, industry, COUNTRIES[place], TIMEZONES[place]));
      // The team grows by invitations up to its potential size.
      potential = Math.min(employees, 1 + (int) (-Math.log(1 - rng.nextDouble()) * (1 + 2 * Math.exp(0.5 * intent))));
      addUser(userRates, lastActiveDay, rng, intent, style);
      out.emit("u0", "Signed Up", signupAt, null);
      if (plan.equals("trial")) out.emit("u0", "Trial Started", signupAt + 1000, null);
      paid = plan.equals(PAID_PLAN);
      double spread = Hazard.usageSpread(world);
      for (int k = 0; k < usage.length; k++) {
        // Drawn only where usage spreads, so that the other worlds' lakes stay as they were.
        usage[k] = spread == 0 ? 1 : Math.exp(spread * gaussian(rng) - spread * spread / 2);
      }
      for (Hazard.Rule r : Hazard.rules(world)) {
        for (Hazard.Condition c : r.conditions()) {
          actionsByDay.putIfAbsent(c.event(), new int[days]);
          lastDayByUser.putIfAbsent(c.event(), new ArrayList<>());
        }
      }
    }

    SimulatedAccount run() {
      for (int day = signupDay; day < days; day++) day(day);
      return new SimulatedAccount(out.rows, states, hazard, convertedAt);
    }

    private void day(int day) {
      long dayStart = dayStart(day);
      int age = day - signupDay;
      if (upgradeTomorrow) upgrade(dayStart);
      if (!paid && currentPlan(states).equals("trial") && age == TRIAL_DAYS) {
        states.add(withPlan(states.get(states.size() - 1), signupAt + TRIAL_DAYS * DAY_MS, "free"));
      }
      if (age == 20 && rng.nextDouble() < 0.1) {
        AccountState last = states.get(states.size() - 1);
        states.add(new AccountState(id, new Timestamp(dayStart + 3_600_000L), last.createdAt(), last.name(),
            last.plan(), last.emailDomain(), last.domainClass(), Math.max(1, (int) (last.employees() * 1.3)),
            last.industry(), last.country(), last.timezone()));
      }
      // Invitations accepted today become users.
      for (; pendingInvites > 0; pendingInvites--) {
        if (rng.nextDouble() < 0.8) {
          addUser(userRates, lastActiveDay, rng, intent, style);
          out.emit("u" + (userRates.size() - 1), "Invite Accepted", dayStart + (long) (rng.nextDouble() * DAY_MS),
              null);
        }
      }
      double boost = paid ? 1.5 : 0;
      double pActive = sigmoid(0.4 + 0.7 * intent - 0.025 * age + boost);
      if (day == signupDay || rng.nextDouble() < pActive) activeDay(day, dayStart);
      if (!paid) hazard(day);
    }

    private void upgrade(long dayStart) {
      long at = Math.max(signupAt + 60_000, dayStart + (long) (rng.nextDouble() * DAY_MS));
      String from = currentPlan(states);
      out.emit("u0", "Plan Upgraded", at, Map.of("from_plan", from, "to_plan", PAID_PLAN));
      states.add(withPlan(states.get(states.size() - 1), at, PAID_PLAN));
      convertedAt = new Timestamp(at);
      paid = true;
      upgradeTomorrow = false;
    }

    /** A day the account is active: its users' events, then the account's own (invites, integration, sales). */
    private void activeDay(int day, long dayStart) {
      boolean limitHit = false;
      for (int u = 0; u < userRates.size(); u++) {
        if (u > 0 && rng.nextDouble() > 0.65) continue;
        limitHit |= userDay(u, day, dayStart);
      }
      if (limitHit) {
        limitByDay[day]++;
        out.emitDuringDay("u0", "Usage Limit Reached", dayStart);
      }
      if (userRates.size() + pendingInvites < potential * (paid ? 2 : 1) && rng.nextDouble() < 0.25) {
        out.emitDuringDay("u0", "Invite Sent", dayStart);
        pendingInvites++;
      }
      if (integrationDay < 0 && rng.nextDouble() < 0.04 * Math.exp(0.8 * intent)) {
        integrationDay = day;
        out.emitDuringDay("u0", "Integration Connected", dayStart);
        // Decoy: setting up an integration sends people to the help center.
        for (int m = 1 + poisson(rng, 2); m > 0; m--) out.emitDuringDay("u0", "Help Center Viewed", dayStart);
      }
      if (poisson(rng, 0.08) > 0) out.emitDuringDay("u0", "Help Center Viewed", dayStart);
      boolean recentLimit = sum(limitByDay, day - 29, day) > 0;
      boolean contact = !paid && rng.nextDouble() < 0.004 * Math.exp(0.9 * intent) + (recentLimit ? 0.03 : 0);
      if (contact) {
        contactByDay[day]++;
        out.emitDuringDay("u0", "Contact Sales Clicked", dayStart);
      }
      // Decoy: pricing-page visits come with sales contacts and with intent.
      double pricing = 0.04 * Math.exp(0.4 * intent) + (contact ? 0.9 : 0) + (recentLimit ? 0.1 : 0);
      if (!paid && rng.nextDouble() < pricing) out.emitDuringDay("u0", "Pricing Page Viewed", dayStart);
    }

    /** One active user's day; returns whether the user hit the free plan's file limit. */
    private boolean userDay(int u, int day, long dayStart) {
      lastActiveDay.set(u, day);
      String user = "u" + u;
      double rate = userRates.get(u) * (paid ? 2 : 1);
      out.emit(user, "Signed In", dayStart + (long) (rng.nextDouble() * DAY_MS), null);
      loginsByDay[day]++;
      int messages = poisson(rng, rate);
      messagesByDay[day] += messages;
      for (int m = 0; m < messages; m++) out.emitDuringDay(user, "Message Sent", dayStart);
      // Decoy: exports follow message volume.
      for (int m = poisson(rng, messages * 0.03); m > 0; m--) out.emitDuringDay(user, "Report Exported", dayStart);
      // Decoy: settings changes follow the number of active users.
      for (int m = poisson(rng, 0.25); m > 0; m--) out.emitDuringDay(user, "Settings Changed", dayStart);
      for (int k = 0; k < NOISE_EVENTS.length; k++) {
        int n = poisson(rng, NOISE_RATES[k] * usage[k]);
        for (int m = n; m > 0; m--) out.emitDuringDay(user, NOISE_EVENTS[k], dayStart);
        if (n > 0) counted(NOISE_EVENTS[k], u, day, n, dayStart);
      }
      for (Hazard.Echo e : Hazard.echoes(world)) {
        for (int m = poisson(rng, e.perUserDay()); m > 0; m--) out.emitDuringDay(user, e.event(), dayStart);
      }
      for (int m = poisson(rng, 0.2 * Math.exp(0.4 * intent)); m > 0; m--) {
        out.emitDuringDay(user, "Project Created", dayStart);
      }
      for (int m = poisson(rng, 0.8 * Math.exp(0.5 * intent) * (paid ? 2 : 1)); m > 0; m--) {
        if (!paid && files >= fileLimit) return true;
        files++;
        out.emitDuringDay(user, "File Uploaded", dayStart);
      }
      return false;
    }

    /** A user did an action n times today: counted where the world's rules count it, and echoed by its decoys. */
    private void counted(String event, int u, int day, int n, long dayStart) {
      int[] byDay = actionsByDay.get(event);
      if (byDay != null) {
        byDay[day] += n;
        List<Integer> last = lastDayByUser.get(event);
        while (last.size() <= u) last.add(Integer.MIN_VALUE / 2);
        last.set(u, day);
      }
      for (Hazard.Echo e : Hazard.echoes(world)) {
        if (!e.follows().equals(event)) continue;
        for (int m = poisson(rng, n * e.perAction()); m > 0; m--) out.emitDuringDay("u" + u, e.event(), dayStart);
      }
    }

    /** Whether a condition of a rule holds at the end of a day. */
    private boolean holds(Hazard.Condition c, int day) {
      int[] byDay = actionsByDay.get(c.event());
      return switch (c.family()) {
        case WINDOW -> sum(byDay, day - c.days() + 1, day) >= c.atLeast();
        // Known once the first k days are over: on day signup + k - 1.
        case SINCE_SIGNUP -> day - signupDay >= c.days() - 1
            && sum(byDay, signupDay, signupDay + c.days() - 1) >= c.atLeast();
        case USERS -> lastDayByUser.get(c.event()).stream().filter(d -> d > day - c.days()).count() >= c.atLeast();
      };
    }

    /** The true hazard of the day, from behaviour up to its end, and whether the account upgrades tomorrow. */
    private void hazard(int day) {
      int active7 = (int) lastActiveDay.stream().filter(d -> d >= day - 6).count();
      int messages30 = sum(messagesByDay, day - 29, day);
      List<Hazard.Rule> rules = Hazard.rules(world);
      boolean[] holding = new boolean[rules.size()];
      List<String> holdingNames = new ArrayList<>();
      for (int i = 0; i < rules.size(); i++) {
        holding[i] = rules.get(i).conditions().stream().allMatch(c -> holds(c, day));
        if (holding[i]) holdingNames.add(rules.get(i).name());
      }
      Hazard.Behaviour b = new Hazard.Behaviour(active7 >= 3, messages30 >= 2000,
          integrationDay >= 0 && integrationDay - signupDay <= 7, sum(limitByDay, day - 29, day) > 0,
          sum(contactByDay, day - 29, day) > 0, messages30, sum(loginsByDay, day - 29, day), holding);
      double h = Hazard.daily(world, b);
      upgradeTomorrow = day + 1 < days && rng.nextDouble() < h;
      hazard.add(new HazardRow(id, startDate.plusDays(day), h, b.activeTeam(), b.heavyMessaging(),
          b.earlyIntegration(), b.usageLimit(), b.askedForSales(), b.messages30d(), b.logins30d(), upgradeTomorrow,
          holdingNames));
    }
  }


  /** The events of one shard of users of the very large, already paying account. */
  public List<EventRow> simulateBigAccountShard(String accountId, int shard, int usersPerShard) {
    SplittableRandom rng = new SplittableRandom(seed * 31 + 7_777_777L + shard);
    Emitter out = new Emitter(accountId + "_s" + shard, accountId, rng, faults);
    for (int day = 0; day < days; day++) {
      long dayStart = dayStart(day);
      for (int u = 0; u < usersPerShard; u++) {
        if (rng.nextDouble() > 0.8) continue;
        String user = "s" + shard + "u" + u;
        out.emit(user, "Signed In", dayStart + (long) (rng.nextDouble() * DAY_MS), null);
        for (int m = poisson(rng, 25); m > 0; m--) out.emitDuringDay(user, "Message Sent", dayStart);
        for (int k = 0; k < NOISE_EVENTS.length; k++) {
          for (int m = poisson(rng, NOISE_RATES[k]); m > 0; m--) out.emitDuringDay(user, NOISE_EVENTS[k], dayStart);
        }
        for (int m = poisson(rng, 1.5); m > 0; m--) out.emitDuringDay(user, "File Uploaded", dayStart);
      }
    }
    return out.rows;
  }

  /** Events per user-day of the big account, used to size its shards. */
  static final double BIG_ACCOUNT_EVENTS_PER_USER_DAY = 0.8 * (1 + 25 + 1.5 + 1.9);

  private static String currentPlan(List<AccountState> states) {
    return states.get(states.size() - 1).plan();
  }

  private static AccountState withPlan(AccountState s, long at, String plan) {
    return new AccountState(s.accountId(), new Timestamp(at), s.createdAt(), s.name(), plan, s.emailDomain(),
        s.domainClass(), s.employees(), s.industry(), s.country(), s.timezone());
  }

  private static void addUser(List<Double> rates, List<Integer> lastActive, SplittableRandom rng, double intent,
      double style) {
    // Messages per active day: a heavy-tailed rate, capped so one account cannot flood the lake; the team's
    // style weighs more than its intent.
    rates.add(Math.min(40, 3.0 * Math.exp(1.0 * intent + 1.5 * style + 0.3 * gaussian(rng))));
    lastActive.add(Integer.MIN_VALUE / 2);
  }

  private static int sum(int[] values, int from, int to) {
    int total = 0;
    for (int i = Math.max(0, from); i <= to; i++) total += values[i];
    return total;
  }

  static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  static double gaussian(SplittableRandom rng) {
    return Math.sqrt(-2 * Math.log(1 - rng.nextDouble())) * Math.cos(2 * Math.PI * rng.nextDouble());
  }

  static int poisson(SplittableRandom rng, double lambda) {
    if (lambda <= 0) return 0;
    if (lambda > 30) return Math.max(0, (int) Math.round(lambda + Math.sqrt(lambda) * gaussian(rng)));
    double limit = Math.exp(-lambda);
    double product = rng.nextDouble();
    int n = 0;
    while (product > limit) {
      product *= rng.nextDouble();
      n++;
    }
    return n;
  }

  /** Turns behaviour into source rows, adding late deliveries, duplicates and malformed rows. */
  private static final class Emitter {
    private final String idPrefix;
    private final String accountId;
    private final SplittableRandom rng;
    private final Faults faults;
    private final List<EventRow> rows = new ArrayList<>();
    private long sequence;

    Emitter(String accountId, SplittableRandom rng, Faults faults) {
      this(accountId, accountId, rng, faults);
    }

    Emitter(String idPrefix, String accountId, SplittableRandom rng, Faults faults) {
      this.idPrefix = idPrefix;
      this.accountId = accountId;
      this.rng = rng;
      this.faults = faults;
    }

    void emitDuringDay(String user, String event, long dayStart) {
      emit(user, event, dayStart + (long) (rng.nextDouble() * DAY_MS), null);
    }

    void emit(String user, String event, long ts, Map<String, String> properties) {
      String id = "evt_" + idPrefix + "_" + Long.toString(sequence++, 36);
      Map<String, String> props = properties == null ? Map.of() : new HashMap<>(properties);
      boolean late = rng.nextDouble() < faults.late();
      long received = ts + (late ? (1 + rng.nextInt(10)) * DAY_MS : 500 + rng.nextInt(5000));
      Timestamp at = new Timestamp(ts);
      rows.add(new EventRow(id, accountId, user, event, at, new Timestamp(received), props, late ? "LATE" : null));
      if (rng.nextDouble() < faults.duplicate()) {
        rows.add(new EventRow(id, accountId, user, event, at, new Timestamp(received + 1 + rng.nextInt(3) * DAY_MS),
            props, "DUPLICATE"));
      }
      if (rng.nextDouble() < faults.malformed()) {
        String bad = id + "_bad";
        Timestamp rec = new Timestamp(received);
        rows.add(switch (rng.nextInt(4)) {
          case 0 -> new EventRow(null, accountId, user, event, at, rec, props, "MISSING_EVENT_ID");
          case 1 -> new EventRow(bad, "", user, event, at, rec, props, "MISSING_ACCOUNT_ID");
          case 2 -> new EventRow(bad, accountId, user, event, null, rec, props, "MISSING_TIMESTAMP");
          default -> new EventRow(bad, accountId, user, event, new Timestamp(4_102_444_800_000L + ts % DAY_MS), rec,
              props, "TIMESTAMP_OUT_OF_RANGE");
        });
      }
    }
  }
}
