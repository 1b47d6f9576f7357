package dev.pql.config;

import com.typesafe.config.Config;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;

/**
 * pql's configuration, read eagerly from a validated {@link Config} so that a bad file fails before
 * Spark starts. Every field mirrors a key of reference.conf, where its meaning is documented.
 */
public record Settings(
    String warehouse,
    String runId,
    SparkSettings spark,
    PlanSettings plans,
    DomainSettings domains,
    GenerateSettings generate,
    IngestSettings ingest,
    FeatureSettings features,
    ModelSettings model,
    ScoringSettings scoring,
    MetricsSettings metrics,
    RunSettings run,
    SubmitSettings submit,
    ServeSettings serve,
    String effectiveConfiguration) {

  /** These settings scoring with the given model version. */
  public Settings withModelVersion(String version) {
    return withScoring(new ScoringSettings(scoring.definitions(), version, scoring.learned(), scoring.policy(),
        scoring.topK(), scoring.targetPrecision(), scoring.activationBars(), scoring.reasons()));
  }

  /** These settings scoring without the learned definition (no model trained yet). */
  public Settings withoutLearned() {
    return withScoring(new ScoringSettings(scoring.definitions(), scoring.modelVersion(), false, scoring.policy(),
        scoring.topK(), scoring.targetPrecision(), scoring.activationBars(), scoring.reasons()));
  }

  private Settings withScoring(ScoringSettings s) {
    return new Settings(warehouse, runId, spark, plans, domains, generate, ingest, features, model, s, metrics, run,
        submit, serve, effectiveConfiguration);
  }

  /**
   * The funnel metrics: the cohort window N (signup to PQL), the conversion window H (PQL to paid) and the account
   * attributes that split the rows into segments.
   */
  public record MetricsSettings(int cohortDays, int conversionDays, List<String> segments) {
    /** Account attributes at signup a metrics row can be split by. */
    public static final List<String> SEGMENTS = List.of("size_band", "signup_plan", "domain_class", "industry",
        "country", "revenue_band");
  }

  /**
   * The scheduled pipeline: where the first run's snapshot history starts and how often the model is retrained.
   */
  /** @param leaseSeconds how long a run's warehouse lease outlives its last renewal (a driver killed elsewhere) */
  public record RunSettings(int firstSnapshotAfterDays, int retrainEveryDays, int leaseSeconds) {}

  /** `pql serve-sql`: where the Thrift server listens, the database it serves and its metastore folder. */
  /** {@code database} holds the tables BI tools read; {@code internalDatabase} the stages' own. */
  public record ServeSettings(String host, int port, String database, String internalDatabase, String metastore) {}

  /**
   * How open accounts are scored: the definitions folder, the learned definition's cutoff policy, the activation
   * bar of each opportunity size band, and how many reasons a lead carries.
   */
  public record ScoringSettings(String definitions, String modelVersion, boolean learned, String policy, int topK,
      double targetPrecision, Map<String, Double> activationBars, int reasons) {
    public static final String TOP_K = "top-k";
    public static final String PRECISION = "precision";
  }

  /**
   * How the upgrade model is trained and evaluated: the label horizon, the calibration and locked evaluation
   * windows at the end of the labelled history, the regularization grid, the threshold discovery's guards and the
   * champion gate.
   */
  public record ModelSettings(int horizonDays, int driverHorizonDays, int evaluationDays, int calibrationDays,
      int labelLagDays, LocalDate trainFrom, LocalDate trainTo, List<Double> regParams, List<Double> elasticNetParams,
      double validationShare, long seed, int maxIterations, int leadingDrivers, int minSupport, double alpha,
      List<String> excludeFeatures, long localSolverMaxCells, Gate gate, int driverRefits) {}

  /**
   * The champion gate: the model is published only if, on the locked evaluation window, the lower bound of the
   * account-level paired bootstrap interval of its AUC-ROC gain over each baseline exceeds {@code minAucGain}.
   */
  public record Gate(boolean enabled, double minAucGain, int replicates, double confidence) {}

  public record FeatureSettings(List<String> keyEvents, List<String> loginEvents, List<String> inviteEvents,
      List<String> limitEvents, List<String> handRaiseEvents, List<PlanLimit> planLimits,
      List<Milestone> activationMilestones, boolean weekly, java.time.DayOfWeek weekday, int sizeMidFrom,
      int sizeLargeFrom, List<String> excludeEvents, String conversionFilter, Integer arrivalGraceDays,
      List<Integer> windows, List<Integer> signupWindows, List<Integer> userWindows, boolean enrichmentFirst) {

    /** These settings with more windows (those a definition names), each list distinct and in order. */
    public FeatureSettings withWindows(java.util.Collection<Integer> moreCounts,
        java.util.Collection<Integer> moreSinceSignup, java.util.Collection<Integer> moreUsers) {
      return new FeatureSettings(keyEvents, loginEvents, inviteEvents, limitEvents, handRaiseEvents, planLimits,
          activationMilestones, weekly, weekday, sizeMidFrom, sizeLargeFrom, excludeEvents, conversionFilter,
          arrivalGraceDays, union(windows, moreCounts), union(signupWindows, moreSinceSignup),
          union(userWindows, moreUsers), enrichmentFirst);
    }

    private static List<Integer> union(List<Integer> some, java.util.Collection<Integer> more) {
      java.util.TreeSet<Integer> all = new java.util.TreeSet<>(some);
      all.addAll(more);
      return List.copyOf(all);
    }

    /** The windows of pql.features.windows and 7 and 30, which are always built, in ascending order. */
    public List<Integer> countWindows() {
      java.util.TreeSet<Integer> all = new java.util.TreeSet<>(windows);
      all.addAll(List.of(7, 30));
      return List.copyOf(all);
    }

    /** Every event the configuration names, for the report of configured events never seen. */
    public List<String> namedEvents() {
      java.util.LinkedHashSet<String> named = new java.util.LinkedHashSet<>(keyEvents);
      named.addAll(loginEvents);
      named.addAll(inviteEvents);
      named.addAll(limitEvents);
      named.addAll(handRaiseEvents);
      planLimits.forEach(l -> named.add(l.event()));
      activationMilestones.forEach(m -> named.add(m.event()));
      return List.copyOf(named);
    }
  }

  /** A free-plan limit on an event: its count over the window (30 days, or since signup) against the limit. */
  public record PlanLimit(String event, long limit, boolean sinceSignup) {}

  /** An activation milestone: reached once the account has done {@code event} at least {@code atLeast} times. */
  public record Milestone(String name, String event, long atLeast) {}

  public record SparkSettings(String master, String appName, int shufflePartitions, Map<String, String> conf) {}

  public record PlanSettings(List<String> free, List<String> paid) {}

  public record DomainSettings(List<String> webmail, List<String> enterprise) {}

  public record GenerateSettings(
      String output,
      long seed,
      int accounts,
      LocalDate startDate,
      int days,
      double trialShare,
      double paidAtSignupShare,
      int fileLimit,
      double bigAccountEventShare,
      double lateEventShare,
      double duplicateEventShare,
      double malformedEventShare,
      int files,
      String world,
      List<String> layouts) {
    /** Whether the lake is written in this layout (generic, segment). */
    public boolean writes(String layout) {
      return layouts.contains(layout);
    }
  }

  /** Where a source table is and how it is read. {@code key} is its configuration path, for messages. */
  public record SourceTable(String key, String path, String format, Map<String, String> options) {}

  /**
   * Where an event without an account id finds one (pql.ingest.events.account-from-email): the account of its
   * user's work-email domain, or, for a webmail address, an account of that user alone. {@code email} is an
   * expression over the event source; empty: no such fallback.
   */
  public record AccountFromEmail(String email, List<String> webmail) {
    public boolean enabled() {
      return !email.isBlank();
    }
  }

  /**
   * A firmographic table keyed by email domain (pql.ingest.enrichment: a Clearbit or Apollo export), each row true
   * from its own valid-from time; no path: no enrichment.
   */
  public record Enrichment(SourceTable source, EnrichmentColumns columns) {
    public boolean enabled() {
      return !source.path().isBlank();
    }
  }

  /**
   * Which user and account ids are stored as a keyed hash (pql.ingest.pseudonymize): {@code ids} emails, all or
   * none; the key is the value of the environment variable {@code keyVariable}, never a configuration value.
   */
  public record Pseudonymize(String ids, String keyVariable) {}

  /**
   * A users table (pql.ingest.users): each user's account, for events that carry a user and no account (a product
   * database's users table, Segment identifies with a company trait). No path: none.
   */
  public record UserAccounts(SourceTable source, String userId, String accountId) {
    public boolean enabled() {
      return !source.path().isBlank();
    }
  }

  /**
   * A table of identities (pql.ingest.identities: Segment's identifies, a CDP's identity graph): each row says an
   * anonymous id became a user at a time, and may name the user's account (empty: none, the users table's). No
   * path: none.
   */
  public record Identities(SourceTable source, String anonymousId, String userId, String ts, String accountId) {
    public boolean enabled() {
      return !source.path().isBlank();
    }
  }

  /** Expressions over the enrichment source; empty: that field is not in it. */
  public record EnrichmentColumns(String domain, String validFrom, String employees, String industry, String country,
      String revenueBand, String foundedYear) {}

  public record EventColumns(
      String eventId, String accountId, String userId, String event, String ts, String tsUnit, String properties,
      String receivedAt, String anonymousId) {}

  public record AccountColumns(
      String accountId,
      String validFrom,
      String signupAt,
      String name,
      String plan,
      String emailDomain,
      String employees,
      String industry,
      String country,
      String timezone) {}

  public enum AccountSource { TABLE, EVENTS, NONE }

  public enum ConversionSource { PLAN_HISTORY, EVENT }

  public record ConversionSettings(ConversionSource source, String eventFilter, String fromPlan, String toPlan) {}

  public record IngestSettings(
      String lake,
      SourceTable events,
      EventColumns eventColumns,
      AccountSource accountSource,
      SourceTable accounts,
      AccountColumns accountColumns,
      ConversionSettings conversions,
      Instant earliestTimestamp,
      Duration futureTolerance,
      boolean requireKnownAccount,
      int dedupWindowDays,
      List<String> keptProperties,
      boolean keepRawRecords,
      AccountFromEmail accountFromEmail,
      Enrichment enrichment,
      Pseudonymize pseudonymize,
      UserAccounts users,
      List<String> accountPrecedence,
      Identities identities) {
    /** A dedup window of this many days means: look duplicates up in the whole events table. */
    public static final int WHOLE_TABLE = -1;
  }
}
