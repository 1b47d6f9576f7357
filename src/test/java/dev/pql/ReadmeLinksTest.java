package dev.pql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The README's contents and every link within it lead to a heading (as GitHub names a heading's anchor). */
class ReadmeLinksTest {
  /** GitHub's anchor of a heading: lower case, punctuation but '-' and '_' dropped, spaces as '-'. */
  static String anchor(String heading) {
    return heading.trim().toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}_\\- ]", "").replace(' ', '-');
  }

  @Test
  void everyLinkToAPlaceInTheReadmeLeadsToAHeading() throws Exception {
    List<String> lines = Files.readAllLines(Path.of("README.md"));
    Set<String> anchors = new HashSet<>();
    boolean fenced = false;
    for (String line : lines) {
      if (line.startsWith("```")) fenced = !fenced;
      if (!fenced && line.matches("#{1,6} .*")) anchors.add(anchor(line.replaceFirst("#+ ", "")));
    }
    List<String> links = new ArrayList<>();
    Matcher m = Pattern.compile("\\]\\(#([^)]+)\\)").matcher(String.join("\n", lines));
    while (m.find()) links.add(m.group(1));
    assertTrue(links.size() >= 20, "the contents list the sections: " + links.size());
    assertEquals(List.of(), links.stream().filter(l -> !anchors.contains(l)).toList(), "links to no heading");
    assertEquals("jobspql-submit-one-environment-file-per-cluster",
        anchor("`jobs/pql-submit`: one environment file per cluster"));
  }
}
