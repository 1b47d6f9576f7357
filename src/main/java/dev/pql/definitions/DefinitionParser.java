package dev.pql.definitions;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import dev.pql.PqlException.ConfigurationError;
import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads PQL definitions: one HOCON file each ({@link Definition} shows the syntax), from a folder or as text.
 * Problems name the file, the definition and the key; the `when` expression is checked against the feature
 * columns separately, by Spark's analyzer (DefinitionCheck).
 */
public final class DefinitionParser {
  private DefinitionParser() {}

  private static final Set<String> KEYS = Set.of("name", "version", "description", "type", "when",
      "within-days-of-signup", "segments", "active");
  private static final Set<String> SEGMENTS = Set.of("country", "industry", "size-band", "domain-class");

  /** Every *.conf file of the folder, in name order; inactive definitions are returned too (active = false). */
  public static List<Definition> loadFolder(File folder) {
    File[] files = folder.listFiles((dir, name) -> name.endsWith(".conf"));
    if (files == null) {
      throw new ConfigurationError("Definitions folder does not exist: " + folder.getPath()
          + " (pql.scoring.definitions)", null);
    }
    Arrays.sort(files);
    List<Definition> definitions = new ArrayList<>();
    Map<String, String> fileByName = new HashMap<>();
    for (File f : files) {
      Config c;
      try {
        c = ConfigFactory.parseFile(f, ConfigParseOptions.defaults().setAllowMissing(false)).resolve();
      } catch (ConfigException e) {
        throw new ConfigurationError("Cannot parse definition file " + f.getPath() + ": " + e.getMessage(), e);
      }
      Definition d = read(c, f.getPath());
      String other = fileByName.putIfAbsent(d.name(), f.getPath());
      if (other != null) {
        throw new ConfigurationError("Definition name '" + d.name() + "' is used by both " + other + " and "
            + f.getPath(), null);
      }
      definitions.add(d);
    }
    return definitions;
  }

  /** One definition from its text (e.g. the definition column of discovered_rules). */
  public static Definition parse(String hocon, String source) {
    try {
      return read(ConfigFactory.parseString(hocon, ConfigParseOptions.defaults().setOriginDescription(source))
          .resolve(), source);
    } catch (ConfigException e) {
      throw new ConfigurationError("Cannot parse definition " + source + ": " + e.getMessage(), e);
    }
  }

  private static Definition read(Config c, String source) {
    String name = c.hasPath("name") ? c.getString("name").trim() : "";
    String where = source + (name.isEmpty() ? "" : " (definition '" + name + "')");
    for (Map.Entry<String, ConfigValue> e : c.root().entrySet()) {
      if (!KEYS.contains(e.getKey())) {
        throw new ConfigurationError(where + ": unknown key '" + e.getKey() + "'; allowed: "
            + new java.util.TreeSet<>(KEYS), null);
      }
    }
    try {
      if (name.isEmpty()) throw new ConfigurationError(source + ": 'name' is required", null);
      if (!name.matches("[A-Za-z0-9_.:-]+")) {
        throw new ConfigurationError(where + ": 'name' must use only letters, digits and _ . : -", null);
      }
      String version = required(c, "version", where);
      String when = required(c, "when", where);
      String typeText = required(c, "type", where);
      Definition.Type type = Arrays.stream(Definition.Type.values())
          .filter(t -> t.key().equals(typeText.toLowerCase(Locale.ROOT))).findFirst()
          .orElseThrow(() -> new ConfigurationError(where + ": 'type' must be one of "
              + Arrays.stream(Definition.Type.values()).map(Definition.Type::key).toList() + ", found '" + typeText
              + "'", null));
      Integer within = null;
      if (c.hasPath("within-days-of-signup")) {
        within = c.getInt("within-days-of-signup");
        if (within <= 0) throw new ConfigurationError(where + ": 'within-days-of-signup' must be positive", null);
      }
      Map<String, List<String>> segments = new LinkedHashMap<>();
      if (c.hasPath("segments")) {
        Config s = c.getConfig("segments");
        for (String key : s.root().keySet()) {
          if (!SEGMENTS.contains(key)) {
            throw new ConfigurationError(where + ": unknown segment 'segments." + key + "'; allowed: "
                + new java.util.TreeSet<>(SEGMENTS), null);
          }
          segments.put(key, List.copyOf(s.getStringList(key)));
        }
      }
      return new Definition(name, version, c.hasPath("description") ? c.getString("description") : "", type, when,
          within, segments, !c.hasPath("active") || c.getBoolean("active"), source);
    } catch (ConfigException e) {
      throw new ConfigurationError(where + ": " + e.getMessage(), e);
    }
  }

  private static String required(Config c, String key, String where) {
    if (!c.hasPath(key) || c.getString(key).isBlank()) {
      throw new ConfigurationError(where + ": '" + key + "' is required", null);
    }
    return c.getString(key).trim();
  }
}
