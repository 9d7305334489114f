package dev.pushline.testing;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A Node.js script run as a real third-party client (STOMP, SockJS, EventSource from npm) against a test's
 * server. Core's scripts and their {@code package.json} live in {@code core/src/test/node} ({@link #DIR});
 * other modules keep theirs in a folder of their own and pass it to {@link #start(Path, Map, String,
 * String...)} (the examples' browser tests do). The first script a JVM runs in a folder installs the
 * packages there with {@code npm ci} (once per folder; {@code node_modules} is git-ignored).
 *
 * <p>Protocol between test and script: the script prints one JSON object per line on stdout (an event the
 * test reads with {@link #next}); the test writes one JSON object per line to the script's stdin
 * ({@link #send}), which the script reads as commands. Anything else on stdout, and all of stderr, is kept
 * for the failure message.
 *
 * <p>Thread-safe.
 */
public final class NodeScript implements AutoCloseable {

  /** Where the scripts and their package.json are, relative to the core module. */
  public static final Path DIR = locate();

  private static final Object INSTALL_LOCK = new Object();
  private static final Set<Path> installed = new HashSet<>(); // guarded by INSTALL_LOCK

  private final Process process;
  private final Writer stdin;
  private final BlockingQueue<JsonObject> events = new LinkedBlockingQueue<>();
  private final List<String> log = new ArrayList<>(); // guarded by itself

  private NodeScript(Process process) {
    this.process = process;
    this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread out = new Thread(() -> pump(process.getInputStream(), true), "node-stdout");
    Thread err = new Thread(() -> pump(process.getErrorStream(), false), "node-stderr");
    out.setDaemon(true);
    err.setDaemon(true);
    out.start();
    err.start();
  }

  /** Starts {@code node <script> <args...>} in {@link #DIR}, installing the npm packages first if needed. */
  public static NodeScript start(String script, String... args) throws IOException {
    return start(DIR, Map.of(), script, args);
  }

  /**
   * Starts {@code node <script> <args...>} in {@code dir}, which holds a {@code package.json} and its
   * {@code package-lock.json}, with {@code env} added to this JVM's environment; installs the npm packages
   * there first if needed.
   */
  public static NodeScript start(Path dir, Map<String, String> env, String script, String... args)
      throws IOException {
    installPackages(dir);
    List<String> command = new ArrayList<>(List.of("node", script));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
    builder.environment().putAll(env);
    return new NodeScript(builder.start());
  }

  /** The next JSON line the script printed, waiting at most 20 s; fails (with the script's output) if none. */
  public JsonObject next() throws InterruptedException {
    JsonObject e = events.poll(20, TimeUnit.SECONDS);
    if (e == null) {
      throw new AssertionError("the node script printed nothing within 20 s; its output:\n" + output());
    }
    return e;
  }

  /** The next event whose {@code "event"} member is {@code name}, skipping others; fails after 20 s. */
  public JsonObject next(String name) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      long left = deadline - System.nanoTime();
      JsonObject e = left > 0 ? events.poll(left, TimeUnit.NANOSECONDS) : null;
      if (e == null) {
        throw new AssertionError("no \"" + name + "\" event within 20 s; the script's output:\n" + output());
      }
      if (e.has("event") && name.equals(e.get("event").getAsString())) {
        return e;
      }
    }
  }

  /** Writes one command line to the script's stdin. */
  public synchronized void send(JsonObject command) throws IOException {
    stdin.write(command.toString());
    stdin.write('\n');
    stdin.flush();
  }

  /** Everything the script printed so far that was not an event, and its stderr. */
  public String output() {
    synchronized (log) {
      return String.join("\n", log);
    }
  }

  /** Waits at most 20 s for the script to exit and returns its exit code. */
  public int waitFor() throws InterruptedException {
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      throw new AssertionError("the node script did not exit within 20 s; its output:\n" + output());
    }
    return process.exitValue();
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void pump(java.io.InputStream in, boolean stdout) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (stdout && line.startsWith("{")) {
          try {
            events.add(JsonParser.parseString(line).getAsJsonObject());
            synchronized (log) {
              log.add("event: " + line);
            }
            continue;
          } catch (RuntimeException notJson) {
            // kept as output below
          }
        }
        synchronized (log) {
          log.add((stdout ? "out: " : "err: ") + line);
        }
      }
    } catch (IOException ignored) {
      // the process ended
    }
  }

  /** Installs the npm packages of {@link #DIR} with {@code npm ci}, once per JVM and only when they changed. */
  public static void installPackages() throws IOException {
    installPackages(DIR);
  }

  private static void installPackages(Path dir) throws IOException {
    synchronized (INSTALL_LOCK) {
      if (installed.contains(dir)) {
        return;
      }
      Path marker = dir.resolve("node_modules/.package-lock.json");
      Path lock = dir.resolve("package-lock.json");
      if (!Files.exists(marker) || Files.getLastModifiedTime(marker).compareTo(Files.getLastModifiedTime(lock)) < 0) {
        Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund")
            .directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
          if (!npm.waitFor(5, TimeUnit.MINUTES) || npm.exitValue() != 0) {
            throw new IOException("npm ci failed in " + dir + ":\n" + out);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while installing npm packages", e);
        }
      }
      installed.add(dir);
    }
  }

  private static Path locate() {
    // Surefire runs with the module as working directory; an IDE may use the repository root.
    for (Path p : List.of(Path.of("src/test/node"), Path.of("core/src/test/node"))) {
      if (Files.isRegularFile(p.resolve("package.json"))) {
        return p.toAbsolutePath();
      }
    }
    return Path.of("src/test/node").toAbsolutePath();
  }
}
