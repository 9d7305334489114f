package dev.pushline.examples.logtail;

import dev.pushline.broker.redis.TestRedis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pushline.Publication;
import dev.pushline.client.PushClient;
import dev.pushline.client.PushClient.Recovery;
import dev.pushline.client.PushClient.StreamPosition;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ClusterDemo} on real sockets and a real Redis ({@link TestRedis}): two nodes, clients of each
 * ({@link PushClient}, and a WebSocket speaking protocol v1 as the page does), node A stopped and started.
 * Lines are moved with {@link ClusterDemo#pumpNow()} and awaited with bounded polls; nothing sleeps.
 *
 * <p>Each test has a Redis of its own when {@code redis-server} is on the PATH, else they share one (see
 * {@link TestRedis}), and so channel {@code logs}' stream: offsets are asserted relative to what each test
 * saw first.
 */
class ClusterDemoIT {

  private static final Duration WAIT = WebSocketRecorder.WAIT;

  private TestRedis redis;
  @TempDir
  Path dir;

  private Path log;
  private HttpClient http;
  private ClusterDemo demo;
  private final List<PushClient> pushClients = new ArrayList<>();
  private final List<WebSocketRecorder> pages = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    redis = TestRedis.start(); // per test, so that a skip is reported for each test, with its reason
    log = dir.resolve("app.log");
    Files.writeString(log, "");
    http = HttpClient.newBuilder().connectTimeout(WAIT).build();
    demo = ClusterDemo.start(ClusterDemo.Options.parse(
        new String[] {"--port", "0", "--http-port", "0", "--redis", redis.uri(), log.toString()}, Map.of()),
        LogTailDemo.openSource(log));
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    pushClients.forEach(PushClient::close);
    pages.forEach(WebSocketRecorder::close);
    if (demo != null) {
      demo.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  @Test
  void clientsOfBothNodesGetTheSamePublicationsWithTheSameOffsets() throws Exception {
    Recorder onA = subscribe(demo.webSocketUri("A"));
    Recorder onB = subscribe(demo.webSocketUri("B"));
    StreamPosition a = onA.subscribed(Recovery.FRESH);
    StreamPosition b = onB.subscribed(Recovery.FRESH);
    assertEquals(a, b, "both nodes read the same stream position from Redis");

    append("one\ntwo\nthree\n");
    assertEquals(3, demo.pumpNow());

    for (int i = 1; i <= 3; i++) {
      Publication fromA = onA.publication();
      Publication fromB = onB.publication();
      assertEquals(a.offset() + i, fromA.offset());
      assertEquals(fromA.offset(), fromB.offset());
      assertEquals(fromA.data(), fromB.data());
    }
    assertEquals("three", onB.lastText);
  }

  @Test
  void aPageOnNodeAResumesOnNodeBAfterNodeAStops() throws Exception {
    WebSocketRecorder page = page(demo.webSocketUri("A"));
    JsonObject subscribed = page.subscribe(1, "logs");
    append("seen\n");
    demo.pumpNow();
    long seen = page.expect("publication").get("offset").getAsLong();

    demo.stopNode("A");
    assertEquals(1001, page.awaitCloseCode(), "node A closes its clients with 1001: go elsewhere");
    assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", demo.webSocketUri("A").getPort()).close());
    append("missed 1\nmissed 2\n");
    assertEquals(2, demo.pumpNow(), "the log goes on through node B");

    // What the page does next: the same subscribe, with since, on the other node.
    WebSocketRecorder onB = page(demo.webSocketUri("B"));
    onB.expect("welcome");
    onB.send("{\"type\":\"subscribe\",\"id\":2,\"channel\":\"logs\",\"since\":{\"offset\":" + seen
        + ",\"epoch\":\"" + subscribed.get("epoch").getAsString() + "\"}}");
    JsonObject resumed = onB.expect("subscribed");
    assertTrue(resumed.get("recovered").getAsBoolean(), resumed.toString());
    assertEquals(subscribed.get("epoch").getAsString(), resumed.get("epoch").getAsString());
    assertEquals(seen + 2, resumed.get("offset").getAsLong());
    assertLine(onB.expect("publication"), seen + 1, "missed 1");
    assertLine(onB.expect("publication"), seen + 2, "missed 2");
  }

  @Test
  void aPushClientOfNodeAResumesWithoutAGapWhenNodeAIsBack() throws Exception {
    Recorder client = subscribe(demo.webSocketUri("A"));
    client.subscribed(Recovery.FRESH);
    append("before\n");
    demo.pumpNow();
    long seen = client.publication().offset();

    demo.stopNode("A");
    append("while node A was down\n");
    demo.pumpNow();
    demo.startNode("A");

    StreamPosition resumed = client.subscribed(Recovery.RECOVERED);
    assertEquals(seen + 1, resumed.offset());
    Publication missed = client.publication();
    assertEquals(seen + 1, missed.offset());
    assertEquals("while node A was down", client.lastText);

    append("after\n");
    demo.pumpNow();
    assertEquals(seen + 2, client.publication().offset());
    assertEquals("after", client.lastText);
  }

  @Test
  void thePageStopsAndStartsNodesOnlyForItsOwnOriginAndKeepsOneRunning() throws Exception {
    URI page = demo.pageUri();
    String self = "http://127.0.0.1:" + page.getPort();
    assertEquals(200, get(page).statusCode());
    assertTrue(get(page).body().contains("cluster.js"));
    JsonObject config = JsonParser.parseString(get(page.resolve("/config.json")).body()).getAsJsonObject();
    JsonArray nodes = config.getAsJsonArray("nodes");
    assertEquals(demo.webSocketUri("A").getPort(), nodes.get(0).getAsJsonObject().get("webSocketPort").getAsInt());
    assertEquals(demo.webSocketUri("B").getPort(), nodes.get(1).getAsJsonObject().get("webSocketPort").getAsInt());

    assertEquals(403, post(page.resolve("/nodes/A/stop"), null).statusCode());
    assertEquals(403, post(page.resolve("/nodes/A/stop"), "https://evil.example").statusCode());
    assertTrue(demo.node("A").running());
    assertEquals(405, get(page.resolve("/nodes/A/stop")).statusCode());

    HttpResponse<String> stopped = post(page.resolve("/nodes/A/stop"), self);
    assertEquals(200, stopped.statusCode(), stopped.body());
    JsonObject a = JsonParser.parseString(stopped.body()).getAsJsonArray().get(0).getAsJsonObject();
    assertEquals(false, a.get("running").getAsBoolean());
    JsonObject b = JsonParser.parseString(stopped.body()).getAsJsonArray().get(1).getAsJsonObject();
    assertEquals(true, b.get("publishing").getAsBoolean());

    HttpResponse<String> lastOne = post(page.resolve("/nodes/B/stop"), self);
    assertEquals(409, lastOne.statusCode());
    assertTrue(lastOne.body().contains("the only one running"), lastOne.body());
    assertInstanceOf(IllegalStateException.class, assertThrows(IllegalStateException.class,
        () -> demo.stopNode("B")));

    assertEquals(200, post(page.resolve("/nodes/A/start"), self).statusCode());
    assertTrue(demo.node("A").running());
  }

  private Recorder subscribe(URI uri) throws Exception {
    Recorder recorder = new Recorder();
    PushClient client = PushClient.builder()
        .uri(uri)
        .reconnectDelay(Duration.ofMillis(50), Duration.ofMillis(250))
        .build();
    pushClients.add(client);
    client.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    client.subscribe("logs", recorder).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    return recorder;
  }

  private WebSocketRecorder page(URI uri) throws Exception {
    WebSocketRecorder page = WebSocketRecorder.connect(http, uri, null);
    pages.add(page);
    return page;
  }

  private HttpResponse<String> get(URI uri) throws Exception {
    return http.send(HttpRequest.newBuilder(uri).timeout(WAIT).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(URI uri, String origin) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(WAIT).POST(HttpRequest.BodyPublishers.noBody());
    if (origin != null) {
      request.header("Origin", origin);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private void append(String text) throws IOException {
    Files.writeString(log, text, StandardOpenOption.APPEND);
  }

  private static void assertLine(JsonObject publication, long offset, String text) {
    assertEquals(offset, publication.get("offset").getAsLong(), publication.toString());
    assertEquals(text, publication.getAsJsonObject("data").get("text").getAsString());
  }

  /** A subscription handler that records what it is told, for the test to take in order. */
  private static final class Recorder implements PushClient.SubscriptionHandler {
    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    volatile String lastText;

    @Override
    public void onSubscribed(String channel, StreamPosition position, Recovery recovery) {
      events.add(new Subscribed(position, recovery));
    }

    @Override
    public void onPublication(Publication publication) {
      events.add(publication);
    }

    StreamPosition subscribed(Recovery expected) throws InterruptedException {
      Subscribed s = assertInstanceOf(Subscribed.class, next());
      assertEquals(expected, s.recovery());
      return s.position();
    }

    Publication publication() throws InterruptedException {
      Publication p = assertInstanceOf(Publication.class, next());
      lastText = p.data().getAsJsonObject().get("text").getAsString();
      return p;
    }

    private Object next() throws InterruptedException {
      Object event = events.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      assertNotNull(event, "nothing within " + WAIT);
      return event;
    }
  }

  private record Subscribed(StreamPosition position, Recovery recovery) {}
}
