package dev.pushline.examples.logtail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pushline.broker.redis.TestRedis;
import dev.pushline.examples.e2e.Browser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two-node page ({@link ClusterDemo}) in headless Chromium on a real Redis ({@link TestRedis}; skipped
 * without one): when node A stops, the pane on node A fails over to node B and resumes there with every
 * line once, and goes back to node A when asked.
 *
 * <p>Read through the log tail page's DOM contract (testing.md) within each pane ({@code [data-pane="A"]}),
 * plus the pane's {@code [data-part="home"]} button. Lines are appended to the followed file and pumped
 * with {@link ClusterDemo#pumpNow()}; every wait is bounded, nothing sleeps.
 *
 * <p>Screenshots: {@code target/screenshots/ClusterBrowserIT-*.png}.
 */
class ClusterBrowserIT {

  private static final String PANE_A = "[data-pane=\"A\"] ";
  private static final String PANE_B = "[data-pane=\"B\"] ";
  private static final String CONNECTED = "[data-part=\"status\"][data-state=\"connected\"]";
  private static final String LINES = "[data-part=\"log\"] .line";
  private static final String EVENTS = "[data-part=\"log\"] .marker-event";

  /** The texts of the rows its argument selects, without the offset gutter. */
  private static final String ROW_TEXTS = "(selector) => [...document.querySelectorAll(selector)].map((row) =>"
      + " [...row.childNodes].filter((n) => !(n.classList && n.classList.contains('offset')))"
      + ".map((n) => n.textContent).join(''))";

  private static Browser browser;

  @TempDir
  Path dir;

  private TestRedis redis;
  private Path log;
  private ClusterDemo demo;
  private Browser.Page page;
  private final List<String> appended = new ArrayList<>();

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

  @BeforeEach
  void setUp() throws Exception {
    redis = TestRedis.start();
    log = dir.resolve("app.log");
    Files.writeString(log, "");
    demo = ClusterDemo.start(ClusterDemo.Options.parse(
        new String[] {"--port", "0", "--http-port", "0", "--redis", redis.uri(), log.toString()}, Map.of()),
        LogTailDemo.openSource(log));
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    try {
      if (page != null) {
        page.close();
      }
    } finally {
      if (demo != null) {
        demo.close();
      }
      if (redis != null) {
        redis.close();
      }
    }
  }

  @Test
  void paneOnNodeAFailsOverToNodeBWithEveryLineOnceAndGoesBack() throws Exception {
    page = browser.open("cluster", demo.pageUri());
    page.waitForSelector(PANE_A + CONNECTED);
    page.waitForSelector(PANE_B + CONNECTED);
    append("both nodes up", 5);
    awaitLastLine(PANE_A);
    awaitLastLine(PANE_B);

    demo.stopNode("A");
    append("through node B", 5);
    page.waitFor("(s) => [...document.querySelectorAll(s)].some((m) => m.textContent.includes('node B')"
        + " && m.textContent.includes('recovered'))", PANE_A + EVENTS, Duration.ofSeconds(10),
        "pane A's marker that it resumed on node B");
    page.waitForSelector(PANE_A + CONNECTED);
    awaitLastLine(PANE_A);
    awaitLastLine(PANE_B);
    page.screenshot("ClusterBrowserIT-failed-over");
    assertEquals(appended, lines(PANE_A), "pane A, on node B now: every line once, in order");
    assertEquals(appended, lines(PANE_B), "pane B");

    demo.startNode("A");
    page.click(PANE_A + "[data-part=\"home\"]");
    page.waitFor("(s) => [...document.querySelectorAll(s)].some((m) => m.textContent.includes('node A')"
        + " && m.textContent.includes('recovered'))", PANE_A + EVENTS, Duration.ofSeconds(10),
        "pane A's marker that it resumed on node A");
    page.waitForSelector(PANE_A + "[data-part=\"home\"]", "hidden", Browser.DEFAULT_TIMEOUT);
    append("through node A again", 5);
    awaitLastLine(PANE_A);
    awaitLastLine(PANE_B);
    page.screenshot("ClusterBrowserIT-back");

    assertEquals(appended, lines(PANE_A), "pane A, back on node A: every line once, in order");
    assertEquals(appended, lines(PANE_B), "pane B");
    assertTrue(page.texts("[data-part=\"log\"] .marker-gap").isEmpty(), "no gap in either pane");
    assertEquals(List.of(), page.errors(), "uncaught errors in the page");
  }

  private void append(String when, int count) throws IOException {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < count; i++) {
      String line = "2025-11-26 10:00:00.000 INFO  [pump] app.Orders - line " + (appended.size() + 1) + ", " + when;
      appended.add(line);
      text.append(line).append('\n');
    }
    Files.writeString(log, text, StandardOpenOption.APPEND);
    // The demo's scheduler may have taken some of them already: either way they are published in order.
    demo.pumpNow();
  }

  private void awaitLastLine(String pane) {
    String last = appended.get(appended.size() - 1);
    page.waitFor("({ selector, text }) => { const rows = (" + ROW_TEXTS + ")(selector);"
        + " return rows.length > 0 && rows[rows.length - 1] === text; }",
        Map.of("selector", pane + LINES, "text", last), Duration.ofSeconds(10),
        pane + "showing the last line: \"" + last + "\"");
  }

  private List<String> lines(String pane) {
    List<String> lines = new ArrayList<>();
    page.evaluate(ROW_TEXTS, pane + LINES).getAsJsonArray().forEach(e -> lines.add(e.getAsString()));
    return lines;
  }
}
