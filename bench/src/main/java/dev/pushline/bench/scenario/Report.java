package dev.pushline.bench.scenario;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A scenario's results: rows of a two-column Markdown table, checks that pass or fail, and the box's load
 * average at the start and the end (the box is shared; numbers without it mean little).
 *
 * <p>Not thread-safe; confine to the scenario's thread.
 */
final class Report {

  private final String scenario;
  private final String settings;
  private final List<String[]> rows = new ArrayList<>();
  private final List<String> failures = new ArrayList<>();
  private final String loadAtStart = loadAverage();
  private final Instant start = Instant.now();

  Report(String scenario, String settings) {
    this.scenario = scenario;
    this.settings = settings;
  }

  void add(String metric, Object value) {
    rows.add(new String[] {metric, String.valueOf(value)});
    System.err.println("# " + scenario + ": " + metric + " = " + value);
  }

  /** A check: a row PASS or FAIL, and the scenario fails if any does. */
  void check(String what, boolean passed, Object detail) {
    add("check: " + what, (passed ? "PASS" : "**FAIL**") + " (" + detail + ")");
    if (!passed) {
      failures.add(what);
    }
  }

  boolean passed() {
    return failures.isEmpty();
  }

  void print(PrintStream out) {
    out.println();
    out.println("### " + scenario + (passed() ? "" : " — FAILED: " + failures));
    out.println();
    out.println("`" + settings + "`; " + start + " → " + Instant.now() + "; load average (1/5/15 min) "
        + loadAtStart + " at start, " + loadAverage() + " at end; load JVM CPU "
        + loadJvmCpuMillis() / 1000 + " s");
    out.println();
    out.println("| metric | value |");
    out.println("|---|---|");
    for (String[] r : rows) {
      out.println("| " + r[0] + " | " + r[1] + " |");
    }
    out.flush();
  }

  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "n/a"; // not Linux
    }
  }

  static long loadJvmCpuMillis() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime() / 1_000_000;
  }

  /** {@code 3 min}, {@code 30 s} or {@code 500 ms}. */
  static String fmt(java.time.Duration d) {
    long ms = d.toMillis();
    return ms % 60_000 == 0 && ms > 0 ? ms / 60_000 + " min" : ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
  }

  static String kib(long bytes) {
    return String.format("%,.1f KiB", bytes / 1024.0);
  }

  static String mib(long bytes) {
    return String.format("%,.2f MiB", bytes / 1048576.0);
  }
}
