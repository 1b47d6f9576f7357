package dev.pql.report;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

/**
 * One self-contained HTML page: the template, its styles and script, Chart.js and the figures as JSON, all inline, so
 * the file opens offline, from a laptop or a bucket, and nothing is fetched.
 *
 * <p>Chart.js (MIT) comes from its WebJar on Maven Central, bundled in pql's jar at build time: a canvas library of
 * 200 kB that draws the line, bar and floating-bar (interval) charts the report needs, with no dependency.
 */
public final class HtmlReport {
  private HtmlReport() {}

  private static final String CHART_JS_PROPERTIES = "/META-INF/maven/org.webjars.npm/chart.js/pom.properties";

  /** The page of the figures, each a JSON value by section name. */
  public static String page(String title, Map<String, String> sections) {
    String data = sections.entrySet().stream()
        .map(e -> "\"" + e.getKey() + "\":" + e.getValue())
        .collect(Collectors.joining(",\n", "{", "}"));
    return resource("/report/report.html")
        .replace("{{title}}", escapeHtml(title))
        .replace("/*{{style}}*/", resource("/report/report.css"))
        .replace("/*{{chart.js}}*/", inScript(chartJs()))
        .replace("/*{{report.js}}*/", inScript(resource("/report/report.js")))
        // Inside a script element only "</" can end it early; "<\/" is the same JSON string.
        .replace("{{data}}", data.replace("</", "<\\/"));
  }

  /** The version of Chart.js bundled, as its WebJar names it. */
  public static String chartJsVersion() {
    Properties p = new Properties();
    try (InputStream in = HtmlReport.class.getResourceAsStream(CHART_JS_PROPERTIES)) {
      if (in == null) throw new IllegalStateException("Chart.js is missing from the classpath: " + CHART_JS_PROPERTIES);
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p.getProperty("version");
  }

  private static String chartJs() {
    return resource("/META-INF/resources/webjars/chart.js/" + chartJsVersion() + "/dist/chart.umd.min.js");
  }

  private static String inScript(String js) {
    return js.replace("</script", "<\\/script");
  }

  static String escapeHtml(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  private static String resource(String name) {
    try (InputStream in = HtmlReport.class.getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException("Missing resource " + name);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
