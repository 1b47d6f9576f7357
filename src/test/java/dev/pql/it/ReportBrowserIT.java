package dev.pql.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The HTML report of the reference run, opened in a real browser (Debian's Chromium, headless, installed by the
 * project's setup step when missing) from the file the run wrote: every chart must have rendered and painted its
 * canvas, the page must log no error and fetch nothing (it opens offline). A screenshot of the whole page goes to
 * target/report-screenshot.png. {@code -Dit.report=FILE} checks another report instead.
 */
class ReportBrowserIT {
  /** The charts a report of a trained, scored run draws, besides one threshold curve per reported feature. */
  static final List<String> CHARTS = List.of("drivers", "gains", "calibration", "weekly-pqls", "weekly-conversion",
      "incidence", "quality", "stages");
  static final int WIDTH = 1280;

  /** Each chart's figure: its name, whether it says it rendered, its canvas's size and painted pixels. */
  static final String CHART_STATES = "[...document.querySelectorAll('figure[data-chart]')].map(f => {"
      + "  const c = f.querySelector('canvas'); let painted = 0;"
      + "  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
      + "  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) painted++;"
      + "  const chart = Chart.getChart(c);"
      + "  return {name: f.dataset.chart, rendered: f.dataset.rendered || 'no', width: c.width, height: c.height,"
      + "    painted: painted, datasets: chart ? chart.data.datasets.length : 0};"
      + "})";

  @Test
  void everyChartOfTheRunsReportRendersInABrowserOfflineWithoutAnError() throws Exception {
    Path report;
    if (System.getProperty("it.report") != null) {
      report = Path.of(System.getProperty("it.report")).toAbsolutePath();
    } else {
      SampleRun.Reference reference = SampleRun.reference();
      report = reference.warehouse().resolve("reports/" + SampleRun.RUN_ID + ".html");
      assertTrue(reference.runOutput().contains("Report: s3a://" + SampleRun.BUCKET + "/warehouse/reports/"
          + SampleRun.RUN_ID + ".html"), "run prints where its report went:\n" + reference.runOutput());
    }
    assertTrue(Files.isRegularFile(report), "the run wrote its report at " + report);

    HeadlessChromium.install();
    try (HeadlessChromium browser = HeadlessChromium.start(SampleRun.WORK.resolve("chromium"))) {
      browser.open(report.toUri().toString(), WIDTH);
      JsonNode charts = browser.evaluate(CHART_STATES);
      Path screenshot = ServiceProcess.HOME.resolve("target/report-screenshot.png");
      browser.screenshot(screenshot, WIDTH);

      List<String> names = new ArrayList<>();
      List<String> notDrawn = new ArrayList<>();
      for (JsonNode c : charts) {
        names.add(c.get("name").asText());
        // A drawn chart paints at least its axes and data: thousands of pixels of a canvas hundreds wide.
        if (!c.get("rendered").asText().equals("true") || c.get("datasets").asInt() == 0
            || c.get("painted").asInt() < 2_000) {
          notDrawn.add(c.toString());
        }
      }
      assertEquals(List.of(), browser.errors(), "what the page logged as errors");
      assertTrue(names.containsAll(CHARTS), "every chart is there: " + names);
      assertTrue(names.stream().anyMatch(n -> n.startsWith("curve-")), "a threshold curve: " + names);
      assertEquals(List.of(), notDrawn, "charts not drawn");
      assertEquals(List.of(), browser.requests().stream()
          .filter(u -> !u.startsWith("file:") && !u.startsWith("data:")).toList(), "requests beyond the file");
      assertTrue(Files.size(screenshot) > 50_000, "a screenshot of the page at " + screenshot);
      System.out.printf("ReportBrowserIT: %d charts rendered (%s), no error, no request; screenshot %s%n",
          names.size(), String.join(", ", names), screenshot);
    }
  }
}
