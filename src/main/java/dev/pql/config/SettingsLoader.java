package dev.pql.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.pql.PqlException.ConfigurationError;
import dev.pql.config.Settings.AccountColumns;
import dev.pql.config.Settings.AccountSource;
import dev.pql.config.Settings.ConversionSettings;
import dev.pql.config.Settings.ConversionSource;
import dev.pql.config.Settings.DomainSettings;
import dev.pql.config.Settings.EventColumns;
import dev.pql.config.Settings.GenerateSettings;
import dev.pql.config.Settings.IngestSettings;
import dev.pql.config.Settings.PlanSettings;
import dev.pql.config.Settings.SourceTable;
import dev.pql.config.Settings.SparkSettings;
import java.io.File;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Layers, validates and reads pql's configuration. Every problem becomes a {@link ConfigurationError}
 * that names the key and the file (and line) it came from; nothing here touches Spark.
 */
public final class SettingsLoader {

  /** Objects whose keys are the user's own (Spark settings, reader options): not checked for typos. */
  private static final List<String> FREE_FORM =
      List.of("pql.spark.conf", "pql.ingest.events.options", "pql.ingest.accounts.options",
          "pql.ingest.enrichment.options", "pql.ingest.users.options", "pql.ingest.identities.options",
          "pql.submit.conf",
          "pql.submit.resources");

  private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9_-]*");
  private static final Set<String> FORMATS = Set.of("parquet", "delta", "json", "csv");

  private SettingsLoader() {}

  /**
   * @param configFile the environment file (--config), or null for reference.conf alone
   * @param mappingFile a source mapping (--mapping), or null
   * @param overrides command-line and -D overrides, keyed by full path (pql.warehouse)
   */
  public static Settings load(File configFile, File mappingFile, Map<String, String> overrides) {
    Config config = resolve(configFile, mappingFile, overrides);
    try {
      return read(config);
    } catch (ConfigException e) {
      throw new ConfigurationError("Invalid configuration: " + e.getMessage(), e);
    }
  }

  /**
   * The configuration file and mapping merged into one self-contained HOCON document, for a driver on the cluster
   * that cannot see the files of the machine that submitted it. Includes are applied; substitutions are left for
   * the driver to resolve, so that its command-line options (--lake, -D...) still reach every key built from them.
   */
  public static String render(File configFile, File mappingFile) {
    Config merged = ConfigFactory.empty();
    if (mappingFile != null) merged = parseFile(mappingFile, "--mapping").withFallback(merged);
    if (configFile != null) merged = parseFile(configFile, "--config").withFallback(merged);
    return merged.root().render(com.typesafe.config.ConfigRenderOptions.defaults()
        .setOriginComments(false).setJson(false));
  }

  /**
   * The keys that name a file or folder. A relative one is taken against the folder of the file that sets it; the
   * shipped defaults of reference.conf against the installation (PQL_HOME, when set); a command-line or -D value
   * against the working directory, as any command-line tool does.
   */
  static final List<String> PATHS = List.of("pql.warehouse", "pql.generate.output", "pql.ingest.lake",
      "pql.ingest.events.path", "pql.ingest.accounts.path", "pql.scoring.definitions", "pql.serve.metastore");

  private static Config resolve(File configFile, File mappingFile, Map<String, String> overrides) {
    // Unresolved, so that ${pql.ingest.lake} in reference.conf sees the user's value, not the default.
    Config reference = anchorPaths(ConfigFactory.parseResources(SettingsLoader.class.getClassLoader(),
        "reference.conf"), System.getenv("PQL_HOME"));
    List<Config> userLayers = new ArrayList<>();
    userLayers.add(overrideLayer(overrides, "command-line options"));
    userLayers.add(systemOverrides());
    if (configFile != null) userLayers.add(anchorPaths(parseFile(configFile, "--config"), null));
    if (mappingFile != null) userLayers.add(anchorPaths(parseFile(mappingFile, "--mapping"), null));

    Config merged = reference;
    for (int i = userLayers.size() - 1; i >= 0; i--) merged = userLayers.get(i).withFallback(merged);
    for (Config layer : userLayers) rejectUnknownKeys(layer, reference);

    Config config;
    try {
      config = merged.resolve();
      config.checkValid(reference.resolve(), "pql");
    } catch (ConfigException e) {
      throw new ConfigurationError("Invalid configuration: " + e.getMessage(), e);
    }
    return config;
  }

  /**
   * The layer with each relative path of {@link #PATHS} made absolute: against the folder of the file it was written
   * in, or, for a value from a resource (reference.conf), against {@code home} (unchanged when home is null). A value
   * built by substitution (${pql.ingest.lake}"/events") is left to the value it is built from.
   */
  static Config anchorPaths(Config layer, String home) {
    for (String key : PATHS) {
      ConfigValue value;
      try {
        if (!layer.hasPath(key)) continue;
        value = layer.getValue(key);
      } catch (ConfigException.NotResolved substitution) {
        continue;
      }
      if (value.valueType() != com.typesafe.config.ConfigValueType.STRING) continue;
      String path = (String) value.unwrapped();
      String base = value.origin().resource() != null ? home : value.origin().filename() != null
          ? new File(value.origin().filename()).getAbsoluteFile().getParent() : null;
      if (base == null || !isRelativeLocal(path)) continue;
      String anchored = java.nio.file.Path.of(base).resolve(path).normalize().toString();
      layer = layer.withValue(key, com.typesafe.config.ConfigValueFactory.fromAnyRef(anchored)
          .withOrigin(value.origin()));
    }
    return layer;
  }

  /** A local path that is not absolute, nor a URI (s3a://..., file:/...). */
  static boolean isRelativeLocal(String path) {
    return !path.isBlank() && !path.startsWith("/") && !path.matches("[A-Za-z][A-Za-z0-9+.-]*:.*");
  }

  private static Config systemOverrides() {
    Map<String, String> props = new TreeMap<>();
    System.getProperties().stringPropertyNames().stream()
        .filter(name -> name.startsWith("pql."))
        .forEach(name -> props.put(name, System.getProperty(name)));
    return overrideLayer(props, "-D system properties");
  }

  /**
   * Overrides keyed by path: a value written as a HOCON list or object ({@code [0.5, 1.0]}) is one, any other
   * value is a string that Typesafe Config converts on reading, as a number, boolean or duration.
   */
  static Config overrideLayer(Map<String, String> overrides, String origin) {
    Config layer = ConfigFactory.empty(origin);
    for (Map.Entry<String, String> e : overrides.entrySet()) {
      String value = e.getValue().trim();
      if (value.startsWith("[") || value.startsWith("{")) {
        try {
          layer = layer.withValue(e.getKey(), ConfigFactory.parseString("v = " + value,
              ConfigParseOptions.defaults().setOriginDescription(origin + ": " + e.getKey())).getValue("v"));
        } catch (ConfigException ex) {
          throw new ConfigurationError("Invalid configuration: " + origin + ": " + e.getKey() + " = " + e.getValue()
              + " is not a valid HOCON list or object: " + ex.getMessage(), ex);
        }
      } else {
        layer = layer.withValue(e.getKey(), com.typesafe.config.ConfigValueFactory.fromAnyRef(e.getValue(), origin));
      }
    }
    return layer;
  }

  private static Config parseFile(File file, String option) {
    if (!file.isFile()) {
      throw new ConfigurationError(
          "Configuration file given with " + option + " does not exist: " + file.getPath(), null);
    }
    try {
      return ConfigFactory.parseFile(file, ConfigParseOptions.defaults().setAllowMissing(false));
    } catch (ConfigException e) {
      throw new ConfigurationError("Cannot parse configuration file " + file.getPath() + ": " + e.getMessage(), e);
    }
  }

  private static void rejectUnknownKeys(Config layer, Config reference) {
    for (Map.Entry<String, ConfigValue> entry : layer.entrySet()) {
      String path = entry.getKey();
      if (reference.hasPathOrNull(path) || isFreeForm(path)) continue;
      String hint = closestKey(path, reference).map(k -> " (did you mean '" + k + "'?)").orElse("");
      throw new ConfigurationError(
          "Unknown configuration key '" + path + "' in " + where(entry.getValue().origin()) + hint, null);
    }
  }

  private static boolean isFreeForm(String path) {
    return FREE_FORM.stream().anyMatch(prefix -> path.startsWith(prefix + "."));
  }

  private static java.util.Optional<String> closestKey(String path, Config reference) {
    return reference.entrySet().stream()
        .map(Map.Entry::getKey)
        .filter(k -> !isFreeForm(k))
        .min(Comparator.comparingInt(k -> editDistance(k, path)))
        .filter(k -> editDistance(k, path) <= Math.max(2, path.length() / 6));
  }

  /** Levenshtein's distance between two names (the "did you mean" of keys and of definitions' events). */
  public static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) prev[j] = j;
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  /** "conf/x.conf: 12" for a file, the origin's own description otherwise. */
  static String where(ConfigOrigin origin) {
    if (origin.filename() != null) {
      return origin.filename() + (origin.lineNumber() > 0 ? ":" + origin.lineNumber() : "");
    }
    return origin.description();
  }

  private static GenerateSettings readGenerate(Config c) {
    Config p = c.getConfig("pql");
    return new GenerateSettings(
        p.getString("generate.output"),
        p.getLong("generate.seed"),
        positive(c, "pql.generate.accounts"),
        date(c, "pql.generate.start-date"),
        positive(c, "pql.generate.days"),
        share(c, "pql.generate.trial-share"),
        share(c, "pql.generate.paid-at-signup-share"),
        positive(c, "pql.generate.file-limit"),
        share(c, "pql.generate.big-account-event-share"),
        share(c, "pql.generate.late-event-share"),
        share(c, "pql.generate.duplicate-event-share"),
        share(c, "pql.generate.malformed-event-share"),
        positive(c, "pql.generate.files"),
        oneOf(c, "pql.generate.world", Set.of("stepped", "graded", "null", "logins-only", "grammar", "interaction")),
        layouts(c));
  }

  /** The layouts `generate` can write. */
  static final List<String> LAYOUTS = List.of("generic", "segment", "amplitude", "mixpanel", "posthog", "snowplow");

  /** pql.generate.layouts: a non-empty list of LAYOUTS. */
  private static List<String> layouts(Config c) {
    String key = "pql.generate.layouts";
    List<String> layouts = c.getStringList(key).stream().map(l -> l.toLowerCase(java.util.Locale.ROOT)).distinct()
        .toList();
    if (layouts.isEmpty() || !LAYOUTS.containsAll(layouts)) {
      throw bad(c, key, "must list some of " + String.join(", ", LAYOUTS) + ", not " + c.getStringList(key));
    }
    return layouts;
  }

  private static Settings read(Config c) {
    Config p = c.getConfig("pql");
    String runId = p.getString("run-id");
    if (!RUN_ID.matcher(runId).matches()) {
      throw bad(c, "pql.run-id", "must contain only letters, digits, '-' and '_'");
    }
    for (String block : FREE_FORM) rejectCredentials(c, block);
    SparkSettings spark = new SparkSettings(
        p.getString("spark.master"),
        p.getString("spark.app-name"),
        positive(c, "pql.spark.shuffle-partitions"),
        flatten(p.getConfig("spark.conf")));
    PlanSettings plans = new PlanSettings(lower(p.getStringList("plans.free")), lower(p.getStringList("plans.paid")));
    DomainSettings domains =
        new DomainSettings(lower(p.getStringList("domains.webmail")), lower(p.getStringList("domains.enterprise")));
    return new Settings(
        required(c, "pql.warehouse"),
        runId,
        spark,
        plans,
        domains,
        readGenerate(c),
        readIngest(c, domains),
        new Settings.FeatureSettings(
            p.getStringList("features.key-events"),
            p.getStringList("features.login-events"),
            p.getStringList("features.invite-events"),
            p.getStringList("features.limit-events"),
            p.getStringList("features.hand-raise-events"),
            planLimits(c),
            milestones(c),
            oneOf(c, "pql.features.cadence", Set.of("daily", "weekly")).equals("weekly"),
            java.time.DayOfWeek.valueOf(oneOf(c, "pql.features.weekday",
                Set.of("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
                .toUpperCase(Locale.ROOT)),
            positive(c, "pql.features.size-bands.mid-from"),
            positive(c, "pql.features.size-bands.large-from"),
            p.getStringList("features.exclude-events"),
            // The conversion event is never a feature: the mapping's filter names it.
            p.getString("ingest.conversions.source").equals("event")
                ? p.getString("ingest.conversions.event-filter") : null,
            arrivalGraceDays(c),
            days(c, "pql.features.windows"),
            days(c, "pql.features.signup-windows"),
            days(c, "pql.features.user-windows"),
            // Which of the account source and the enrichment gives employees, industry and country when both do.
            oneOf(c, "pql.ingest.enrichment.prefer", Set.of("account-source", "enrichment")).equals("enrichment")),
        readModel(c),
        readScoring(c),
        readMetrics(c),
        new Settings.RunSettings(positive(c, "pql.run.first-snapshot-after-days"),
            positive(c, "pql.run.retrain-every-days"), positive(c, "pql.run.lease-seconds")),
        SubmitSettings.read(c),
        readServe(c),
        describe(c));
  }

  private static Settings.ServeSettings readServe(Config c) {
    String s = "pql.serve.";
    int port = c.getInt(s + "port");
    if (port < 1 || port > 65535) throw bad(c, s + "port", "must be a TCP port (1..65535), found " + port);
    String database = sqlName(c, s + "database");
    String internal = sqlName(c, s + "internal-database");
    if (internal.equalsIgnoreCase(database)) {
      throw bad(c, s + "internal-database", "must differ from " + s + "database ('" + database + "'): the tables BI "
          + "tools read and the stages' own are served apart");
    }
    return new Settings.ServeSettings(required(c, s + "host"), port, database, internal, required(c, s + "metastore"));
  }

  private static String sqlName(Config c, String key) {
    String name = required(c, key);
    if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw bad(c, key, "must be a plain SQL name (letters, digits, '_'), found '" + name + "'");
    }
    return name;
  }

  private static Settings.MetricsSettings readMetrics(Config c) {
    String m = "pql.metrics.";
    List<String> segments = c.getStringList(m + "segments");
    for (String segment : segments) {
      if (!Settings.MetricsSettings.SEGMENTS.contains(segment)) {
        throw bad(c, m + "segments", "lists '" + segment + "', which is not one of " + Settings.MetricsSettings.SEGMENTS);
      }
    }
    if (new java.util.HashSet<>(segments).size() < segments.size()) throw bad(c, m + "segments", "lists a segment twice");
    return new Settings.MetricsSettings(positive(c, m + "cohort-days"), positive(c, m + "conversion-days"),
        List.copyOf(segments));
  }

  private static Settings.ScoringSettings readScoring(Config c) {
    String s = "pql.scoring.";
    Map<String, Double> bars = new java.util.LinkedHashMap<>();
    for (String band : List.of("small", "mid", "large")) {
      double bar = share(c, s + "activation-bars." + band);
      bars.put(band, bar);
    }
    for (String key : c.getConfig(s + "activation-bars").root().keySet()) {
      if (!bars.containsKey(key)) throw bad(c, s + "activation-bars." + key, "is not a size band (small, mid, large)");
    }
    double precision = share(c, s + "target-precision");
    if (precision <= 0) throw bad(c, s + "target-precision", "must be above 0");
    return new Settings.ScoringSettings(
        required(c, s + "definitions"),
        c.getString(s + "model-version").isBlank() ? null : c.getString(s + "model-version").trim(),
        c.getBoolean(s + "learned"),
        oneOf(c, s + "policy", Set.of(Settings.ScoringSettings.TOP_K, Settings.ScoringSettings.PRECISION)),
        positive(c, s + "top-k"),
        precision,
        Map.copyOf(bars),
        positive(c, s + "reasons"));
  }

  private static Settings.ModelSettings readModel(Config c) {
    String m = "pql.model.";
    List<Double> reg = c.getDoubleList(m + "reg-params");
    List<Double> elastic = c.getDoubleList(m + "elastic-net-params");
    if (reg.isEmpty() || reg.stream().anyMatch(v -> v < 0)) throw bad(c, m + "reg-params", "must list values >= 0");
    if (elastic.isEmpty() || elastic.stream().anyMatch(v -> v < 0 || v > 1)) {
      throw bad(c, m + "elastic-net-params", "must list values between 0 and 1");
    }
    double validation = share(c, m + "validation-share");
    if (validation <= 0 || validation >= 1) throw bad(c, m + "validation-share", "must be strictly between 0 and 1");
    double alpha = share(c, m + "alpha");
    if (alpha <= 0) throw bad(c, m + "alpha", "must be above 0");
    return new Settings.ModelSettings(
        positive(c, m + "horizon-days"),
        positive(c, m + "driver-horizon-days"),
        positive(c, m + "evaluation-days"),
        positive(c, m + "calibration-days"),
        Math.toIntExact(nonNegative(c, m + "label-lag-days")),
        optionalDate(c, m + "train-from"),
        optionalDate(c, m + "train-to"),
        List.copyOf(reg),
        List.copyOf(elastic),
        validation,
        c.getLong(m + "seed"),
        positive(c, m + "max-iterations"),
        positive(c, m + "leading-drivers"),
        positive(c, m + "min-support"),
        alpha,
        c.getStringList(m + "exclude-features"),
        nonNegative(c, m + "local-solver-max-cells"),
        readGate(c),
        atLeast(c, m + "driver-refits", 20));
  }

  private static Settings.Gate readGate(Config c) {
    String g = "pql.model.gate.";
    double confidence = share(c, g + "confidence");
    if (confidence < 0.5 || confidence >= 1) throw bad(c, g + "confidence", "must be at least 0.5 and below 1");
    double gain = c.getDouble(g + "min-auc-gain");
    if (gain <= -1 || gain >= 1) throw bad(c, g + "min-auc-gain", "must be strictly between -1 and 1");
    int replicates = positive(c, g + "bootstrap-replicates");
    if (replicates < 50) throw bad(c, g + "bootstrap-replicates", "must be at least 50 for a percentile interval");
    return new Settings.Gate(c.getBoolean(g + "enabled"), gain, replicates, confidence);
  }

  private static LocalDate optionalDate(Config c, String key) {
    return c.getString(key).isBlank() ? null : date(c, key);
  }

  /** A list of windows in days: distinct, each 1 to 3,650, in ascending order. */
  private static List<Integer> days(Config c, String key) {
    java.util.TreeSet<Integer> days = new java.util.TreeSet<>();
    for (Integer d : c.getIntList(key)) {
      if (d < 1 || d > 3650) {
        throw new ConfigurationError(key + " holds " + d + ": a window is 1 to 3,650 days", null);
      }
      days.add(d);
    }
    return List.copyOf(days);
  }

  /** pql.features.arrival-limit: the grace in days when it is on, else null; on needs a mapped arrival time. */
  private static Integer arrivalGraceDays(Config c) {
    if (!c.getBoolean("pql.features.arrival-limit.enabled")) return null;
    if (c.getString("pql.ingest.events.columns.received-at").isBlank()) {
      throw new ConfigurationError("pql.features.arrival-limit.enabled = true needs the events' arrival time: set "
          + "pql.ingest.events.columns.received-at in the source mapping (e.g. \"received_at\" for Segment)", null);
    }
    int grace = c.getInt("pql.features.arrival-limit.grace-days");
    if (grace < 0) {
      throw new ConfigurationError("pql.features.arrival-limit.grace-days must be 0 or more, not " + grace, null);
    }
    return grace;
  }

  private static IngestSettings readIngest(Config c, DomainSettings domains) {
    String base = "pql.ingest.";
    SourceTable events = source(c, base + "events", true);
    String ev = base + "events.columns.";
    EventColumns eventColumns = new EventColumns(
        c.getString(ev + "event-id"),
        required(c, ev + "account-id"),
        c.getString(ev + "user-id"),
        required(c, ev + "event"),
        required(c, ev + "ts"),
        oneOf(c, ev + "ts-unit", Set.of("millis", "seconds")),
        c.getString(ev + "properties"),
        c.getString(ev + "received-at"),
        c.getString(ev + "anonymous-id"));
    AccountSource accountSource = enumValue(c, base + "accounts.source", AccountSource.class);
    SourceTable accounts = source(c, base + "accounts", accountSource == AccountSource.TABLE);
    String ac = base + "accounts.columns.";
    AccountColumns accountColumns = new AccountColumns(
        required(c, ac + "account-id"),
        accountSource == AccountSource.TABLE ? required(c, ac + "valid-from") : c.getString(ac + "valid-from"),
        c.getString(ac + "signup-at"),
        c.getString(ac + "name"),
        c.getString(ac + "plan"),
        c.getString(ac + "email-domain"),
        c.getString(ac + "employees"),
        c.getString(ac + "industry"),
        c.getString(ac + "country"),
        c.getString(ac + "timezone"));
    ConversionSource conversionSource = enumValue(c, base + "conversions.source", ConversionSource.class);
    ConversionSettings conversions = new ConversionSettings(
        conversionSource,
        conversionSource == ConversionSource.EVENT
            ? required(c, base + "conversions.event-filter")
            : c.getString(base + "conversions.event-filter"),
        required(c, base + "conversions.from-plan"),
        required(c, base + "conversions.to-plan"));
    Instant earliest;
    try {
      earliest = Instant.parse(c.getString(base + "earliest-timestamp"));
    } catch (RuntimeException e) {
      throw bad(c, base + "earliest-timestamp", "must be an ISO-8601 instant such as 2000-01-01T00:00:00Z");
    }
    return new IngestSettings(
        c.getString(base + "lake"),
        events,
        eventColumns,
        accountSource,
        accounts,
        accountColumns,
        conversions,
        earliest,
        c.getDuration(base + "future-tolerance"),
        c.getBoolean(base + "require-known-account"),
        atLeast(c, base + "dedup-window-days", IngestSettings.WHOLE_TABLE),
        List.copyOf(c.getStringList(base + "events.keep-properties")),
        c.getBoolean(base + "keep-raw-records"),
        new Settings.AccountFromEmail(c.getString(base + "events.account-from-email"), domains.webmail()),
        readEnrichment(c, base + "enrichment"),
        new Settings.Pseudonymize(oneOf(c, base + "pseudonymize.ids", Set.of("emails", "all", "none")),
            required(c, base + "pseudonymize.key-variable")),
        readUsers(c, base + "users"),
        accountPrecedence(c, base + "account-precedence"),
        readIdentities(c, base + "identities"));
  }

  private static Settings.Identities readIdentities(Config c, String key) {
    SourceTable source = source(c, key, false);
    String k = key + ".columns.";
    boolean on = !source.path().isBlank();
    return new Settings.Identities(source,
        on ? required(c, k + "anonymous-id") : c.getString(k + "anonymous-id"),
        on ? required(c, k + "user-id") : c.getString(k + "user-id"),
        on ? required(c, k + "ts") : c.getString(k + "ts"),
        c.getString(k + "account-id"));
  }

  private static Settings.UserAccounts readUsers(Config c, String key) {
    SourceTable source = source(c, key, false);
    boolean on = !source.path().isBlank();
    return new Settings.UserAccounts(source,
        on ? required(c, key + ".columns.user-id") : c.getString(key + ".columns.user-id"),
        on ? required(c, key + ".columns.account-id") : c.getString(key + ".columns.account-id"));
  }

  /** Where an event's account is looked for, in order: its own account id, the users table, its user's email. */
  private static List<String> accountPrecedence(Config c, String key) {
    List<String> steps = c.getStringList(key);
    Set<String> known = Set.of("event", "users", "email");
    if (steps.isEmpty() || !known.containsAll(steps) || new java.util.HashSet<>(steps).size() != steps.size()) {
      throw bad(c, key, "must list each of event, users and email at most once, in the order they are tried, not "
          + steps);
    }
    return List.copyOf(steps);
  }

  private static Settings.Enrichment readEnrichment(Config c, String key) {
    SourceTable source = source(c, key, false);
    String k = key + ".columns.";
    boolean on = !source.path().isBlank();
    return new Settings.Enrichment(source, new Settings.EnrichmentColumns(
        on ? required(c, k + "domain") : c.getString(k + "domain"),
        on ? required(c, k + "valid-from") : c.getString(k + "valid-from"),
        c.getString(k + "employees"), c.getString(k + "industry"), c.getString(k + "country"),
        c.getString(k + "revenue-band"), c.getString(k + "founded-year")));
  }

  private static List<Settings.PlanLimit> planLimits(Config c) {
    List<Settings.PlanLimit> limits = new ArrayList<>();
    Set<String> events = new java.util.HashSet<>();
    for (Config item : objects(c, "pql.features.plan-limits", Set.of("event", "limit", "window"))) {
      String event = required(item, "event");
      if (!events.add(event)) throw bad(item, "event", "repeats '" + event + "': one limit per event");
      long limit = item.getLong("limit");
      if (limit <= 0) throw bad(item, "limit", "must be positive, found " + limit);
      String window = oneOf(item, "window", Set.of("30d", "total"));
      limits.add(new Settings.PlanLimit(event, limit, window.equals("total")));
    }
    return List.copyOf(limits);
  }

  private static List<Settings.Milestone> milestones(Config c) {
    List<Settings.Milestone> milestones = new ArrayList<>();
    Set<String> names = new java.util.HashSet<>();
    for (Config item : objects(c, "pql.features.activation-milestones", Set.of("name", "event", "at-least"))) {
      String event = required(item, "event");
      long atLeast = item.hasPath("at-least") ? item.getLong("at-least") : 1;
      if (atLeast <= 0) throw bad(item, "at-least", "must be positive, found " + atLeast);
      String name = item.hasPath("name") ? required(item, "name") : event;
      if (!names.add(name)) throw bad(item, "name", "repeats the milestone name '" + name + "'");
      milestones.add(new Settings.Milestone(name, event, atLeast));
    }
    return List.copyOf(milestones);
  }

  /** The objects of a list, each checked for keys outside {@code allowed} (a list is not in reference.conf's tree). */
  private static List<Config> objects(Config c, String key, Set<String> allowed) {
    List<Config> items = new ArrayList<>();
    for (Config item : c.getConfigList(key)) {
      for (String k : item.root().keySet()) {
        if (!allowed.contains(k)) {
          throw new ConfigurationError("Unknown key '" + k + "' in an element of '" + key + "' in "
              + where(item.root().get(k).origin()) + "; allowed: " + new java.util.TreeSet<>(allowed), null);
        }
      }
      items.add(item);
    }
    return items;
  }

  private static SourceTable source(Config c, String key, boolean needed) {
    String path = needed ? required(c, key + ".path") : c.getString(key + ".path");
    return new SourceTable(
        key, path, oneOf(c, key + ".format", FORMATS), flatten(c.getConfig(key + ".options")));
  }

  static Map<String, String> flatten(Config free) {
    Map<String, String> out = new TreeMap<>();
    for (Map.Entry<String, ConfigValue> e : free.entrySet()) {
      out.put(String.join(".", ConfigUtil.splitPath(e.getKey())), String.valueOf(e.getValue().unwrapped()));
    }
    return out;
  }

  private static List<String> lower(List<String> values) {
    return values.stream().map(v -> v.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableList());
  }

  private static String required(Config c, String key) {
    String value = c.getString(key);
    if (value.isBlank()) throw bad(c, key, "is required and must not be empty");
    return value;
  }

  private static long nonNegative(Config c, String key) {
    long v = c.getLong(key);
    if (v < 0) throw bad(c, key, "must be 0 or more");
    return v;
  }

  private static int atLeast(Config c, String key, int least) {
    int value = c.getInt(key);
    if (value < least) throw bad(c, key, "must be at least " + least + ", found " + value);
    return value;
  }

  private static int positive(Config c, String key) {
    int value = c.getInt(key);
    if (value <= 0) throw bad(c, key, "must be a positive whole number, found " + value);
    return value;
  }

  private static double share(Config c, String key) {
    double value = c.getDouble(key);
    if (value < 0 || value > 1) throw bad(c, key, "must be a share between 0 and 1, found " + value);
    return value;
  }

  private static LocalDate date(Config c, String key) {
    try {
      return LocalDate.parse(c.getString(key));
    } catch (RuntimeException e) {
      throw bad(c, key, "must be a date as YYYY-MM-DD, found '" + c.getString(key) + "'");
    }
  }

  private static String oneOf(Config c, String key, Set<String> allowed) {
    String value = c.getString(key).toLowerCase(Locale.ROOT);
    if (!allowed.contains(value)) {
      throw bad(c, key, "must be one of " + new java.util.TreeSet<>(allowed) + ", found '" + c.getString(key) + "'");
    }
    return value;
  }

  private static <E extends Enum<E>> E enumValue(Config c, String key, Class<E> type) {
    Map<String, E> byName = new LinkedHashMap<>();
    for (E e : type.getEnumConstants()) byName.put(e.name().toLowerCase(Locale.ROOT).replace('_', '-'), e);
    return byName.get(oneOf(c, key, byName.keySet()));
  }

  static ConfigurationError bad(Config c, String key, String problem) {
    return new ConfigurationError(
        "Invalid configuration: '" + key + "' in " + where(c.getValue(key).origin()) + " " + problem, null);
  }

  /**
   * Refuses a credential in a free-form block of settings: a configuration file is logged, committed and shipped
   * to the cluster; keys and secrets come from the environment (AWS_ACCESS_KEY_ID, ...) or the provider chain.
   */
  private static void rejectCredentials(Config c, String block) {
    for (Map.Entry<String, ConfigValue> e : c.getConfig(block).entrySet()) {
      String key = String.join(".", ConfigUtil.splitPath(e.getKey()));
      if (Secrets.isSecret(key)) {
        throw new ConfigurationError("Invalid configuration: '" + block + "." + key + "' in "
            + where(e.getValue().origin()) + " is a credential; pql takes credentials only from the environment "
            + "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, ...), the provider chain (instance profile, IRSA, "
            + "~/.aws/credentials, managed identities) or the cluster's own Hadoop configuration (core-site.xml, "
            + "a credential provider), never from pql's configuration", null);
      }
    }
  }

  /** The effective configuration, sorted, one key a line, secrets masked. */
  static String describe(Config c) {
    Function<Map.Entry<String, ConfigValue>, String> line = e -> {
      String value = e.getValue().valueType() == ConfigValueType.STRING
          ? "\"" + e.getValue().unwrapped() + "\""
          : e.getValue().render(com.typesafe.config.ConfigRenderOptions.concise());
      if (Secrets.isSecret(e.getKey())) value = "\"***\"";
      return e.getKey() + " = " + value;
    };
    return c.getConfig("pql").atKey("pql").entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .map(line)
        .collect(Collectors.joining("\n"));
  }
}
