package dev.pushline.examples.logtail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import dev.pushline.ClientConnection;
import dev.pushline.CloseCodes;
import dev.pushline.Publication;
import dev.pushline.examples.e2e.Browser;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The log tail page in headless Chromium against the whole demo on real sockets (both ports 0): lines
 * arrive live, and when the network drops (the browser offline, its connection cut), the server cuts the
 * page's connection, the missed lines leave the server's history, or the server restarts, the page
 * reconnects and either shows every line exactly once or says plainly that it could not and reloaded the
 * latest lines.
 *
 * <p>The page is read through the DOM only by the ids, classes and data attributes that stay when it is
 * ported to another client library: {@value #STATUS} with {@code data-state}, {@value #LINES},
 * {@value #MARKERS} ({@code marker-event}, {@code marker-gap}) and {@value #NOTICE} with {@code hidden} and
 * {@code data-kind}. The wording relied on: the recovery marker holds the number of recovered lines and the
 * word "recovered"; the gap marker after evicted lines holds the number of lines published meanwhile and
 * no other digits; the notice then starts with "Reloaded". Lines are fed by the test (a
 * {@link TestSource}) and pumped with {@link LogTailDemo#pumpNow()}; every wait is bounded, nothing
 * sleeps.
 *
 * <p>Screenshots: {@code target/screenshots/LogTailBrowserIT-*.png}.
 */
class LogTailBrowserIT {

  static final String STATUS = "[data-part=\"status\"]";
  static final String LINES = "[data-part=\"log\"] .line";
  static final String MARKERS = "[data-part=\"log\"] .marker";
  static final String NOTICE = "[data-part=\"notice\"]";

  private static final String CONNECTED = STATUS + "[data-state=\"connected\"]";
  private static final String OFFLINE = STATUS + "[data-state=\"offline\"]";
  private static final String GAP_MARKER = "[data-part=\"log\"] .marker-gap";

  /** A row's text without the offset gutter the page may show in front of it. */
  private static final String ROW_TEXT = "const rowText = (row) => [...row.childNodes]"
      + ".filter((n) => !(n.classList && n.classList.contains('offset'))).map((n) => n.textContent).join('');";

  /** The texts of the rows its argument selects, in order (rows waiting for the next animation frame excluded). */
  private static final String ROW_TEXTS = "(selector) => { " + ROW_TEXT
      + " return [...document.querySelectorAll(selector)].map(rowText); }";

  /** True once the last row {@code selector} selects has the text {@code text}. */
  private static final String LAST_ROW_IS = "({ selector, text }) => { " + ROW_TEXT
      + " const rows = document.querySelectorAll(selector);"
      + " return rows.length > 0 && rowText(rows[rows.length - 1]) === text; }";

  /** The class and text of each element its argument selects. */
  private static final String CLASSES_AND_TEXTS = "(selector) => [...document.querySelectorAll(selector)]"
      + ".map((e) => ({ cls: e.className, text: e.textContent }))";

  private static final Pattern RECOVERED_COUNT = Pattern.compile("(\\d[\\d,.]*)\\D*recovered");

  /** How many of the latest lines the page asks for when it starts without continuity (app.js). */
  private static final int HISTORY_LINES = 200;

  private static final String[] LEVELS = {"INFO ", "INFO ", "DEBUG", "WARN ", "INFO ", "ERROR"};

  private static Browser browser;

  private LogTailDemo demo;
  private TestSource source;
  private Browser.Page page;
  private final List<String> published = new ArrayList<>();

  @BeforeAll
  static void launchBrowser() throws IOException {
    browser = Browser.launch();
  }

  @AfterAll
  static void closeBrowser() {
    if (browser != null) {
      browser.close();
    }
  }

  @AfterEach
  void tearDown() {
    try {
      if (page != null) {
        page.close();
      }
    } finally {
      if (demo != null) {
        demo.close();
      }
    }
  }

  @Test
  void pageRecoversEveryLineMissedDuringANetworkDropAndShowsEachOnce() throws Exception {
    startDemo(0);
    publish("before the page opened", 20); // reaches the page as history
    page = browser.open("logtail", demo.pageUri());
    page.waitForSelector(CONNECTED);
    awaitLastLine();
    publish("live", 10);
    awaitLastLine();
    page.screenshot("LogTailBrowserIT-live");

    // The network drops: the browser goes offline, and the connection ends (cut here by the server, as
    // the heartbeat would after a while). The page waits for the network rather than retry in vain.
    page.setOffline(true);
    ClientConnection pageConnection = onlyConnection();
    pageConnection.close(CloseCodes.RECONNECT, "e2e test: the network dropped");
    publish("while the close is on its way", 5);
    awaitTrue(() -> !pageConnection.isOpen(), Duration.ofSeconds(10), "the server to see the page's connection closed");
    page.waitForSelector(OFFLINE);
    page.screenshot("LogTailBrowserIT-offline");
    publish("while the network was down", 15);
    page.setOffline(false);
    page.waitForSelector(CONNECTED);
    awaitLastLine();
    publish("after the reconnect", 10);
    awaitLastLine();
    page.screenshot("LogTailBrowserIT-recovered");

    assertEquals(published, serverHistory(), "what the server published");
    assertEquals(published, pageLines(), "the page must show every line once, in order");
    List<JsonElement> markers = markers();
    assertTrue(markers.stream().noneMatch(m -> cls(m).contains("marker-gap")), "markers: " + markers);
    long recovered = recoveredCount(markers);
    assertTrue(recovered >= 15 && recovered <= 20,
        "the page recovered " + recovered + " lines: the 15 published while the network was down, and those of"
            + " the 5 published during the close that the old connection did not deliver; markers: " + markers);
    assertNoticeHidden();
    assertEquals(List.of(), page.errors(), "uncaught errors in the page");
  }

  @Test
  void pageReconnectsOnItsOwnAfterTheServerCutsItAndShowsEveryLineOnce() throws Exception {
    startDemo(0);
    publish("before the page opened", 5);
    page = browser.open("logtail", demo.pageUri());
    page.waitForSelector(CONNECTED);
    awaitLastLine();

    ClientConnection pageConnection = onlyConnection();
    pageConnection.close(CloseCodes.RECONNECT, "e2e test: cut by the server");
    publish("while the close is on its way", 5);
    awaitTrue(() -> !pageConnection.isOpen(), Duration.ofSeconds(10), "the server to see the page's connection closed");
    // The client reconnects after a random delay (full jitter, from 0 ms): these lines may reach the page
    // recovered or live; either way each exactly once.
    publish("around the reconnect", 15);
    awaitLastLine();
    page.waitForSelector(CONNECTED);
    publish("after the reconnect", 5);
    awaitLastLine();

    assertEquals(published, pageLines(), "the page must show every line once, in order");
    List<JsonElement> markers = markers();
    assertTrue(markers.stream().noneMatch(m -> cls(m).contains("marker-gap")), "markers: " + markers);
    assertTrue(markers.stream().anyMatch(m -> cls(m).contains("marker-event")), "markers: " + markers);
    assertNoticeHidden();
    assertEquals(List.of(), page.errors(), "uncaught errors in the page");
  }

  @Test
  void pageSaysSoWhenTheLinesItMissedLeftTheHistoryAndReloadsTheLatest() throws Exception {
    startDemo(0);
    publish("before the drop", 10);
    page = browser.open("logtail", demo.pageUri());
    page.waitForSelector(CONNECTED);
    awaitLastLine();

    page.setOffline(true);
    ClientConnection pageConnection = onlyConnection();
    pageConnection.close(CloseCodes.RECONNECT, "e2e test: the network dropped");
    awaitTrue(() -> !pageConnection.isOpen(), Duration.ofSeconds(10), "the server to see the page's connection closed");
    page.waitForSelector(OFFLINE);
    // More than the channel's history holds (1,000 by default): the first of them are gone for good.
    int missed = 1_100;
    publish("while the network was down", missed);
    page.setOffline(false);

    page.waitForSelector(NOTICE + "[data-kind=\"warn\"]");
    page.waitForSelector(GAP_MARKER);
    page.waitForSelector(CONNECTED);
    awaitLastLine();
    page.screenshot("LogTailBrowserIT-reloaded");

    List<String> expected = new ArrayList<>(published.subList(0, 10));
    expected.addAll(published.subList(published.size() - HISTORY_LINES, published.size()));
    assertEquals(expected, pageLines(), "the lines before the drop, then the page's history of the latest ones");
    assertEquals(String.valueOf(missed), page.texts(GAP_MARKER).get(0).replaceAll("\\D", ""),
        "the gap marker says how many lines were published meanwhile: " + page.texts(GAP_MARKER));
    assertTrue(page.texts(NOTICE + " [data-part=\"notice-text\"]").get(0).startsWith("Reloaded"),
        "the notice: " + page.texts(NOTICE));
    assertEquals(List.of(), page.errors(), "uncaught errors in the page");
  }

  @Test
  void pageSaysSoWhenTheServerRestartedAndCarriesOnWithTheNewLines() throws Exception {
    startDemo(0);
    publish("before the restart", 10);
    page = browser.open("logtail", demo.pageUri());
    page.waitForSelector(CONNECTED);
    awaitLastLine();

    // A restart on the same WebSocket port (the page keeps the port it was given): a new stream, a new
    // epoch, so the lines the page missed cannot be recovered.
    int port = demo.webSocketUri().getPort();
    demo.close();
    demo = null;
    startDemo(port);
    publish("after the restart", 5);

    page.waitForSelector(NOTICE + "[data-kind=\"warn\"]");
    page.waitForSelector(GAP_MARKER);
    page.waitForSelector(CONNECTED);
    awaitLastLine();
    page.screenshot("LogTailBrowserIT-restarted");

    assertEquals(published, pageLines(), "the old lines, then the new server's, each once");
    assertFalse(page.texts(NOTICE + " [data-part=\"notice-text\"]").get(0).isBlank(), "the notice says something");
    assertEquals(List.of(), page.errors(), "uncaught errors in the page");
  }

  // --- the demo ----------------------------------------------------------------------------------

  private void startDemo(int webSocketPort) throws Exception {
    source = new TestSource();
    demo = LogTailDemo.start(DemoOptions.parse(new String[] {"--port", String.valueOf(webSocketPort),
        "--http-port", "0"}), source);
  }

  /** Publishes {@code count} new lines, numbered on from the test's last, now, on this thread. */
  private void publish(String when, int count) {
    for (int i = 0; i < count; i++) {
      int n = published.size() + 1;
      String line = String.format("2025-11-26 10:%02d:%02d.%03d %s [pump] app.Orders - line %d, %s",
          n / 60 % 60, n % 60, n * 7 % 1000, LEVELS[n % LEVELS.length], n, when);
      published.add(line);
      source.add(line);
    }
    // The demo's scheduler may have taken some of them already: either way they are published in order.
    demo.pumpNow();
  }

  private List<String> serverHistory() {
    return demo.channel().history().stream()
        .map(Publication::data)
        .map(data -> data.getAsJsonObject().get("text").getAsString())
        .toList();
  }

  // --- the page ----------------------------------------------------------------------------------

  private void awaitLastLine() {
    String last = published.get(published.size() - 1);
    page.waitFor(LAST_ROW_IS, Map.of("selector", LINES, "text", last), Duration.ofSeconds(10),
        "the last line published: \"" + last + "\"");
  }

  private List<String> pageLines() {
    List<String> lines = new ArrayList<>();
    page.evaluate(ROW_TEXTS, LINES).getAsJsonArray().forEach(e -> lines.add(e.getAsString()));
    return lines;
  }

  /** The number of lines the recovery marker says were recovered. */
  private static long recoveredCount(List<JsonElement> markers) {
    return markers.stream()
        .filter(m -> cls(m).contains("marker-event"))
        .map(m -> RECOVERED_COUNT.matcher(text(m)))
        .filter(Matcher::find)
        .mapToLong(m -> Long.parseLong(m.group(1).replaceAll("\\D", "")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no recovery marker; markers: " + markers));
  }

  private ClientConnection onlyConnection() {
    List<ClientConnection> connections = demo.pushServer().connections();
    assertEquals(1, connections.size(), "the page's connection: " + connections);
    return connections.get(0);
  }

  private List<JsonElement> markers() {
    List<JsonElement> markers = new ArrayList<>();
    page.evaluate(CLASSES_AND_TEXTS, MARKERS).getAsJsonArray().forEach(markers::add);
    return markers;
  }

  private void assertNoticeHidden() {
    assertTrue(page.evaluate("(selector) => document.querySelector(selector).hidden", NOTICE).getAsBoolean(),
        "the notice is shown: " + page.texts(NOTICE));
  }

  private static String cls(JsonElement marker) {
    return marker.getAsJsonObject().get("cls").getAsString();
  }

  private static String text(JsonElement marker) {
    return marker.getAsJsonObject().get("text").getAsString();
  }

  private static void awaitTrue(BooleanSupplier condition, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("waited " + timeout.toMillis() + " ms for " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
  }

  /** Lines the test adds, handed to the demo's pump at its next poll. Thread-safe. */
  private static final class TestSource implements LineSource {

    private final Queue<String> lines = new ArrayDeque<>(); // guarded by this

    synchronized void add(String line) {
      lines.add(line);
    }

    @Override
    public synchronized List<String> poll() {
      List<String> out = new ArrayList<>(lines);
      lines.clear();
      return out;
    }

    @Override
    public String description() {
      return "the test's lines";
    }

    @Override
    public void close() {
      // nothing to release
    }
  }
}
