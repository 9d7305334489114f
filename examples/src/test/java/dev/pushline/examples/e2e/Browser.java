package dev.pushline.examples.e2e;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.pushline.testing.NodeScript;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Headless Chromium for end-to-end tests, driven from Java: each call becomes one command to
 * {@code src/test/e2e/driver.mjs}, which runs it with playwright-core and answers (through
 * {@link NodeScript}: JSON lines both ways). A test opens named {@link Page}s on a demo's URL, waits for
 * the DOM, reads it and takes screenshots into {@code target/screenshots/}.
 *
 * <pre>{@code
 * try (Browser browser = Browser.launch()) {
 *   Browser.Page page = browser.open("main", demo.pageUri());
 *   page.waitForSelector("[data-part=\"status\"][data-state=\"connected\"]");
 *   page.waitFor("(n) => document.querySelectorAll('.line').length >= n", 20);
 *   page.screenshot("MyDemoIT-live");
 * }
 * }</pre>
 *
 * <h2>The browser</h2>
 * Debian's {@code chromium} (Playwright's own browser download does not work on our machines): the
 * {@code CHROMIUM} environment variable if set, else {@code /usr/bin/chromium}, else {@code chromium} on
 * the {@code PATH}. If there is none, {@link #launch()} fails (it does not skip): {@code .ci/run} installs
 * it, and so does {@code apt-get install chromium}. The first launch in a JVM runs {@code npm ci} in
 * {@code src/test/e2e} (playwright-core, pinned in its {@code package-lock.json}).
 *
 * <h2>Waiting</h2>
 * Every wait is bounded: {@link #DEFAULT_TIMEOUT} unless a call says otherwise, at most
 * {@link #MAX_TIMEOUT} (the driver must answer before {@link NodeScript}'s 20 s poll gives up). A failed
 * command throws {@link AssertionError} with the driver's message (what it waited for) and everything the
 * script logged: the pages' console, uncaught errors and WebSocket opens and closes.
 *
 * <p>Thread-safe: commands are sent and answered one at a time.
 */
public final class Browser implements AutoCloseable {

  /** How long a wait takes at most unless the call says otherwise. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  /** The longest wait one call may ask for. */
  public static final Duration MAX_TIMEOUT = Duration.ofSeconds(15);

  /** {@code src/test/e2e} of the examples module: the npm package with the driver and the JS helpers. */
  public static final Path E2E_DIR = locate();

  /** Where screenshots go: {@code target/screenshots/} of the examples module. */
  public static final Path SCREENSHOTS = E2E_DIR.resolve("../../../target/screenshots").normalize();

  private static final Gson GSON = new Gson();

  private final NodeScript driver;
  private final String version;
  private long nextId = 1; // guarded by this
  private boolean closed; // guarded by this

  private Browser(NodeScript driver, String version) {
    this.driver = driver;
    this.version = version;
  }

  /**
   * Starts the driver and its headless Chromium; returns once the browser runs.
   *
   * @throws AssertionError if there is no Chromium, or it cannot be launched (with why)
   */
  public static Browser launch() throws IOException {
    Path chromium = chromium();
    NodeScript driver = NodeScript.start(E2E_DIR,
        Map.of("CHROMIUM", chromium.toString(), "PUSHLINE_SCREENSHOTS", SCREENSHOTS.toString()),
        "driver.mjs");
    try {
      JsonObject first = driver.next();
      String event = first.has("event") ? first.get("event").getAsString() : "";
      if (!event.equals("ready")) {
        throw new AssertionError("the browser driver did not start (" + first + "); its output:\n"
            + driver.output());
      }
      return new Browser(driver, first.get("chromium").getAsString());
    } catch (InterruptedException e) {
      driver.close();
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while launching Chromium", e);
    } catch (RuntimeException | Error e) {
      driver.close();
      throw e;
    }
  }

  /**
   * The Chromium to drive: {@code $CHROMIUM}, {@code /usr/bin/chromium}, or {@code chromium} on the PATH.
   *
   * @throws AssertionError if there is none, saying how to install it
   */
  public static Path chromium() {
    String configured = System.getenv("CHROMIUM");
    if (configured != null && !configured.isBlank()) {
      Path p = Path.of(configured);
      if (!Files.isExecutable(p)) {
        throw new AssertionError("CHROMIUM is \"" + configured + "\", which is not an executable file; unset it"
            + " to use /usr/bin/chromium (apt-get install chromium)");
      }
      return p;
    }
    List<Path> candidates = new ArrayList<>(List.of(Path.of("/usr/bin/chromium")));
    String path = Objects.requireNonNullElse(System.getenv("PATH"), "");
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty()) {
        candidates.add(Path.of(dir, "chromium"));
      }
    }
    for (Path p : candidates) {
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return p;
      }
    }
    throw new AssertionError("the browser tests need Chromium, and there is none: not at /usr/bin/chromium"
        + " nor on the PATH. Install Debian's package (apt-get install chromium; bash .ci/run does), or set"
        + " CHROMIUM to a Chromium or Chrome binary.");
  }

  /** The version of the Chromium being driven, such as {@code 156.0.8078.108}. */
  public String version() {
    return version;
  }

  /**
   * Opens {@code url} in a new page named {@code name}, in a browser context of its own (its own cookies
   * and storage: a second user), and returns once it has loaded.
   */
  public Page open(String name, URI url) {
    Objects.requireNonNull(url, "url");
    JsonObject command = command("open", name);
    command.addProperty("url", url.toString());
    call(command);
    return new Page(name);
  }

  /** Closes every page and the browser, and ends the driver. Idempotent. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    try {
      call(command("exit", null));
      driver.waitFor();
    } catch (AssertionError | RuntimeException e) {
      // The driver is gone or stuck: closing stdin and killing node below is all that is left to do;
      // Chromium exits when its pipe to the driver closes.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      driver.close();
    }
  }

  private static JsonObject command(String cmd, String page) {
    JsonObject command = new JsonObject();
    command.addProperty("cmd", cmd);
    if (page != null) {
      command.addProperty("page", page);
    }
    return command;
  }

  /** Sends {@code command} and returns its reply's value; a failed command throws AssertionError. */
  private synchronized JsonElement call(JsonObject command) {
    long id = nextId++;
    command.addProperty("id", id);
    try {
      driver.send(command);
      while (true) {
        JsonObject e = driver.next();
        String event = e.has("event") ? e.get("event").getAsString() : "";
        if (event.equals("reply") && e.get("id").getAsLong() == id) {
          if (e.get("ok").getAsBoolean()) {
            return e.has("value") ? e.get("value") : JsonNull.INSTANCE;
          }
          throw new AssertionError(command.get("cmd").getAsString() + " failed: " + e.get("error").getAsString()
              + "\nthe browser driver's output:\n" + driver.output());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot send " + command + " to the browser driver; its output:\n"
          + driver.output(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for " + command, e);
    }
  }

  private static long millis(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX_TIMEOUT) > 0) {
      throw new IllegalArgumentException("timeout is " + timeout + "; it must be above 0 and at most "
          + MAX_TIMEOUT);
    }
    return timeout.toMillis();
  }

  private static Path locate() {
    // Surefire runs with the module as working directory; an IDE may use the repository root.
    for (Path p : List.of(Path.of("src/test/e2e"), Path.of("examples/src/test/e2e"))) {
      if (Files.isRegularFile(p.resolve("package.json"))) {
        return p.toAbsolutePath().normalize();
      }
    }
    return Path.of("src/test/e2e").toAbsolutePath();
  }

  /**
   * One page of the browser, by name. Selectors are Playwright's (CSS, and its extensions); functions are
   * JavaScript source of one argument, run in the page with {@code arg} turned into JSON by Gson.
   *
   * <p>Thread-safe, like its browser.
   */
  public final class Page {

    private final String name;

    private Page(String name) {
      this.name = name;
    }

    /** The name it was opened with. */
    public String name() {
      return name;
    }

    /** Waits until an element matches {@code selector} and is visible. */
    public void waitForSelector(String selector) {
      waitForSelector(selector, "visible", DEFAULT_TIMEOUT);
    }

    /**
     * Waits until {@code selector} matches an element in {@code state}: {@code visible}, {@code hidden}
     * (or no such element), {@code attached} or {@code detached}.
     */
    public void waitForSelector(String selector, String state, Duration timeout) {
      JsonObject command = command("waitForSelector", name);
      command.addProperty("selector", Objects.requireNonNull(selector, "selector"));
      command.addProperty("state", Objects.requireNonNull(state, "state"));
      command.addProperty("timeoutMs", millis(timeout));
      call(command);
    }

    /**
     * Waits until {@code fn(arg)}, run in the page (again at every animation frame), returns something
     * truthy, and returns that.
     */
    public JsonElement waitFor(String fn, Object arg) {
      return waitFor(fn, arg, DEFAULT_TIMEOUT, null);
    }

    /** {@link #waitFor(String, Object)} with a timeout, and {@code what} for the failure message (or null). */
    public JsonElement waitFor(String fn, Object arg, Duration timeout, String what) {
      JsonObject command = command("waitFor", name);
      command.addProperty("fn", Objects.requireNonNull(fn, "fn"));
      command.add("arg", GSON.toJsonTree(arg));
      command.addProperty("timeoutMs", millis(timeout));
      if (what != null) {
        command.addProperty("what", what);
      }
      return call(command);
    }

    /** Runs {@code fn(arg)} in the page once and returns its result (awaited if it is a promise). */
    public JsonElement evaluate(String fn, Object arg) {
      JsonObject command = command("evaluate", name);
      command.addProperty("fn", Objects.requireNonNull(fn, "fn"));
      command.add("arg", GSON.toJsonTree(arg));
      return call(command);
    }

    /** The text content of every element that matches {@code selector}, in document order. */
    public List<String> texts(String selector) {
      JsonObject command = command("texts", name);
      command.addProperty("selector", Objects.requireNonNull(selector, "selector"));
      return strings(call(command));
    }

    /** Clicks the element that matches {@code selector}, once it is visible and enabled. */
    public void click(String selector) {
      JsonObject command = command("click", name);
      command.addProperty("selector", Objects.requireNonNull(selector, "selector"));
      call(command);
    }

    /** Types {@code value} into the input that matches {@code selector}, replacing what it held. */
    public void fill(String selector, String value) {
      JsonObject command = command("fill", name);
      command.addProperty("selector", Objects.requireNonNull(selector, "selector"));
      command.addProperty("value", Objects.requireNonNull(value, "value"));
      call(command);
    }

    /** Presses {@code key} ({@code Enter}, {@code Escape}, {@code a}...) in the element that matches. */
    public void press(String selector, String key) {
      JsonObject command = command("press", name);
      command.addProperty("selector", Objects.requireNonNull(selector, "selector"));
      command.addProperty("key", Objects.requireNonNull(key, "key"));
      call(command);
    }

    /**
     * Takes the page off the network ({@code true}), as a dropped network would, or back on: the page's
     * {@code navigator.onLine} follows (with its {@code offline} and {@code online} events), and new
     * connections fail while it is off. Connections already open may stay open: a test that needs them gone
     * cuts them from the server side.
     */
    public void setOffline(boolean offline) {
      JsonObject command = command("offline", name);
      command.addProperty("offline", offline);
      call(command);
    }

    /**
     * Saves what the page shows to {@code target/screenshots/<fileName>.png} and returns the file.
     *
     * @param fileName 1 to 100 of {@code A-Z a-z 0-9 _ . -}; by convention the test class, a dash and the
     *     moment, such as {@code LogTailBrowserIT-live}
     */
    public Path screenshot(String fileName) {
      JsonObject command = command("screenshot", name);
      command.addProperty("name", Objects.requireNonNull(fileName, "fileName"));
      return Path.of(call(command).getAsString());
    }

    /** The uncaught JavaScript errors of the page since it was opened, each with its stack. */
    public List<String> errors() {
      return strings(call(command("errors", name)));
    }

    /** Closes the page and its browser context. */
    public void close() {
      call(command("close", name));
    }

    private List<String> strings(JsonElement value) {
      JsonArray array = value.getAsJsonArray();
      List<String> list = new ArrayList<>(array.size());
      array.forEach(e -> list.add(e.getAsString()));
      return List.copyOf(list);
    }

    @Override
    public String toString() {
      return "Page[" + name + "]";
    }
  }
}
