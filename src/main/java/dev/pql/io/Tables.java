package dev.pql.io;

import static org.apache.spark.sql.functions.lit;

import static org.apache.spark.sql.types.DataTypes.BooleanType;
import static org.apache.spark.sql.types.DataTypes.DateType;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.TimestampType;
import static org.apache.spark.sql.types.DataTypes.createArrayType;
import static org.apache.spark.sql.types.DataTypes.createMapType;

import java.util.List;
import java.util.stream.Collectors;

/** The contracts of every table pql writes. All timestamps are UTC. */
public final class Tables {
  private Tables() {}

  public static final TableContract EVENTS = TableContract.table("events",
          "One row per distinct product event, normalized from the lake by the source mapping. An event id "
              + "is kept once: the first run that ingests it wins; within a run, the earliest row.")
      .key("event_id")
      .partitionBy("event_date")
      .required("event_id", StringType, "Unique id of the event (from the source, or a hash of the source record)")
      .required("account_id", StringType, "Account (workspace, team, company) the event belongs to")
      .optional("user_id", StringType, "User who did it; null when the source has none")
      .required("event", StringType, "Event name as the product tracks it, e.g. 'Message Sent'")
      .required("ts", TimestampType, "When the event happened (UTC)")
      .required("event_date", DateType, "UTC date of ts")
      .required("ingested_at", TimestampType, "When pql ingested the event: the start of the ingest run (UTC)")
      .required("run_id", StringType, "Id of the run that ingested the event")
      .optional("properties", createMapType(StringType, StringType), "The event properties the mapping keeps "
          + "(pql.ingest.events.keep-properties; none by default), as strings")
      .optional("received_at", TimestampType,
          "When the event reached the source (pql.ingest.events.columns.received-at, UTC); null when unknown")
      .optional("anonymous_id", StringType, "The visitor id the source gave it before a login "
          + "(pql.ingest.events.columns.anonymous-id); its user_id is the linked user's (identity_links) once a link "
          + "is known, in the batch that brings the link or later")
      .build();

  public static final TableContract IDENTITY_LINKS = TableContract.table("identity_links",
          "One row per anonymous id linked to a user: the first event that carried both ids (the earliest of a "
              + "batch; an earlier one in a later batch replaces it). Every event of the anonymous id without a user "
              + "is that user's, and without an account that user's account, retroactively.")
      .key("anonymous_id")
      .required("anonymous_id", StringType, "The visitor id before a login (stored as events store it)")
      .required("user_id", StringType, "The user it is linked to")
      .optional("account_id", StringType, "The account of the linking event; null when it had none")
      .required("first_seen_at", TimestampType, "When the link happened: the linking event's time (UTC)")
      .required("ingested_at", TimestampType, "Start of the ingest run that stored the link (UTC)")
      .required("run_id", StringType, "Id of the run that stored the link")
      .build();

  public static final TableContract EVENTS_UNATTRIBUTED = TableContract.table("events_unattributed",
          "Events held for their identity: a visitor's event with an anonymous id, no user and no account, whose "
              + "anonymous id no link names yet. Each is moved to events, as its linked user's at the link's account, "
              + "by the ingest that first finds such a link (ingest.release); until then it counts nowhere else.")
      .key("event_id")
      .required("event_id", StringType, "Unique id of the event, as events keeps it")
      .required("anonymous_id", StringType, "The visitor id it carries (stored as events store it)")
      .required("event", StringType, "Event name as the product tracks it")
      .required("ts", TimestampType, "When the event happened (UTC)")
      .required("event_date", DateType, "UTC date of ts")
      .required("ingested_at", TimestampType, "Start of the ingest run that held it (UTC)")
      .required("run_id", StringType, "Id of the run that held it")
      .optional("properties", createMapType(StringType, StringType), "The event properties the mapping keeps")
      .optional("received_at", TimestampType, "When the event reached the source; null when unknown")
      .build();

  public static final TableContract EVENTS_REJECTED = TableContract.table("events_rejected",
          "Source rows that could not be used, kept with their raw record and a stable reason code.")
      .key("record_id")
      .required("record_id", StringType, "SHA-256 of the source, its file's path below the source's "
          + "directory, the raw record and which of the file's identical records it is: each rejected row is its own "
          + "row, and a reread file adds none, wherever the lake is read from")
      .required("source", StringType, "Configuration key of the source the row came from, e.g. pql.ingest.events")
      .required("reason", StringType,
          "MALFORMED_RECORD, MISSING_EVENT_ID, MISSING_ACCOUNT_ID, MISSING_DOMAIN, MISSING_EVENT_NAME, "
              + "MISSING_ANONYMOUS_ID, MISSING_USER_ID, MISSING_TIMESTAMP, UNPARSEABLE_TIMESTAMP, "
              + "TIMESTAMP_OUT_OF_RANGE or UNKNOWN_ACCOUNT")
      .required("detail", StringType, "What was wrong, in words, with the offending value")
      .required("raw_record", StringType, "The source row's SHA-256 hash; with pql.ingest.keep-raw-records, the "
          + "row itself as JSON (or the unparseable text)")
      .required("ingested_at", TimestampType, "Start of the ingest run that rejected it (UTC)")
      .required("run_id", StringType, "Id of the run that rejected it")
      .optional("source_file", StringType, "The file it was read from; null for a table source")
      .optional("source_line", LongType, "Its line in source_file (the first line is 1) when its raw record is "
          + "that line as written: every malformed line of a JSON or CSV file; null otherwise (a row of a table "
          + "source, or one whose raw record is the row re-read as JSON)")
      .build();

  public static final TableContract EVENTS_DUPLICATES = TableContract.table("events_duplicates",
          "Rows whose event id is already taken by another payload: the losers of duplicated event ids, kept so "
              + "that nothing a source sent is lost. A row that repeats its kept event exactly is a plain duplicate, "
              + "counted (pipeline_runs.rows_duplicate) and not kept here.")
      .key("record_id")
      .required("record_id", StringType, "SHA-256 of the source, the event id and the payload: one row per "
          + "distinct losing payload, so a reread lake adds none")
      .required("event_id", StringType, "The event id; the kept event is the row of events with this id")
      .required("kept_from", StringType, "this_run: the kept payload came in the same ingest (the earliest ts, then "
          + "the smallest raw record, wins); earlier_run: an earlier ingest stored it first")
      .required("source", StringType, "Configuration key of the source the row came from, e.g. pql.ingest.events")
      .required("account_id", StringType, "The losing row's account")
      .optional("user_id", StringType, "The losing row's user")
      .required("event", StringType, "The losing row's event name")
      .required("ts", TimestampType, "The losing row's time (UTC)")
      .required("raw_record", StringType, "The losing source row's SHA-256 hash; with "
          + "pql.ingest.keep-raw-records, the row itself as JSON")
      .optional("source_file", StringType, "The file it was read from; null for a table source")
      .required("ingested_at", TimestampType, "Start of the ingest run that found it (UTC)")
      .required("run_id", StringType, "Id of the run that found it")
      .build();

  public static final TableContract ACCOUNTS = TableContract.table("accounts",
          "Account attributes with their history: one row per account and state, valid from `valid_from` "
              + "until `valid_to`. The state at instant T is the row with valid_from <= T < valid_to.")
      .key("account_id", "valid_from")
      .required("account_id", StringType, "Account id, as in events")
      .required("valid_from", TimestampType, "First instant this state was true (UTC)")
      .optional("valid_to", TimestampType, "First instant of the next state; null for the current state")
      .required("is_current", BooleanType, "True for the account's latest state")
      .required("signup_at", TimestampType, "When the account signed up (UTC); the same in every state")
      .optional("name", StringType, "Account or company name")
      .optional("plan", StringType, "Plan in this state, lower case (free, trial, team, ...)")
      .optional("email_domain", StringType, "Domain of the account owner's email address, lower case")
      .optional("employees", IntegerType, "Company size in employees")
      .optional("industry", StringType, "Industry")
      .optional("country", StringType, "Country")
      .optional("timezone", StringType, "IANA time zone id; null means UTC")
      .required("ingested_at", TimestampType, "When pql ingested this state (UTC)")
      .required("run_id", StringType, "Id of the run that ingested this state")
      .build();

  public static final TableContract ENRICHMENT = TableContract.table("enrichment",
          "Firmographics by email domain from a third party (pql.ingest.enrichment), each row true from valid_from: "
              + "a snapshot at D reads the row of its account's domain valid at D 00:00, so an enrichment made after "
              + "D never reaches it. The source is read whole at every ingest; this table is its copy.")
      .key("domain", "valid_from")
      .required("domain", StringType, "Email domain, lower case")
      .required("valid_from", TimestampType, "When the vendor's row became true (UTC)")
      .optional("employees", IntegerType, "Company size in employees")
      .optional("industry", StringType, "Industry")
      .optional("country", StringType, "Country")
      .optional("revenue_band", StringType, "Annual revenue band as the vendor writes it, e.g. $10M-$50M")
      .optional("founded_year", IntegerType, "Year the company was founded")
      .required("ingested_at", TimestampType, "When pql ingested this row (UTC)")
      .required("run_id", StringType, "Id of the run that ingested this row")
      .build();

  public static final TableContract CONVERSIONS = TableContract.table("conversions",
          "Plan changes from a free to a paid plan. The account's first one (is_first) is the label later "
              + "stages learn from; later changes are kept.")
      .key("account_id", "converted_at")
      .required("account_id", StringType, "Account id")
      .required("converted_at", TimestampType, "When the account moved to the paid plan (UTC)")
      .optional("from_plan", StringType, "Plan before the change")
      .optional("to_plan", StringType, "Plan after the change")
      .required("is_first", BooleanType, "True for the account's first conversion: the upgrade label")
      .required("source", StringType, "plan-history or event: how the conversion was found")
      .required("ingested_at", TimestampType, "When pql recorded the conversion (UTC)")
      .required("run_id", StringType, "Id of the run that recorded it")
      .build();

  public static final TableContract PIPELINE_RUNS = TableContract.table("pipeline_runs",
          "One row per run and stage: what each run of pql read, wrote and rejected, and how it ended.")
      .key("run_id", "stage")
      .required("run_id", StringType, "Run id")
      .required("command", StringType, "The pql command that ran, e.g. ingest")
      .required("stage", StringType, "Stage within the run, e.g. ingest.events")
      .required("started_at", TimestampType, "Stage start (UTC)")
      .optional("ended_at", TimestampType, "Stage end (UTC); null while running")
      .required("rows_in", LongType, "Rows read")
      .required("rows_out", LongType, "Rows written (new rows in the output table)")
      .required("rows_rejected", LongType, "Rows rejected (see events_rejected)")
      .required("rows_duplicate", LongType, "Rows dropped as duplicates of a row already kept")
      .optional("rows_held", LongType, "Rows held for a later run (events_unattributed): rows_in = rows_out + "
          + "rows_rejected + rows_duplicate + rows_held; null where a stage holds nothing")
      .required("status", StringType, "running (written when the stage starts), succeeded, failed, skipped, or "
          + "abandoned: the run died while the stage ran, as a later run found")
      .optional("message", StringType, "Error message of a failed stage; why a skipped stage did not run")
      .optional("busiest_spark_stage_tasks", LongType,
          "Tasks of the Spark stage with the most task time within this stage")
      .optional("largest_task_share", DoubleType,
          "That Spark stage's largest task's share of its task time: about 1/tasks when work is even, near 1 "
              + "when one task (one huge account) does it all")
      .build();

  private static final String ARRIVAL_DATE = "UTC day the events arrived (received_at), when after event_date; null "
      + "for events that arrived the same day or whose arrival is unknown (pql.features.arrival-limit reads it)";

  public static final TableContract ACCOUNT_DAILY = TableContract.table("account_daily",
          "Events per account, UTC day and event name: the pre-aggregate every account feature is computed from. "
              + "Rebuilt incrementally: only the days that newly ingested events touch are recomputed.")
      .key("account_id", "event_date", "event", "arrival_date")
      .partitionBy("event_date")
      .required("account_id", StringType, "Account id")
      .required("event_date", DateType, "UTC day of the events")
      .required("event", StringType, "Event name as in events")
      .required("events", LongType, "Number of events")
      .required("weekday_events", LongType, "Events on Monday to Friday in the account's time zone (UTC if unknown)")
      .required("working_hours_events", LongType,
          "Events on Monday to Friday between 09:00 and 18:00 in the account's time zone (UTC if unknown)")
      .required("first_ts", TimestampType, "Time of the day's first such event")
      .required("last_ts", TimestampType, "Time of the day's last such event")
      .required("source_ingested_at", TimestampType,
          "Latest ingested_at among the events aggregated: how far this day is built")
      .optional("arrival_date", DateType, ARRIVAL_DATE)
      .build();

  public static final TableContract ACCOUNT_USER_DAILY = TableContract.table("account_user_daily",
          "Events per account, UTC day and user, so that distinct active users over any window are exact "
              + "(distinct counts cannot be summed from daily distincts). Events without a user are left out.")
      .key("account_id", "event_date", "user_id", "arrival_date")
      .partitionBy("event_date")
      .required("account_id", StringType, "Account id")
      .required("event_date", DateType, "UTC day of the events")
      .required("user_id", StringType, "User id")
      .required("events", LongType, "Number of events of the user that day")
      .required("source_ingested_at", TimestampType,
          "Latest ingested_at among the events aggregated: how far this day is built")
      .optional("arrival_date", DateType, ARRIVAL_DATE)
      .build();

  public static final TableContract ACCOUNT_EVENT_USER_DAILY = TableContract.table("account_event_user_daily",
          "Events per account, UTC day, event name and user, so that the distinct people who did an action over any "
              + "window (users_<w>d__<event>) are exact. Events without a user are left out.")
      .key("account_id", "event_date", "event", "user_id", "arrival_date")
      .partitionBy("event_date")
      .required("account_id", StringType, "Account id")
      .required("event_date", DateType, "UTC day of the events")
      .required("event", StringType, "Event name")
      .required("user_id", StringType, "User id")
      .required("events", LongType, "Number of such events of the user that day")
      .required("source_ingested_at", TimestampType,
          "Latest ingested_at among the events aggregated: how far this day is built")
      .optional("arrival_date", DateType, ARRIVAL_DATE)
      .build();

  public static final TableContract FEATURE_CATALOG = TableContract.table("feature_catalog",
          "The key events whose features account_features carries: unless pql.features.key-events lists them, "
              + "every event seen when the table is first built and every event the configuration names, fixed then "
              + "so that its schema does not drift between runs.")
      .key("event")
      .required("event", StringType, "Event name as in events")
      .required("feature_name", StringType, "The event's snake_case name in feature columns, e.g. message_sent")
      .required("added_at", TimestampType, "When the event entered the catalog (UTC)")
      .required("run_id", StringType, "Run that added it")
      .build();

  public static final TableContract MODEL_RUNS = TableContract.table("model_runs",
          "One row per trained upgrade model: its version, what it was trained and evaluated on, its parameters and "
              + "its holdout quality next to baselines. Scoring loads a version from here, or the latest.")
      .key("model_version")
      .required("model_version", StringType, "Model version (the id of the run that trained it)")
      .required("trained_at", TimestampType, "When it was trained (UTC)")
      .required("feature_set_version", StringType,
          "Fingerprint of the feature columns it reads; scoring refuses features with another one")
      .required("model_path", StringType, "Where the fitted MLlib PipelineModel is saved")
      .required("horizon_days", IntegerType, "Label horizon H: an upgrade within H days after the snapshot")
      .required("train_from", DateType, "First snapshot date of the training rows")
      .required("train_to", DateType, "Last snapshot date of the training rows (the day before calibration)")
      .required("evaluation_from", DateType, "First snapshot date of the locked evaluation window")
      .required("evaluation_to", DateType, "Last snapshot date of the locked evaluation window (horizon complete)")
      .required("training_rows", LongType, "Training rows (free accounts x snapshots, censored rows left out)")
      .required("training_positives", LongType, "Training rows that upgraded within the horizon")
      .required("evaluation_rows", LongType, "Evaluation rows")
      .required("evaluation_positives", LongType, "Evaluation rows that upgraded within the horizon")
      .required("parameters", createMapType(StringType, StringType, true),
          "Chosen and searched parameters (regularization grid with the calibration window's log loss, its "
              + "standard error, the standard error of its gap to the best point (paired, clustered by account) "
              + "and AUC-ROC, seed, gate settings, platt.intercept and platt.slope: the calibration "
              + "line applied to the probabilities, ...; driver.* for the driver fit: horizon, rows, upgrades, "
              + "regularization)")
      .required("metrics", createMapType(StringType, DoubleType, true),
          "Locked-window metrics: model.*, logins_only.*, activity_only.*, best_rule.* (auc_roc, auc_pr, log_loss, "
              + "brier, top_decile_lift, top_decile_capture, base_rate, ...); auc_roc_lo/_hi and top_decile_lift_lo/_hi of "
              + "each, the 95% account-level bootstrap interval; model.calibration_intercept and "
              + "model.calibration_slope (the locked window's calibration line, 0 and 1 when the probabilities are "
              + "right); gate.<baseline>.auc_gain with _lo and _hi, the gate's interval")
      .required("calibration", createArrayType(new org.apache.spark.sql.types.StructType()
              .add("bin", IntegerType).add("rows", LongType).add("mean_predicted", DoubleType)
              .add("observed_rate", DoubleType), false),
          "Evaluation rows in bins of predicted probability (deciles, the top one in five bins of 2%): mean "
              + "predicted against observed upgrade rate")
      .optional("best_rule", StringType, "The baseline rule (the best discovered rule on the training rows)")
      .required("run_id", StringType, "Run that trained it")
      .optional("calibration_from", DateType, "First snapshot date of the calibration window (regularization and "
          + "the precision policy's cutoff are chosen there; its horizons end before the locked window)")
      .optional("calibration_to", DateType, "Last snapshot date of the calibration window")
      .optional("calibration_rows", LongType, "Calibration rows")
      .optional("calibration_positives", LongType, "Calibration rows that upgraded within the horizon")
      .optional("status", StringType, "published: the learned definition scores with it; withheld: it did not "
          + "surely beat every baseline on the locked window (the champion gate), and scoring applies the rules and "
          + "activation only. Null on models trained before the gate (published)")
      .optional("status_reason", StringType, "The gate's figures in a sentence: each baseline's AUC-ROC against the "
          + "model's, the gain and its account-level paired bootstrap interval")
      .optional("auc_roc", DoubleType, "The model's AUC-ROC on the locked window (metrics' model.auc_roc, as a plain "
          + "column for BI tools)")
      .optional("auc_roc_lo", DoubleType, "Lower end of its 95% account-level bootstrap interval")
      .optional("auc_roc_hi", DoubleType, "Upper end of that interval")
      .optional("auc_pr", DoubleType, "The model's area under the precision-recall curve on the locked window")
      .optional("log_loss", DoubleType, "The model's mean log loss on the locked window")
      .optional("brier", DoubleType, "The model's Brier score on the locked window")
      .optional("top_decile_lift", DoubleType, "Upgrade rate of the model's top 10% over the base rate")
      .optional("base_rate", DoubleType, "Upgrade rate of the locked window's rows")
      .optional("logins_only_auc_roc", DoubleType, "AUC-ROC of the logins-only baseline on the same rows")
      .optional("activity_only_auc_roc", DoubleType, "AUC-ROC of the activity-only baseline on the same rows")
      .optional("best_rule_auc_roc", DoubleType, "AUC-ROC of the best discovered rule on the same rows")
      .build();

  /** The metrics of model_runs that are also plain columns, in the contract's order: column and metrics key. */
  public static final List<String[]> MODEL_RUN_PLAIN_METRICS = List.of(new String[] {"auc_roc", "model.auc_roc"},
      new String[] {"auc_roc_lo", "model.auc_roc_lo"}, new String[] {"auc_roc_hi", "model.auc_roc_hi"},
      new String[] {"auc_pr", "model.auc_pr"}, new String[] {"log_loss", "model.log_loss"},
      new String[] {"brier", "model.brier"}, new String[] {"top_decile_lift", "model.top_decile_lift"},
      new String[] {"base_rate", "model.base_rate"}, new String[] {"logins_only_auc_roc", "logins_only.auc_roc"},
      new String[] {"activity_only_auc_roc", "activity_only.auc_roc"},
      new String[] {"best_rule_auc_roc", "best_rule.auc_roc"});

  public static final TableContract MODEL_DRIVERS = TableContract.table("model_drivers",
          "Per model and feature, from the driver fit (the eve of each upgrade beside open accounts' snapshots, over "
              + "the features "
              + "of one action, of the team and of who the account is): how much the fit loses without the feature "
              + "and without its behaviour (the ranks), what it learned about each of the feature's inputs "
              + "(standardized coefficients, odds ratios), beside the upgrade rates observed on the training rows "
              + "(horizon-days), in a sentence.")
      .key("model_version", "feature")
      .required("model_version", StringType, "Model version")
      .required("feature", StringType, "The account_features column")
      .required("kind", StringType, "behaviour, firmographic (who the account is) or lifecycle (its age and plan)")
      .required("rank", IntegerType, "Rank by importance, 1 = the feature the model leans on most")
      .required("importance", DoubleType, "Increase of the model's mean log loss on the training rows when the "
          + "feature's inputs are held at their mean; 0 when the regularization dropped it")
      .required("behaviour", StringType, "What the feature measures: the key event of a <family>__<event> column, "
          + "team for active users and seats, else the feature itself")
      .required("behaviour_rank", IntegerType, "Rank of the behaviour by behaviour_importance, 1 = the behaviour the "
          + "model leans on most: one behaviour is one driver however many columns measure it")
      .required("behaviour_importance", DoubleType, "Increase of the model's mean log loss when all the behaviour's "
          + "features are held at their mean together")
      .required("leading_input", StringType, "The feature's input with the largest absolute coefficient: x_/i_ "
          + "the (log1p of the) value, t_ its discovered step, m_ its missing indicator, oh_ a category")
      .required("transform", StringType, "The leading input's transform: log1p, value, step >= N, missing, is <category>")
      .required("coefficient", DoubleType, "The leading input's standardized coefficient: log-odds per standard "
          + "deviation")
      .required("odds_ratio_per_sd", DoubleType, "exp(coefficient): odds multiplier per standard deviation")
      .required("odds_ratio_per_unit", DoubleType, "Odds multiplier per unit of the leading input (after log1p if "
          + "any; for a step, missing indicator or category: for being in it)")
      .required("direction", StringType, "raises, lowers or none (dropped by the regularization)")
      .required("inputs", createArrayType(new org.apache.spark.sql.types.StructType()
              .add("input", StringType).add("transform", StringType).add("coefficient", DoubleType)
              .add("odds_ratio_per_sd", DoubleType).add("odds_ratio_per_unit", DoubleType), false),
          "Every model input of the feature with its transform, standardized coefficient and odds ratios")
      .required("support", DoubleType, "Share of training rows where the feature is in use: non-zero, present, "
          + "meets its step, or is the category")
      .required("observed_split", StringType, "The split the observed rates compare (SQL over feature columns)")
      .optional("rate_with", DoubleType, "Upgrade rate of the training rows inside the split")
      .optional("rate_without", DoubleType, "Upgrade rate of the other training rows")
      .optional("observed_lift", DoubleType, "rate_with / rate_without")
      .required("sentence", StringType, "The driver in plain words, observed rates first, the model's odds after")
      .optional("odds_ratio_per_sd_lo", DoubleType, "Lower bound of odds_ratio_per_sd's interval: 95% for all the "
          + "model's drivers at once (Bonferroni), from the account-clustered fit of the stepwise selection for the "
          + "behaviours it kept, else from the driver fit's refits on resamples of accounts")
      .optional("odds_ratio_per_sd_hi", DoubleType, "Upper bound of that interval; an interval that holds 1 says the "
          + "data cannot tell the driver from no effect")
      .optional("stability", DoubleType, "For a behaviour the stepwise selection kept, the chance that another "
          + "sample of accounts keeps it again (its clustered z against the Bonferroni bound); for the others, the "
          + "share of the driver fit's refits on resamples of accounts (pql.model.driver-refits) that keep any input "
          + "of the feature")
      .optional("observed_lift_lo", DoubleType, "Lower bound of observed_lift's interval: the account-level "
          + "bootstrap (accounts resampled with all their rows), 95% for all the model's drivers at once (Bonferroni)")
      .optional("observed_lift_hi", DoubleType, "Its upper bound")
      .build();

  /** Why an account is a lead: one matched rule's column and value, or one feature's push on the learned score. */
  public static final org.apache.spark.sql.types.StructType REASON = new org.apache.spark.sql.types.StructType()
      .add("source", StringType).add("definition", StringType).add("feature", StringType).add("value", StringType)
      .add("contribution", DoubleType).add("behaviour", StringType).add("probability_without", DoubleType);

  /** A reason of a rule or of activation: the column it reads and its value, the learned-only fields null. */
  public static org.apache.spark.sql.Column reason(String source, String definition, String feature,
      org.apache.spark.sql.Column value) {
    return org.apache.spark.sql.functions.struct(lit(source).as("source"), lit(definition).as("definition"),
        lit(feature).as("feature"), value.cast("string").as("value"), lit(null).cast("double").as("contribution"),
        lit(null).cast("string").as("behaviour"), lit(null).cast("double").as("probability_without"));
  }

  public static final TableContract PQL_SCORES = TableContract.table("pql_scores",
          "One row per open (free or trial) account and as-of date: the learned probability, the rule-based "
              + "definitions it matches, its activation against its size band's bar, whether it is a PQL and why.")
      .key("account_id", "as_of_date")
      .partitionBy("as_of_date")
      .changeDataFeed()
      .required("account_id", StringType, "Account id")
      .required("as_of_date", DateType, "Snapshot date D scored: features from events before D 00:00 UTC")
      .optional("probability", DoubleType, "The model's probability of an upgrade within its horizon; null when "
          + "pql.scoring.learned is off")
      .optional("percentile", DoubleType, "Rank of the probability among the date's open accounts, 0..1 (1 = highest)")
      .required("rules_matched", createArrayType(StringType, true), "Names of the active rule-based definitions "
          + "the account matches, in name order")
      .required("is_pql", BooleanType, "True when a rule, the learned definition or the activation path qualifies it")
      .required("sources", createArrayType(StringType, true), "What qualifies it: any of rules, learned, activation")
      .optional("source", StringType, "rules, learned or activation when one qualifies it, several for more; null "
          + "when not a PQL")
      .optional("pql_type", StringType, "usage, hand-raiser, usage-limit-reached or self-serve-purchase: of the "
          + "matched rules in that order of precedence (hand-raisers first), usage for learned or activation "
          + "alone; null when not a PQL")
      .optional("size_band", StringType, "Opportunity size: small, mid or large by employees (size_band of "
          + "account_features), a listed enterprise domain counting as large, none as small")
      .optional("activation", DoubleType, "activation_share of account_features: milestones reached / milestones")
      .required("activation_bar", DoubleType, "The activation its size band needs (pql.scoring.activation-bars)")
      .required("reasons", createArrayType(REASON, true),
          "Why: for each matched rule, every column its `when` reads with its value (source rules); the "
          + "behaviours that move the probability most against the date's average open account, up or down, once "
          + "each (source learned): its net log-odds contribution, its leading feature with its value, and "
          + "probability_without, the probability with that behaviour at the average account's level (\"42% -> 18% "
          + "without it\"), both to 3 significant figures; the activation against its bar (source activation)")
      .optional("first_qualified_on", DateType, "First as-of date the account qualified on any definition (from "
          + "pql_qualifications); null when it never has up to this date")
      .optional("model_version", StringType, "Model that gave the probability")
      .required("run_id", StringType, "Run that scored the row; a rerun that changes nothing keeps the first")
      .build();

  public static final TableContract PQL_LEADS_CURRENT = TableContract.table("pql_leads_current",
          "The open accounts of the latest scored as-of date, for BI tools and CRM syncs: pql_scores' figures with the "
              + "account's current name, domain and plan, the reasons as sentences in plain columns (no nested "
              + "columns). Written with the scores; an account that upgraded since is left out.")
      .key("account_id")
      .required("account_id", StringType, "Account id")
      .required("as_of_date", DateType, "The latest as-of date scored")
      .optional("name", StringType, "Account or company name, as the account is now")
      .optional("domain", StringType, "Domain of the account owner's email address, as the account is now")
      .optional("plan", StringType, "Plan now (free, trial, ...); null when the account source does not know it")
      .optional("employees", IntegerType, "Company size in employees")
      .optional("industry", StringType, "Industry")
      .optional("country", StringType, "Country")
      .required("is_pql", BooleanType, "True when a rule, the learned definition or the activation path qualifies it")
      .optional("source", StringType, "rules, learned or activation when one qualifies it, several for more")
      .optional("pql_type", StringType, "usage, hand-raiser, usage-limit-reached or self-serve-purchase")
      .optional("size_band", StringType, "Opportunity size band: small, mid or large")
      .optional("probability", DoubleType, "The model's probability of an upgrade within its horizon")
      .optional("percentile", DoubleType, "Rank of the probability among the date's open accounts, 0..1")
      .optional("activation", DoubleType, "Milestones reached / milestones")
      .required("activation_bar", DoubleType, "The activation its size band needs")
      .required("rules_matched", StringType, "The rule-based definitions it matches, comma-separated")
      .optional("first_qualified_on", DateType, "First as-of date it qualified on any definition")
      .optional("reason_1", StringType, "Its first reason: the learned ones first, in probability terms "
          + "(\"active_users_7d=6: 54.1% → 31.2% without it\"), then each column a rule or activation read "
          + "(\"feature=value\")")
      .optional("reason_2", StringType, "Its second reason")
      .optional("reason_3", StringType, "Its third reason")
      .required("reasons_text", StringType, "Every reason, separated by \"; \"")
      .optional("model_version", StringType, "Model that gave the probability")
      .required("run_id", StringType, "Run that last changed the row")
      .build();

  public static final TableContract PQL_QUALIFICATIONS = TableContract.table("pql_qualifications",
          "Per account and definition (name and version): the first as-of date it qualified. Rule definitions "
              + "use their own name and version; the learned one is named learned (version: model and cutoff "
              + "policy), the activation path activation (version: the bars).")
      .key("account_id", "definition_name", "definition_version")
      .required("account_id", StringType, "Account id")
      .required("definition_name", StringType, "Definition name: a conf/definitions name, learned or activation")
      .required("definition_version", StringType, "Definition version")
      .required("source", StringType, "rules, learned or activation")
      .optional("pql_type", StringType, "The definition's PQL type")
      .required("first_qualified_on", DateType, "Earliest as-of date scored on which it qualified")
      .required("run_id", StringType, "Run that recorded that date")
      .build();

  public static final TableContract PQL_NEW = TableContract.table("pql_new",
          "Accounts that became PQLs: one row per account, on the as-of date of its first qualification on any "
              + "definition, with its reasons. Rows are only ever added, so a CRM sync, reverse-ETL or alerting "
              + "job reads it incrementally by qualified_on, or by Delta's change feed from the version it last read.")
      .key("account_id")
      .partitionBy("qualified_on")
      .changeDataFeed()
      .required("account_id", StringType, "Account id")
      .required("qualified_on", DateType, "The as-of date on which it first qualified")
      .required("sources", createArrayType(StringType, true), "What qualified it: any of rules, learned, activation")
      .required("pql_type", StringType, "usage, hand-raiser, usage-limit-reached or self-serve-purchase")
      .required("rules_matched", createArrayType(StringType, true), "Rule-based definitions it matched")
      .optional("probability", DoubleType, "The model's probability on that date")
      .optional("size_band", StringType, "Opportunity size band")
      .required("reasons", createArrayType(REASON, true), "Why, as in pql_scores")
      .optional("model_version", StringType, "Model that gave the probability")
      .required("run_id", StringType, "Run that found it")
      .build();

  public static final TableContract PQL_DEFINITIONS = TableContract.table("pql_definitions",
          "The definitions applied on each scored as-of date, with their text: which versions were in force when, "
              + "so that metrics count a definition only on the dates it was applied.")
      .key("as_of_date", "definition_name", "definition_version")
      .required("as_of_date", DateType, "As-of date scored")
      .required("definition_name", StringType, "Definition name: a conf/definitions name, learned or activation")
      .required("definition_version", StringType, "Definition version, as in pql_qualifications")
      .required("source", StringType, "rules, learned or activation")
      .required("pql_type", StringType, "The definition's PQL type")
      .required("definition", StringType, "What qualifies: the conf/definitions file as HOCON; the learned cutoff "
          + "policy; the activation bars")
      .required("run_id", StringType, "Run that scored the date; a rerun that changes nothing keeps the first")
      .build();

  public static final TableContract PQL_METRICS = TableContract.table("pql_metrics",
          "PQL funnel metrics per period (week from Monday, month), definition version and segment, over the scored "
              + "as-of dates: signups, new PQLs and PQL rate; the signup cohort's share reaching PQL within "
              + "cohort_days, observed and as a cumulative incidence; PQLs and non-PQLs converting within "
              + "conversion_days; time to PQL by signup cohort. A definition version "
              + "counts only on the dates it was applied (pql_definitions); definition any is the first qualification "
              + "on any definition. A window still open is left out of its rate, never counted as a failure. "
              + "Recomputed whole by each metrics run.")
      .key("period_type", "period_start", "definition_name", "definition_version", "segment_by", "segment")
      .required("period_type", StringType, "week (Monday to Sunday) or month")
      .required("period_start", DateType, "First day of the period")
      .required("period_end", DateType, "Last day of the period")
      .required("definition_name", StringType, "Definition name as in pql_qualifications, or any")
      .required("definition_version", StringType, "Definition version (any: all)")
      .required("source", StringType, "rules, learned, activation or any")
      .required("segment_by", StringType, "all, or the account attribute of pql.metrics.segments that splits the rows")
      .required("segment", StringType, "The attribute's value at signup (unknown when missing); all for segment_by all")
      .required("is_complete", BooleanType, "True when the definition was applied from before the period's start to "
          + "its end: counts of an incomplete period are partial, and its first period holds the backlog of accounts "
          + "already qualifying when it was first applied")
      .required("signups", LongType, "Accounts that signed up on a free plan in the period")
      .required("new_pqls", LongType, "Accounts whose first qualification on the definition fell in the period")
      .optional("pql_rate", DoubleType, "new_pqls / signups: a ratio of two flows, not a share (a new PQL may have "
          + "signed up in an earlier period), so it can exceed 1; the bounded share is cohort_pql_share")
      .required("cohort_days", IntegerType, "N of the cohort view (pql.metrics.cohort-days)")
      .required("cohort_signups", LongType, "The period's signups whose first N days were scored (signed up on or "
          + "after the definition's first applied date, N days before its last)")
      .required("cohort_pqls", LongType, "Of them, qualified within N days of signup")
      .optional("cohort_pql_share", DoubleType, "cohort_pqls / cohort_signups")
      .optional("cohort_pql_share_lo", DoubleType, "Its 95% Wilson interval's lower bound (one trial per account)")
      .optional("cohort_pql_share_hi", DoubleType, "Its upper bound")
      .required("cohort_complete", BooleanType, "True when every signup of the period is in cohort_signups")
      .optional("cohort_pql_incidence", DoubleType, "The share of the period's signups (on or after the definition's "
          + "first applied date) that reach PQL within N days, as the Aalen–Johansen cumulative incidence of "
          + "pql_funnel: signups still followed count for the days they were followed, and converting to paid first is "
          + "a competing end; null when no signup of the period was followed N days")
      .optional("cohort_pql_incidence_lo", DoubleType, "Its 95% interval's lower bound (delta method, on log(-log))")
      .optional("cohort_pql_incidence_hi", DoubleType, "Its upper bound")
      .optional("median_days_to_pql", DoubleType, "Days from signup by which half of the cohort's PQLs within N days "
          + "had qualified (where the cumulative incidence reaches half of cohort_pql_incidence), at the scoring "
          + "cadence; a cohort is its signups, not the PQLs of the period")
      .optional("p90_days_to_pql", DoubleType, "The same for nine tenths")
      .optional("days_to_half_of_cohort_pql", DoubleType, "Days from signup by which half of the cohort had "
          + "qualified; null while not reached (most cohorts never are)")
      .required("conversion_days", IntegerType, "H of the conversion view (pql.metrics.conversion-days)")
      .required("pqls_observed", LongType, "New PQLs whose H days after qualifying have passed (before the first "
          + "day without events)")
      .required("pqls_converted", LongType, "Of them, converted to a paid plan within H days of qualifying")
      .optional("pql_conversion_rate", DoubleType, "pqls_converted / pqls_observed")
      .optional("pql_conversion_rate_lo", DoubleType, "Its 95% Wilson interval's lower bound")
      .optional("pql_conversion_rate_hi", DoubleType, "Its upper bound")
      .required("non_pqls_observed", LongType, "Open accounts scored in the period not qualified on the definition at "
          + "their last score in it, H days after that score having passed")
      .required("non_pqls_converted", LongType, "Of them, converted within H days of that score")
      .optional("non_pql_conversion_rate", DoubleType, "non_pqls_converted / non_pqls_observed")
      .optional("non_pql_conversion_rate_lo", DoubleType, "Its 95% Wilson interval's lower bound")
      .optional("non_pql_conversion_rate_hi", DoubleType, "Its upper bound")
      .optional("conversion_lift", DoubleType, "pql_conversion_rate / non_pql_conversion_rate")
      .optional("conversion_lift_lo", DoubleType, "Its 95% interval's lower bound (MOVER-R, from the two rates' "
          + "Wilson intervals); null when non-PQLs have no conversion")
      .optional("conversion_lift_hi", DoubleType, "Its upper bound")
      .required("conversion_complete", BooleanType, "True when every new PQL and non-PQL of the period is observed")
      .required("run_id", StringType, "Run that computed the row; a rerun that changes nothing keeps the first")
      .build();

  public static final TableContract PQL_FUNNEL = TableContract.table("pql_funnel",
          "Time to PQL by signup cohort without survivor bias: per definition version, signup period (week, month) "
              + "and segment, the Aalen–Johansen cumulative incidence of reaching PQL by each day after signup, with "
              + "converting to paid first as a competing end and the definition's last applied date ending the "
              + "follow-up (censoring). Cohorts are the free signups from the definition's first applied date on. One "
              + "row per day on which a signup of the cohort qualified, converted or stopped being followed; the curve "
              + "holds between rows. Recomputed whole by each metrics run.")
      .key("period_type", "cohort_start", "definition_name", "definition_version", "segment_by", "segment", "day")
      .required("period_type", StringType, "week (Monday to Sunday) or month: the signup period of the cohort")
      .required("cohort_start", DateType, "First day of the signup period")
      .required("definition_name", StringType, "Definition name as in pql_qualifications, or any")
      .required("definition_version", StringType, "Definition version (any: all)")
      .required("source", StringType, "rules, learned, activation or any")
      .required("segment_by", StringType, "all, or the account attribute of pql.metrics.segments that splits the rows")
      .required("segment", StringType, "The attribute's value at signup (unknown when missing); all for segment_by all")
      .required("day", IntegerType, "Days since signup")
      .required("cohort_size", LongType, "The cohort's signups")
      .required("at_risk", LongType, "Of them, neither qualified nor converted and still followed at the day's start")
      .required("pqls", LongType, "Signups that first qualified on the day")
      .required("conversions", LongType, "Signups that converted to paid on the day, not having qualified")
      .required("censored", LongType, "Signups whose follow-up ended on the day (the definition's last applied date)")
      .required("pql_incidence", DoubleType, "Share of the cohort qualified by the day's end (Aalen–Johansen)")
      .required("pql_incidence_lo", DoubleType, "Its 95% interval's lower bound: delta method (Marubini–Valsecchi) "
          + "on log(-log); 0 while none qualified")
      .required("pql_incidence_hi", DoubleType, "Its upper bound; the exact binomial bound for none of at_risk while "
          + "none qualified")
      .required("conversion_incidence", DoubleType, "Share of the cohort converted to paid before qualifying by the "
          + "day's end")
      .required("run_id", StringType, "Run that computed the row; a rerun that changes nothing keeps the first")
      .build();

  public static final TableContract DEFINITION_BACKTEST = TableContract.table("definition_backtest",
          "Every active definition, every rule the latest model discovered and the learned definition, replayed on "
              + "the stored snapshots: each snapshot's open accounts labelled by an upgrade within the model's "
              + "horizon. Rules use every snapshot whose horizon is complete; the learned definition only the "
              + "snapshots from its model's evaluation window on, which its training never saw. Recomputed whole "
              + "by each backtest run.")
      .key("definition_name", "definition_version")
      .required("definition_name", StringType, "Definition name: a conf/definitions name, a discovered rule's name, "
          + "or learned")
      .required("definition_version", StringType, "Definition version (learned: model and cutoff policy)")
      .required("kind", StringType, "rule (conf/definitions), discovered (discovered_rules) or learned")
      .required("from_date", DateType, "First snapshot replayed")
      .required("to_date", DateType, "Last snapshot replayed")
      .required("snapshots", LongType, "Snapshot dates replayed")
      .required("horizon_days", IntegerType, "Label horizon: an upgrade within this many days after the snapshot")
      .required("rows", LongType, "Open-account snapshots replayed")
      .required("upgrade_rows", LongType, "Of them, followed by an upgrade within the horizon")
      .required("pql_rows", LongType, "Open-account snapshots the definition qualified")
      .required("pql_upgrade_rows", LongType, "Of them, followed by an upgrade within the horizon")
      .optional("precision", DoubleType, "pql_upgrade_rows / pql_rows: the share of qualifications followed by an "
          + "upgrade within the horizon")
      .optional("precision_lo", DoubleType, "Lower bound of precision's 95% interval (resampling accounts)")
      .optional("precision_hi", DoubleType, "Upper bound of precision's 95% interval (resampling accounts)")
      .required("upgrades", LongType, "Upgrades replayed: accounts that upgraded within the horizon of a replayed "
          + "snapshot at which they were open")
      .required("upgrades_caught", LongType, "Of them, upgrades whose account the definition qualified at a snapshot "
          + "within the horizon before the upgrade")
      .optional("recall", DoubleType, "upgrades_caught / upgrades: the share of upgrades it flagged beforehand")
      .optional("recall_lo", DoubleType, "Lower bound of recall's 95% Wilson interval (one trial per upgrade)")
      .optional("recall_hi", DoubleType, "Upper bound of recall's 95% Wilson interval (one trial per upgrade)")
      .optional("row_recall", DoubleType, "pql_upgrade_rows / upgrade_rows: the share of upgrade rows qualified")
      .optional("lead_days_median", DoubleType, "Median days from the first qualification within the horizon to "
          + "the upgrade, over the upgrades caught")
      .optional("lead_days_median_lo", DoubleType, "Lower bound of the median's 95% distribution-free interval (the "
          + "order statistics of ranks k/2 -+ 0.98 sqrt(k) among the k upgrades caught)")
      .optional("lead_days_median_hi", DoubleType, "Upper bound of that interval")
      .optional("lead_days_p90", DoubleType, "90th percentile of those lead days")
      .optional("lift", DoubleType, "precision / (upgrade_rows / rows)")
      .optional("lift_lo", DoubleType, "Lower bound of lift's 95% interval (resampling accounts)")
      .optional("lift_hi", DoubleType, "Upper bound of lift's 95% interval (resampling accounts)")
      .optional("coverage", DoubleType, "pql_rows / rows")
      .required("pql_accounts", LongType, "Distinct accounts it qualified at least once")
      .optional("pqls_per_week", DoubleType, "pql_accounts per week of replayed history")
      .required("overlap", createArrayType(new org.apache.spark.sql.types.StructType().add("definition", StringType)
              .add("share", DoubleType), true), "Per other definition replayed on the same snapshots: the share of "
          + "this definition's PQL rows it also qualifies")
      .optional("model_version", StringType, "The model of the learned definition and of the discovered rules")
      .required("run_id", StringType, "Run that computed the row; a rerun that changes nothing keeps the first")
      .build();

  public static final TableContract DISCOVERED_RULES = TableContract.table("discovered_rules",
          "Thresholds found on the leading drivers that pass the significance test, each a ready-to-use PQL "
              + "definition (the text of a conf/definitions file).")
      .key("model_version", "name")
      .required("model_version", StringType, "Model version whose training rows it was found on")
      .required("name", StringType, "Definition name")
      .required("version", StringType, "Definition version")
      .required("type", StringType, "PQL type: usage, hand-raiser, usage-limit-reached or self-serve-purchase")
      .required("when", StringType, "Spark SQL boolean expression over account_features columns")
      .optional("within_days_of_signup", IntegerType, "Only accounts at most this many days after signup qualify")
      .required("feature", StringType, "Feature the threshold is on")
      .required("operator", StringType, ">= or <=")
      .required("threshold", DoubleType, "The threshold: one of the feature's quantiles, or the number people write "
          + "nearest to it inside its interval (threshold_curves)")
      .required("qualifying_rows", LongType, "Training rows that meet it")
      .required("rate_qualifying", DoubleType, "Upgrade rate of those rows (the rule's precision)")
      .required("rate_rest", DoubleType, "Upgrade rate of the other rows")
      .required("base_rate", DoubleType, "Upgrade rate of all training rows")
      .required("lift", DoubleType, "rate_qualifying / base_rate")
      .required("recall", DoubleType, "Share of the upgrading accounts (an account with an upgrade within the "
          + "horizon of one of its rows) that the rule flags on such a row")
      .required("coverage", DoubleType, "Share of the rows the rule qualifies")
      .required("p_value", DoubleType, "One-sided p-value of the step in the stepwise selection (its "
          + "account-clustered z), before the Bonferroni correction over tests; at least 1e-6, the resolution of the "
          + "normal approximation: 1e-6 reads < 1e-6")
      .required("tests", LongType, "Thresholds tested in this discovery (the Bonferroni factor)")
      .required("definition", StringType, "The definition as HOCON, ready for conf/definitions/")
      .optional("rate_qualifying_lo", DoubleType, "rate_qualifying's 95% interval, lower bound: the account-level "
          + "bootstrap (accounts resampled with all their rows, pql.model.gate.bootstrap-replicates, seeded)")
      .optional("rate_qualifying_hi", DoubleType, "Its upper bound")
      .optional("lift_lo", DoubleType, "lift's 95% interval, lower bound (the same bootstrap)")
      .optional("lift_hi", DoubleType, "Its upper bound")
      .optional("recall_lo", DoubleType, "recall's 95% interval, lower bound (the same bootstrap)")
      .optional("recall_hi", DoubleType, "Its upper bound")
      .optional("and_feature", StringType, "A combination's second feature (feature, operator and threshold are its "
          + "first condition): kept only because the pair lifts beyond each condition alone; null for one condition")
      .optional("and_operator", StringType, "The second condition's operator")
      .optional("and_threshold", DoubleType, "The second condition's threshold")
      .optional("locked_qualifying_rows", LongType, "On the locked evaluation window, which chose nothing: rows "
          + "that meet the rule (30-day label)")
      .optional("locked_qualifying_upgrades", LongType, "Of those, rows followed by an upgrade within the horizon")
      .optional("locked_precision", DoubleType, "The rule's upgrade rate on the locked window")
      .optional("locked_precision_lo", DoubleType, "Its 95% interval, lower bound (accounts resampled with all "
          + "their rows)")
      .optional("locked_precision_hi", DoubleType, "Its upper bound")
      .optional("locked_recall", DoubleType, "Share of the locked window's upgrading accounts the rule flags on an "
          + "upgrade row")
      .optional("locked_recall_lo", DoubleType, "Its 95% interval, lower bound")
      .optional("locked_recall_hi", DoubleType, "Its upper bound")
      .optional("locked_lift", DoubleType, "locked_precision over the locked window's base rate")
      .optional("locked_lift_lo", DoubleType, "Its 95% interval, lower bound")
      .optional("locked_lift_hi", DoubleType, "Its upper bound")
      .optional("confirmed", BooleanType, "Whether the locked window confirms the rule: locked_lift_lo above 1")
      .optional("locked_lead_days_median", DoubleType, "On the locked window, the median days from the rule's first "
          + "qualification within the horizon to the upgrade, over the upgrades it caught")
      .optional("locked_lead_days_median_lo", DoubleType, "Lower bound of the median's 95% distribution-free "
          + "interval")
      .optional("locked_lead_days_median_hi", DoubleType, "Upper bound of that interval")
      .optional("locked_added_upgrades", LongType, "On the locked window, the upgrades the rule caught beforehand that "
          + "no active definition caught (conf/definitions)")
      .optional("locked_added_recall", DoubleType, "locked_added_upgrades over the locked window's upgrades: the "
          + "recall the rule adds to the active definitions")
      .optional("locked_added_recall_lo", DoubleType, "Lower bound of its 95% Wilson interval (one trial per upgrade)")
      .optional("locked_added_recall_hi", DoubleType, "Upper bound of its 95% Wilson interval")
      .build();

  public static final TableContract THRESHOLD_CURVES = TableContract.table("threshold_curves",
          "Per model and discovered step, the upgrade rate around its cut, for plots: each cut the selection could "
              + "place on the feature (its quantiles and the numbers people write), its rows and upgrades counted on "
              + "the training rows of the model's 30-day label, with its conditional score on the driver rows the "
              + "selection ran on and whether it lies in the reported cut's interval.")
      .key("model_version", "feature", "cut")
      .required("model_version", StringType, "Model version whose selection kept the step")
      .required("feature", StringType, "Feature of the step")
      .required("operator", StringType, ">= or <=: a row qualifies at the cut when feature operator cut")
      .required("cut", DoubleType, "A cut of the feature")
      .required("rows_qualifying", LongType, "Rows that qualify at this cut (snapshots; an account has several)")
      .required("upgrades_qualifying", LongType, "Of those, rows followed by an upgrade within horizon-days")
      .optional("rate_qualifying", DoubleType, "upgrades_qualifying / rows_qualifying; null without rows")
      .required("rows_in_band", LongType, "Rows from this cut up to the next listed one (the band's own rate, "
          + "unsmoothed)")
      .required("upgrades_in_band", LongType, "Of those, rows followed by an upgrade within horizon-days")
      .optional("rate_in_band", DoubleType, "upgrades_in_band / rows_in_band; null without rows")
      .required("z", DoubleType, "The cut's score statistic in the round that kept the step, given the terms kept "
          + "before it (the reported cut's is the largest, or near it when rounded)")
      .required("in_interval", BooleanType, "Whether the cut is in the reported cut's interval: the contiguous cuts "
          + "around the best whose z^2 is within 3.84 (a 95% chi-square bound) of the best one's, scaled from rows to accounts "
          + "by the design effect (the best cut's z^2 against its account-clustered z^2)")
      .required("reported", BooleanType, "Whether this is the cut discovered_rules reports: the best cut, or the "
          + "number people write nearest to it inside its interval (1, 2, 3, 5, 10, 20, 25, 50, 100, ...)")
      .build();

  /** Every table io declares; account_features, whose columns follow the configured events, is the features stage's. */
  public static final List<TableContract> ALL = List.of(EVENTS, EVENTS_REJECTED, EVENTS_DUPLICATES, ACCOUNTS,
      CONVERSIONS, ENRICHMENT, IDENTITY_LINKS, EVENTS_UNATTRIBUTED, PIPELINE_RUNS,
      ACCOUNT_DAILY, ACCOUNT_USER_DAILY, ACCOUNT_EVENT_USER_DAILY, FEATURE_CATALOG, MODEL_RUNS, MODEL_DRIVERS,
      DISCOVERED_RULES, THRESHOLD_CURVES, PQL_SCORES, PQL_LEADS_CURRENT, PQL_QUALIFICATIONS, PQL_NEW,
      PQL_DEFINITIONS, DEFINITION_BACKTEST, PQL_METRICS, PQL_FUNNEL);

  /** The contracts of {@link #ALL} as Markdown, in order. */
  public static String markdown() {
    return ALL.stream().map(TableContract::markdown).collect(Collectors.joining("\n"));
  }
}
