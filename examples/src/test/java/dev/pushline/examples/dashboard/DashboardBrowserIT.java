package dev.pushline.examples.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import dev.pushline.Channel;
import dev.pushline.ClientConnection;
import dev.pushline.CloseCodes;
import dev.pushline.Publication;
import dev.pushline.examples.e2e.Browser;
import dev.pushline.examples.logtail.DemoOptions;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dashboard page in headless Chromium against the whole demo on real sockets (both ports 0), publishing
 * on its own schedule, up to {@value DashboardDemo#MAX_UPDATES_PER_SECOND} quotes a second: quotes arrive
 * and every ticker shows a price that changes; when the server cuts the page's connection, the page
 * reconnects, resumes every channel and quotes flow again; once publishing stops, the page shows exactly
 * each ticker's latest quote, as the server's history holds it.
 *
 * <p>The page is read through the DOM only, by data attributes (its DOM contract, also listed at the top of
 * its {@code app.js}): {@value #STATUS} with {@code data-state}; {@value #TICKER} with {@code data-symbol},
 * {@code data-price} and {@code data-offset}; {@value #UPDATES} with {@code data-updates};
 * {@value #RECONNECTS} with {@code data-reconnects}; {@value #RESUME_NOTE} with {@code data-resumed};
 * {@code [data-part="metric"][data-metric="connections"]} with {@code data-value}. Every wait is bounded,
 * nothing sleeps.
 *
 * <p>Screenshots: {@code target/screenshots/DashboardBrowserIT-live.png} and
 * {@code DashboardBrowserIT-reconnected.png}.
 */
class DashboardBrowserIT {

  static final String STATUS = "[data-part=\"status\"]";
  static final String TICKER = "[data-part=\"ticker\"]";
  static final String UPDATES = "[data-part=\"updates\"]";
  static final String RECONNECTS = "[data-part=\"reconnects\"]";
  static final String RESUME_NOTE = "[data-part=\"resume-note\"]";

  private static final String CONNECTED = STATUS + "[data-state=\"connected\"]";

  /** True once there are {@code n} ticker rows and each shows a price. */
  private static final String EVERY_TICKER_PRICED = "(n) => { const rows = document.querySelectorAll('"
      + TICKER + "'); return rows.length === n && [...rows].every((r) => r.dataset.price); }";

  /** Each ticker's price shown now, by symbol. */
  private static final String PRICES = "() => Object.fromEntries([...document.querySelectorAll('" + TICKER
      + "')].map((r) => [r.dataset.symbol, r.dataset.price]))";

  /** True once at least {@code n} tickers show another price than in {@code before}. */
  private static final String PRICES_MOVED = "({ before, n }) => [...document.querySelectorAll('" + TICKER
      + "')].filter((r) => r.dataset.price !== before[r.dataset.symbol]).length >= n";

  /** True once the page counted at least {@code n} quotes. */
  private static final String UPDATES_AT_LEAST = "(n) => Number(document.querySelector('" + UPDATES
      + "').dataset.updates) >= n";

  /** True once every ticker shows the offset and price of {@code latest[symbol]}. */
  private static final String SHOWS_LATEST = "(latest) => Object.entries(latest).every(([symbol, q]) => {"
      + " const r = document.querySelector(`" + TICKER + "[data-symbol=\"${symbol}\"]`);"
      + " return r && Number(r.dataset.offset) === q.offset && Number(r.dataset.price) === q.price; })";

  private static Browser browser;

  private DashboardDemo demo;
  private Browser.Page page;

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
  void pageShowsLivePricesReconnectsAfterTheServerCutsItAndEndsOnTheLatestQuotes() throws Exception {
    demo = DashboardDemo.start(DemoOptions.parseWithoutFile("--port", "0", "--http-port", "0"));
    page = browser.open("dashboard", demo.pageUri());
    page.waitForSelector(CONNECTED);
    page.waitFor(EVERY_TICKER_PRICED, DashboardDemo.TICKERS, Duration.ofSeconds(10), "a price on every ticker");
    JsonElement before = page.evaluate(PRICES, null);
    page.waitFor(UPDATES_AT_LEAST, updates() + 300, Duration.ofSeconds(10), "300 more quotes");
    page.waitFor(PRICES_MOVED, Map.of("before", before, "n", DashboardDemo.TICKERS / 2), Duration.ofSeconds(10),
        "half the tickers to show a new price");
    page.waitForSelector("[data-part=\"metric\"][data-metric=\"connections\"][data-value=\"1\"]");
    page.screenshot("DashboardBrowserIT-live");

    List<ClientConnection> connections = demo.pushServer().connections();
    assertEquals(1, connections.size(), "the page's connection: " + connections);
    ClientConnection cut = connections.get(0);
    cut.close(CloseCodes.RECONNECT, "e2e test: cut by the server");
    awaitTrue(() -> !cut.isOpen(), "the server to see the page's connection closed");
    page.waitFor("(n) => Number(document.querySelector('" + RECONNECTS + "').dataset.reconnects) >= n", 1,
        Duration.ofSeconds(10), "the page to count a reconnect");
    page.waitForSelector(CONNECTED);
    awaitTrue(() -> demo.pushServer().connections().stream().anyMatch(c -> !c.id().equals(cut.id())),
        "the page's new connection");
    page.waitFor(UPDATES_AT_LEAST, updates() + 300, Duration.ofSeconds(10), "300 quotes after the reconnect");
    page.waitFor("(n) => Number(document.querySelector('" + RESUME_NOTE + "').dataset.resumed) === n",
        DashboardDemo.TICKERS + 1, Duration.ofSeconds(10), "every ticker's channel and the metrics' resumed");
    page.screenshot("DashboardBrowserIT-reconnected");

    demo.stopPublishing();
    Map<String, Map<String, Object>> latest = new LinkedHashMap<>();
    for (String symbol : MarketFeed.SYMBOLS) {
      Channel channel = demo.tickerChannelOf(symbol);
      Publication last = channel.history().get(0);
      latest.put(symbol, Map.of("offset", last.offset(),
          "price", last.data().getAsJsonObject().get("price").getAsDouble()));
    }
    page.waitFor(SHOWS_LATEST, latest, Duration.ofSeconds(10), "every ticker's latest quote: " + latest);
    assertEquals(List.of(), page.errors(), "uncaught errors in the page");
  }

  private long updates() {
    return page.evaluate("(s) => Number(document.querySelector(s).dataset.updates)", UPDATES).getAsLong();
  }

  private static void awaitTrue(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("waited 10 s for " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
  }
}
