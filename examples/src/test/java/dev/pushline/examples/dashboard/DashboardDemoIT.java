package dev.pushline.examples.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pushline.Channel;
import dev.pushline.Publication;
import dev.pushline.ServerStats;
import dev.pushline.examples.logtail.DemoOptions;
import dev.pushline.examples.logtail.MutableClock;
import dev.pushline.testing.JdkClient;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The whole dashboard demo on real sockets (both ports 0): the page over HTTP, and WebSocket clients that
 * speak protocol v1 as the page does. Most tests start it without its schedule and publish with
 * {@link DashboardDemo#stepNow()} and {@link DashboardDemo#sampleNow()} under a clock they move; waits are
 * bounded, nothing sleeps.
 */
class DashboardDemoIT {

  private static final Pattern WEBSOCKET_LINE = Pattern.compile("(?m)^WebSocket: (ws://\\S+)$");
  private static final Pattern PAGE_LINE = Pattern.compile("(?m)^Page:      (http://\\S+)$");
  private static final Gson GSON = new Gson();

  private final MutableClock clock = new MutableClock(Instant.parse("2025-11-26T09:30:00Z"), ZoneOffset.UTC);
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final List<JdkClient> clients = new ArrayList<>();
  private DashboardDemo demo;

  @AfterEach
  void tearDown() {
    clients.forEach(JdkClient::close);
    if (demo != null) {
      demo.close();
    }
  }

  @Test
  void aSubscriberWithHistoryOneGetsTheTickersCurrentQuoteThenEveryNewOne() throws Exception {
    demo = DashboardDemo.start(freePorts(), new Random(11), clock);
    demo.publishAllNow();
    for (int i = 0; i < 20; i++) {
      step();
    }
    Channel acme = demo.tickerChannelOf("ACME");
    Publication current = last(acme.history());
    JdkClient client = connect();

    client.send("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"ticker:ACME\",\"history\":1}");
    JsonObject subscribed = nextOfType(client, "subscribed");
    JsonObject replayed = client.nextJson();

    assertEquals(acme.offset(), subscribed.get("offset").getAsLong());
    assertEquals("publication", replayed.get("type").getAsString());
    assertEquals("quote", replayed.get("event").getAsString());
    assertEquals(current.offset(), replayed.get("offset").getAsLong());
    assertEquals(quote(current.data().getAsJsonObject()), quote(replayed.getAsJsonObject("data")));

    Quote moved = null;
    for (int i = 0; i < 200 && moved == null; i++) {
      moved = step().stream().filter(q -> q.symbol().equals("ACME")).findFirst().orElse(null);
    }
    assertTrue(moved != null, "ACME did not move in 200 steps");
    JsonObject live = client.nextJson();
    assertEquals(current.offset() + 1, live.get("offset").getAsLong());
    assertEquals(moved, quote(live.getAsJsonObject("data")), "the whole state, as the feed made it");
  }

  @Test
  void publishesTheServersMetricsWithRatesOverTheClocksTime() throws Exception {
    demo = DashboardDemo.start(freePorts(), new Random(12), clock);
    demo.sampleNow(); // the counters to count from
    JdkClient client = connect();
    client.subscribe(DashboardDemo.METRICS_CHANNEL);
    demo.publishAllNow();
    for (int i = 0; i < 10; i++) {
      step();
    }
    clock.advance(Duration.ofMillis(800));

    demo.sampleNow();

    JsonObject publication = client.nextJson();
    assertEquals(DashboardDemo.METRICS_CHANNEL, publication.get("channel").getAsString());
    assertEquals("metrics", publication.get("event").getAsString());
    JsonObject data = publication.getAsJsonObject("data");
    assertEquals(1, data.get("connections").getAsInt());
    assertEquals(1, data.get("subscriptions").getAsInt());
    // 80 quotes in the 1 s the clock moved (10 steps of 20 ms, then 800 ms); none went to this client.
    assertEquals(80.0, data.get("publicationsPerSecond").getAsDouble());
    assertEquals(0.0, data.get("deliveriesPerSecond").getAsDouble());
    JsonArray recent = data.getAsJsonArray("recent");
    assertEquals(1, recent.size());
    assertEquals(clock.millis(), recent.get(0).getAsJsonObject().get("time").getAsLong());
  }

  @Test
  void onItsOwnItPublishesAtMostItsRateAndCloseStopsIt() throws Exception {
    long started = System.nanoTime();
    demo = DashboardDemo.start(freePorts());
    JdkClient client = connect();
    client.subscribe("ticker:ACME");

    awaitTrue(() -> demo.pushServer().stats().publications() >= 200, "200 publications");
    ServerStats stats = demo.pushServer().stats();
    long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + 1;

    // The opening quotes, at most one step per 20 ms begun, at most one metrics sample per second begun.
    long bound = DashboardDemo.TICKERS
        + DashboardDemo.UPDATES_PER_STEP * (elapsedMillis / DashboardDemo.STEP_INTERVAL.toMillis() + 1)
        + (elapsedMillis / DashboardDemo.METRICS_INTERVAL.toMillis() + 1);
    assertTrue(stats.publications() <= bound, stats.publications() + " publications in " + elapsedMillis
        + " ms; at most " + bound);
    int port = demo.webSocketUri().getPort();
    int pagePort = demo.pageUri().getPort();

    demo.close();

    assertEquals(1001, client.closed().get(10, TimeUnit.SECONDS));
    assertEquals(List.of(), Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith("dashboard-"))
        .map(Thread::getName)
        .toList(), "threads of the demo still running");
    assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close());
    assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", pagePort).close());
  }

  @Test
  void printsItsUrlsAndServesThePageItsConfigAndTheBrowserClient() throws Exception {
    demo = DashboardDemo.start(freePorts(), new Random(13), clock);
    ByteArrayOutputStream banner = new ByteArrayOutputStream();
    demo.printBanner(new PrintStream(banner, true, StandardCharsets.UTF_8));
    String text = banner.toString(StandardCharsets.UTF_8);
    Matcher ws = WEBSOCKET_LINE.matcher(text);
    Matcher pageLine = PAGE_LINE.matcher(text);
    assertTrue(ws.find() && pageLine.find(), "banner:\n" + text);
    assertEquals(demo.webSocketUri(), URI.create(ws.group(1)));
    URI page = URI.create(pageLine.group(1));
    assertEquals(demo.pageUri(), page);

    HttpResponse<String> index = get(page);
    assertEquals(200, index.statusCode());
    assertTrue(index.body().contains("<script type=\"module\" src=\"app.js\"></script>"), index.body());
    assertTrue(get(page.resolve("/app.js")).body().contains("from './pushline.js'"));
    assertEquals(200, get(page.resolve("/style.css")).statusCode());
    HttpResponse<String> script = get(page.resolve("/pushline.js"));
    assertEquals("text/javascript; charset=utf-8", script.headers().firstValue("content-type").orElseThrow());
    try (InputStream in = getClass().getResourceAsStream("/dev/pushline/js/pushline.js")) {
      assertEquals(new String(in.readAllBytes(), StandardCharsets.UTF_8), script.body(), "pushline-core's client");
    }

    JsonObject config = JsonParser.parseString(get(page.resolve("/config.json")).body()).getAsJsonObject();
    assertEquals(demo.webSocketUri().getPort(), config.get("webSocketPort").getAsInt());
    assertEquals("/pushline", config.get("webSocketPath").getAsString());
    assertEquals("ticker", config.get("tickerNamespace").getAsString());
    assertEquals(MarketFeed.SYMBOLS, GSON.fromJson(config.get("symbols"), List.class));
    assertEquals("quote", config.get("quoteEvent").getAsString());
    assertEquals("metrics:server", config.get("metricsChannel").getAsString());
    assertEquals("metrics", config.get("metricsEvent").getAsString());
    assertEquals(404, get(page.resolve("/cluster.html")).statusCode());
  }

  @Test
  void refusesWebSocketsOpenedByPagesOfOtherSites() throws Exception {
    demo = DashboardDemo.start(freePorts(), new Random(14), clock);

    ExecutionException refused = assertThrows(ExecutionException.class, () -> http.newWebSocketBuilder()
        .header("Origin", "https://evil.example")
        .buildAsync(demo.webSocketUri(), new WebSocket.Listener() { })
        .get(10, TimeUnit.SECONDS));
    WebSocketHandshakeException e = assertInstanceOf(WebSocketHandshakeException.class, refused.getCause());
    assertEquals(403, e.getResponse().statusCode());
  }

  // --- helpers ---------------------------------------------------------------------------------------

  private static DemoOptions freePorts() throws Exception {
    return DemoOptions.parseWithoutFile("--port", "0", "--http-port", "0");
  }

  /** One step of the feed, 20 ms of the clock after the previous one. */
  private List<Quote> step() {
    clock.advance(DashboardDemo.STEP_INTERVAL);
    return demo.stepNow();
  }

  private JdkClient connect() {
    JdkClient client = JdkClient.connect(http, demo.webSocketUri());
    clients.add(client);
    return client;
  }

  private static JsonObject nextOfType(JdkClient client, String type) throws InterruptedException {
    JsonObject frame;
    do {
      frame = client.nextJson();
    } while (frame.get("type").getAsString().equals("welcome"));
    assertEquals(type, frame.get("type").getAsString(), frame.toString());
    return frame;
  }

  private static Quote quote(JsonObject data) {
    return GSON.fromJson(data, Quote.class);
  }

  private static Publication last(List<Publication> history) {
    assertTrue(!history.isEmpty(), "empty history");
    return history.get(history.size() - 1);
  }

  private HttpResponse<String> get(URI uri) throws Exception {
    return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("waited 10 s for " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }
}
