package dev.pql.report;

import static org.apache.spark.sql.functions.col;

import dev.pql.io.DeltaStore;
import dev.pql.io.TableContract;
import dev.pql.io.Tables;
import dev.pql.model.ModelRegistry;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Writes a run's report: {@code <warehouse>/reports/<run id>.html}, one self-contained page with the latest model's
 * drivers, threshold curves, gains and calibration, the PQLs and their conversion per week by definition, the
 * cohorts' incidence of reaching PQL, the run's data quality and its stage times. Reads only the small frames of
 * {@link ReportData}; a table not written yet leaves its section empty, saying so.
 */
public final class ReportJob {
  private ReportJob() {}

  /** Where a report went and what it shows: the model (null: none trained yet) and the sections with data. */
  public record Result(String path, String runId, String modelVersion, List<String> sections) {}

  /** The folder of the reports, under the warehouse. */
  public static final String FOLDER = "reports";

  public static Result run(DeltaStore store, String runId) {
    Map<String, String> sections = new LinkedHashMap<>();
    sections.put("run", "{\"run_id\":" + json(runId) + ",\"warehouse\":" + json(store.location("")) + ","
        + "\"generated_at\":" + json(Instant.now().toString()) + ",\"chart_js\":"
        + json(HtmlReport.chartJsVersion()) + "}");
    sections.put("stages", array(store, Tables.PIPELINE_RUNS, t -> ReportData.stages(t, runId)));
    sections.put("rejected", array(store, Tables.EVENTS_REJECTED, t -> ReportData.rejected(t, runId)));
    ModelRegistry.Latest latest = store.exists(Tables.MODEL_RUNS) ? ModelRegistry.latest(store) : null;
    String version = latest == null ? null : latest.version();
    sections.put("model", version == null ? "null" : first(ReportData.model(store.read(Tables.MODEL_RUNS), version)));
    sections.put("drivers", version == null ? "[]"
        : array(store, Tables.MODEL_DRIVERS, t -> ReportData.drivers(t, version)));
    sections.put("curves", version == null ? "[]"
        : array(store, Tables.THRESHOLD_CURVES, t -> ReportData.curves(t, version)));
    sections.put("weeks", array(store, Tables.PQL_METRICS, ReportData::weeks));

    String path = store.location(FOLDER + "/" + runId + ".html");
    store.writeText(FOLDER + "/" + runId + ".html", HtmlReport.page("pql report — run " + runId, sections));
    List<String> withData = sections.entrySet().stream()
        .filter(e -> !e.getValue().equals("[]") && !e.getValue().equals("null")).map(Map.Entry::getKey).toList();
    return new Result(path, runId, version, withData);
  }

  /** The latest run of the warehouse that ran the pipeline (run or demo), or null when none did. */
  public static String latestRun(DeltaStore store) {
    if (!store.exists(Tables.PIPELINE_RUNS)) return null;
    List<Row> latest = store.read(Tables.PIPELINE_RUNS).filter(col("command").isin("run", "demo"))
        .orderBy(col("started_at").desc()).select("run_id").limit(1).collectAsList();
    return latest.isEmpty() ? null : latest.get(0).getString(0);
  }

  /** A table's frame as a JSON array, or [] when the table is not there yet. */
  private static String array(DeltaStore store, TableContract table, Function<Dataset<Row>, Dataset<Row>> frame) {
    if (!store.exists(table)) return "[]";
    return "[" + String.join(",\n", frame.apply(store.read(table)).toJSON().collectAsList()) + "]";
  }

  private static String first(Dataset<Row> rows) {
    List<String> json = rows.toJSON().limit(1).collectAsList();
    return json.isEmpty() ? "null" : json.get(0);
  }

  /** A JSON string, quoted and escaped by Jackson. */
  static String json(String s) {
    return "\"" + new String(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(s)) + "\"";
  }
}
