package dev.pushline.jmh;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns JMH's JSON results ({@code -rf json}) into a Markdown table: score ± error (99.9 %), the cost per
 * recipient (score ÷ recipients or subscribers), the cost per replayed publication (ReplayBench: score minus
 * the {@code back=0} score, ÷ back), the allocation per op when run with {@code -prof gc}, and for the
 * classes that have a {@code pushline} method, each variant's score ÷ Pushline's at the same parameters.
 *
 * <pre>java -cp pushline-jmh.jar dev.pushline.jmh.ResultsTable results.json</pre>
 */
public final class ResultsTable {

  private ResultsTable() {}

  private record Row(String className, String method, Map<String, String> params, double score, double error,
      String unit, double allocBytes) {

    String paramsKey() {
      return params.toString();
    }

    double param(String name) {
      String v = params.get(name);
      return v == null ? Double.NaN : Double.parseDouble(v);
    }
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: ResultsTable results.json");
      System.exit(2);
    }
    List<Row> rows = read(Path.of(args[0]));
    System.out.println("| benchmark | parameters | score ± error | ns per recipient | ns per replayed publication "
        + "| alloc B/op | ÷ pushline |");
    System.out.println("|---|---|---:|---:|---:|---:|---:|");
    for (Row r : rows) {
      double n = !Double.isNaN(r.param("recipients")) ? r.param("recipients") : r.param("subscribers");
      String perRecipient = Double.isNaN(n) ? "" : fmt(r.score / n);
      String perReplayed = "";
      if (r.param("back") > 0) {
        Row base = find(rows, r.className, r.method, Map.of("back", "0"));
        if (base != null) {
          perReplayed = fmt((r.score - base.score) / r.param("back"));
        }
      }
      String ratio = "";
      Row ours = find(rows, r.className, "pushline", r.params);
      if (ours != null && !r.method.equals("pushline")) {
        ratio = String.format(Locale.ROOT, "%.2f", r.score / ours.score);
      }
      System.out.printf(Locale.ROOT, "| %s.%s | %s | %s ± %s %s | %s | %s | %s | %s |%n", r.className, r.method,
          params(r.params), fmt(r.score), fmt(r.error), r.unit, perRecipient, perReplayed,
          Double.isNaN(r.allocBytes) ? "" : fmt(r.allocBytes), ratio);
    }
  }

  private static Row find(List<Row> rows, String className, String method, Map<String, String> params) {
    for (Row r : rows) {
      if (r.className.equals(className) && r.method.equals(method) && r.params.equals(new TreeMap<>(params))) {
        return r;
      }
    }
    return null;
  }

  private static List<Row> read(Path file) throws IOException {
    JsonArray results;
    try (Reader in = Files.newBufferedReader(file)) {
      results = JsonParser.parseReader(in).getAsJsonArray();
    }
    List<Row> rows = new ArrayList<>();
    for (JsonElement e : results) {
      JsonObject o = e.getAsJsonObject();
      String benchmark = o.get("benchmark").getAsString();
      int dot = benchmark.lastIndexOf('.');
      String cls = benchmark.substring(benchmark.lastIndexOf('.', dot - 1) + 1, dot);
      Map<String, String> params = new TreeMap<>();
      if (o.has("params")) {
        o.getAsJsonObject("params").entrySet().forEach(p -> params.put(p.getKey(), p.getValue().getAsString()));
      }
      JsonObject primary = o.getAsJsonObject("primaryMetric");
      double alloc = Double.NaN;
      JsonObject secondary = o.getAsJsonObject("secondaryMetrics");
      if (secondary != null && secondary.has("gc.alloc.rate.norm")) {
        alloc = secondary.getAsJsonObject("gc.alloc.rate.norm").get("score").getAsDouble();
      }
      rows.add(new Row(cls, benchmark.substring(dot + 1), params, primary.get("score").getAsDouble(),
          errorOf(primary), primary.get("scoreUnit").getAsString(), alloc));
    }
    return rows;
  }

  /** JMH writes "NaN" as the error of a single iteration. */
  private static double errorOf(JsonObject metric) {
    JsonElement e = metric.get("scoreError");
    try {
      return e.getAsDouble();
    } catch (NumberFormatException | UnsupportedOperationException ex) {
      return Double.NaN;
    }
  }

  private static String params(Map<String, String> params) {
    StringBuilder b = new StringBuilder();
    params.forEach((k, v) -> b.append(b.length() == 0 ? "" : ", ").append(k).append('=').append(v));
    return b.toString();
  }

  private static String fmt(double v) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    if (Math.abs(v) >= 100) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    return String.format(Locale.ROOT, "%.1f", v);
  }
}
