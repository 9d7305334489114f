package dev.pushline.bench.scenario;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The load side's handle on a {@link ScenarioServer} process: starts it with this JVM's class path, sends
 * it commands on its stdin and waits, with a deadline, for the answer lines on its stdout. The server's
 * log (stderr) goes to a file.
 *
 * <p>Not thread-safe; confine to the scenario's thread.
 */
final class ServerProcess implements AutoCloseable {

  private final Process process;
  private final PrintStream commands;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  /** Lines read while waiting for another answer, in arrival order. */
  private final List<String> unclaimed = new ArrayList<>();
  final int port;
  final long pid;
  final Path log;

  private ServerProcess(Process process, Path log) throws IOException {
    this.process = process;
    this.log = log;
    this.commands = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          lines.add(line);
        }
      } catch (IOException e) {
        lines.add("ERROR stdout of the server: " + e);
      }
      lines.add("EXITED");
    }, "server-stdout");
    reader.setDaemon(true);
    reader.start();
    String ready = await("READY", Duration.ofSeconds(30));
    String[] f = ready.split(" ");
    this.port = Integer.parseInt(f[1]);
    this.pid = process.pid();
  }

  /**
   * Starts a server JVM with {@code jvmOptions} (split on spaces), its log in {@code log}.
   *
   * @throws IllegalStateException if it does not print READY within 30 s
   */
  static ServerProcess start(String jvmOptions, Path log) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    if (!jvmOptions.isBlank()) {
      cmd.addAll(Arrays.asList(jvmOptions.trim().split("\\s+")));
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ScenarioServer.class.getName(), "0"));
    Files.createDirectories(log.toAbsolutePath().getParent());
    Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    return new ServerProcess(p, log);
  }

  /** Sends {@code command} and returns the first line that starts with {@code answer}. */
  String call(String command, String answer, Duration timeout) {
    send(command);
    return await(answer, timeout);
  }

  void send(String command) {
    commands.println(command);
    if (commands.checkError()) {
      throw new IllegalStateException("cannot write \"" + command + "\" to the server; it exited? log: " + log);
    }
  }

  /**
   * The first line, unclaimed or still to come, that starts with {@code prefix}.
   *
   * @throws IllegalStateException on an ERROR line, if the server exits, or after {@code timeout}
   */
  String await(String prefix, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Iterator<String> it = unclaimed.iterator(); it.hasNext(); ) {
      String line = it.next();
      if (line.startsWith(prefix)) {
        it.remove();
        return line;
      }
    }
    while (true) {
      long left = deadline - System.nanoTime();
      String line;
      try {
        line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted waiting for " + prefix, e);
      }
      if (line == null) {
        throw new IllegalStateException("no " + prefix + " from the server within " + timeout + "; log: " + log);
      }
      if (line.startsWith(prefix)) {
        return line;
      }
      if (line.startsWith("ERROR") || line.equals("EXITED")) {
        throw new IllegalStateException("waiting for " + prefix + ", the server said: " + line + "; log: " + log);
      }
      unclaimed.add(line);
    }
  }

  /** The server's used heap after two full GCs and its counters. */
  Snapshot heap() {
    return Snapshot.parse(call("heap", "HEAP", Duration.ofSeconds(60)));
  }

  /** The server's counters, without a GC. */
  Snapshot stats() {
    return Snapshot.parse(call("stats", "STATS", Duration.ofSeconds(30)));
  }

  /** Each channel's current offset, {@code prefix + i}. */
  long[] offsets(String prefix, int n) {
    String line = call("offsets " + prefix + " " + n, "OFFSETS " + prefix + " ", Duration.ofSeconds(30));
    String[] parts = line.substring(("OFFSETS " + prefix + " ").length()).split(",");
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = Long.parseLong(parts[i]);
    }
    return out;
  }

  /** Asks the server to quit, waits up to 15 s, then kills it. */
  @Override
  public void close() {
    try {
      send("quit");
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (IllegalStateException e) {
      process.destroyForcibly(); // it is gone already or its stdin is: make sure
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** One {@code HEAP} or {@code STATS} answer: its {@code key=value} fields. */
  record Snapshot(Map<String, Long> fields) {
    static Snapshot parse(String line) {
      Map<String, Long> m = new HashMap<>();
      for (String part : line.split(" ")) {
        int eq = part.indexOf('=');
        if (eq > 0) {
          m.put(part.substring(0, eq), Long.parseLong(part.substring(eq + 1)));
        }
      }
      return new Snapshot(m);
    }

    long get(String key) {
      Long v = fields.get(key);
      if (v == null) {
        throw new IllegalStateException("no " + key + " in " + fields);
      }
      return v;
    }

    long heapBytes() {
      return get("usedBytes");
    }
  }
}
