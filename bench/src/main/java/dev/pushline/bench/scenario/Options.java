package dev.pushline.bench.scenario;

import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A scenario's command-line options: {@code --name value} pairs and {@code --flag}s. Each getter names its
 * default; {@link #requireAllUsed()} refuses options no getter asked for, so a typo fails the run instead
 * of silently running the defaults.
 *
 * <p>Not thread-safe; confine to one thread.
 */
final class Options {

  private final Map<String, String> values = new LinkedHashMap<>();
  private final Set<String> used = new HashSet<>();

  Options(String[] args, int from) {
    for (int i = from; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--") || a.length() < 3) {
        throw new IllegalArgumentException("option is \"" + a + "\"; options look like --name value or --flag");
      }
      String name = a.substring(2);
      boolean hasValue = i + 1 < args.length && !args[i + 1].startsWith("--");
      values.put(name, hasValue ? args[++i] : "");
    }
  }

  boolean flag(String name) {
    used.add(name);
    return values.containsKey(name);
  }

  String string(String name, String def) {
    used.add(name);
    String v = values.get(name);
    return v == null || v.isEmpty() ? def : v;
  }

  int integer(String name, int def) {
    String v = string(name, null);
    if (v == null) {
      return def;
    }
    try {
      return Integer.parseInt(v.replace("_", ""));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " is \"" + v + "\"; it must be an integer", e);
    }
  }

  int positive(String name, int def) {
    int v = integer(name, def);
    if (v < 1) {
      throw new IllegalArgumentException("--" + name + " is " + v + "; it must be >= 1");
    }
    return v;
  }

  double fraction(String name, double def) {
    String v = string(name, null);
    double d;
    try {
      d = v == null ? def : Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " is \"" + v + "\"; it must be a number", e);
    }
    if (!(d >= 0 && d <= 1)) {
      throw new IllegalArgumentException("--" + name + " is " + v + "; it must be 0..1");
    }
    return d;
  }

  /** A duration written {@code 500ms}, {@code 30s} or {@code 3m}. */
  Duration duration(String name, Duration def) {
    String v = string(name, null);
    if (v == null) {
      return def;
    }
    try {
      Duration d;
      if (v.endsWith("ms")) {
        d = Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      } else if (v.endsWith("s")) {
        d = Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
      } else if (v.endsWith("m")) {
        d = Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
      } else {
        throw new NumberFormatException("no unit");
      }
      if (d.isNegative()) {
        throw new NumberFormatException("negative");
      }
      return d;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " is \"" + v + "\"; write it like 500ms, 30s or 3m", e);
    }
  }

  void requireAllUsed() {
    Set<String> unknown = new HashSet<>(values.keySet());
    unknown.removeAll(used);
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("unknown option(s) " + unknown + "; known here: " + used);
    }
  }
}
