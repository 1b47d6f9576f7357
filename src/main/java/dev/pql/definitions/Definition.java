package dev.pql.definitions;

import com.typesafe.config.ConfigUtil;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A PQL definition: who counts as a product-qualified lead. The same syntax serves the rules in
 * conf/definitions/*.conf and the rules the model discovers (table discovered_rules).
 *
 * <pre>
 * name = "heavy-messaging"            # unique among the active definitions
 * version = "1"                       # bump it when `when` changes: qualifications are kept per version
 * description = "A team sent 2,000 messages in 30 days"
 * type = usage                        # usage | hand-raiser | usage-limit-reached | self-serve-purchase
 * when = "cnt_30d__message_sent >= 2000"   # Spark SQL boolean over account_features columns, row-level
 * within-days-of-signup = 14          # optional: only accounts at most this many days after signup
 * segments { country = ["US"], industry = [], size-band = [], domain-class = [] }   # optional filters
 * active = true
 * </pre>
 */
public record Definition(String name, String version, String description, Type type, String when,
    Integer withinDaysOfSignup, Map<String, List<String>> segments, boolean active, String source) {
  /** A rule given on its own (pql evaluate --rule, the warehouse API): a usage definition named "candidate". */
  public static Definition candidate(String rule, Integer withinDaysOfSignup) {
    if (withinDaysOfSignup != null && withinDaysOfSignup <= 0) {
      throw new dev.pql.PqlException.ConfigurationError("--within-days-of-signup must be positive, found "
          + withinDaysOfSignup, null);
    }
    return new Definition("candidate", "-", "", Type.USAGE, rule, withinDaysOfSignup, java.util.Map.of(), true,
        "--rule");
  }


  /** The kinds of PQL. */
  public enum Type {
    USAGE, HAND_RAISER, USAGE_LIMIT_REACHED, SELF_SERVE_PURCHASE;

    public String key() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** The definition as the text of a conf/definitions file. */
  public String toHocon() {
    StringBuilder out = new StringBuilder();
    out.append("name = ").append(ConfigUtil.quoteString(name)).append('\n');
    out.append("version = ").append(ConfigUtil.quoteString(version)).append('\n');
    out.append("description = ").append(ConfigUtil.quoteString(description)).append('\n');
    out.append("type = ").append(type.key()).append('\n');
    out.append("when = ").append(ConfigUtil.quoteString(when)).append('\n');
    if (withinDaysOfSignup != null) out.append("within-days-of-signup = ").append(withinDaysOfSignup).append('\n');
    if (!segments.isEmpty()) {
      out.append("segments {\n");
      segments.forEach((k, v) -> out.append("  ").append(k).append(" = [")
          .append(String.join(", ", v.stream().map(ConfigUtil::quoteString).toList())).append("]\n"));
      out.append("}\n");
    }
    out.append("active = ").append(active).append('\n');
    return out.toString();
  }
}
