package dev.pushline.internal.http.sse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonObject;
import dev.pushline.ChannelOptions;
import dev.pushline.ClientConnection;
import dev.pushline.CloseCodes;
import dev.pushline.ConnectionListener;
import dev.pushline.PushServer;
import dev.pushline.auth.ChannelAuthorizer;
import dev.pushline.auth.ConnectDecision;
import dev.pushline.auth.Principal;
import dev.pushline.broker.HistoryQuery;
import dev.pushline.broker.HistoryResult;
import dev.pushline.broker.MemoryBroker;
import dev.pushline.broker.StreamOptions;
import dev.pushline.broker.StreamPosition;
import dev.pushline.testing.ForwardingBroker;
import dev.pushline.testing.Threads;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Server-Sent Events at /sse on a real server, read with {@code java.net.http} (and a raw socket). */
class SseStreamTest {

  private PushServer server;
  private final List<SseTestClient> clients = new ArrayList<>();
  private Set<String> threadsBefore;

  @BeforeEach
  void rememberThreads() {
    threadsBefore = Threads.serverThreads();
  }

  @AfterEach
  void closeEverything() throws Exception {
    for (SseTestClient c : clients) {
      c.close();
    }
    if (server != null) {
      server.close();
    }
    assertEquals(Set.of(), Threads.startedSince(threadsBefore), "threads left running after close");
  }

  private void start(PushServer.Builder builder) {
    server = builder.host("127.0.0.1").port(0).httpPort(0).build().start();
  }

  private URI uri(String query) {
    return URI.create("http://127.0.0.1:" + server.httpPort() + "/sse?" + query);
  }

  private SseTestClient open(String query, String... headers) throws Exception {
    SseTestClient c = SseTestClient.open(uri(query), headers);
    clients.add(c);
    return c;
  }

  /** Opens a stream that must be accepted, and reads its retry and welcome. */
  private SseTestClient stream(String query, String... headers) throws Exception {
    SseTestClient c = open(query, headers);
    assertEquals(200, c.status());
    assertEquals(SseTestClient.RETRY, c.nextAny().type());
    c.next("welcome");
    return c;
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("not within 10 s: " + what);
      }
      Thread.sleep(10); // polling a condition, bounded; not synchronisation by sleeping
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Test
  void streamsPublicationsWithTheStreamPositionAsId() throws Exception {
    start(PushServer.builder());
    SseTestClient c = open("channel=logs");
    assertEquals(200, c.status());
    assertEquals("text/event-stream; charset=utf-8", c.headers().firstValue("content-type").orElseThrow());
    assertEquals("no-cache", c.headers().firstValue("cache-control").orElseThrow());
    assertEquals("no", c.headers().firstValue("x-accel-buffering").orElseThrow());
    assertTrue(c.headers().firstValue("access-control-allow-origin").isEmpty(), "no CORS without Origin");

    SseTestClient.Event retry = c.nextAny();
    assertEquals(SseTestClient.RETRY, retry.type());
    assertEquals("2000", retry.data());
    JsonObject welcome = c.next("welcome").json();
    assertEquals(server.connections().get(0).id(), welcome.get("client").getAsString());
    assertEquals(25_000, welcome.get("heartbeatMs").getAsLong());

    SseTestClient.Event subscribed = c.next("subscribed");
    JsonObject s = subscribed.json();
    assertEquals("logs", s.get("channel").getAsString());
    assertEquals(0, s.get("offset").getAsLong());
    assertFalse(s.has("recovered"));
    String epoch = s.get("epoch").getAsString();
    assertEquals("logs," + epoch + ",0", subscribed.id());

    server.channel("logs").publish("line", "GET / 200");
    server.channel("logs").publish("line", Map.of("multi", "line\nvalue"));
    SseTestClient.Event p1 = c.next("message");
    assertEquals("logs," + epoch + ",1", p1.id());
    JsonObject j1 = p1.json();
    assertEquals("publication", j1.get("type").getAsString());
    assertEquals("logs", j1.get("channel").getAsString());
    assertEquals(1, j1.get("offset").getAsLong());
    assertEquals("line", j1.get("event").getAsString());
    assertEquals("GET / 200", j1.get("data").getAsString());
    SseTestClient.Event p2 = c.next("message");
    assertEquals("logs," + epoch + ",2", p2.id());
    assertEquals("line\nvalue", p2.json().getAsJsonObject("data").get("multi").getAsString());
  }

  @Test
  void oneIdCarriesEveryChannelOfTheStream() throws Exception {
    start(PushServer.builder());
    server.channel("b").publish("x", 0);
    SseTestClient c = stream("channel=a&channel=b&channel=a");
    Map<String, String> epochs = new HashMap<>();
    for (int i = 0; i < 2; i++) { // the duplicate a is subscribed once
      JsonObject s = c.next("subscribed").json();
      epochs.put(s.get("channel").getAsString(), s.get("epoch").getAsString());
    }
    server.channel("a").publish("x", 1);
    SseTestClient.Event p = c.next("message");
    assertEquals(Map.of("a", new StreamPosition(1, epochs.get("a")), "b", new StreamPosition(1, epochs.get("b"))),
        EventId.parse(p.id()));
    server.channel("b").publish("x", 2);
    assertEquals(Map.of("a", new StreamPosition(1, epochs.get("a")), "b", new StreamPosition(2, epochs.get("b"))),
        EventId.parse(c.next("message").id()));
  }

  @Test
  void lastEventIdResumesWithExactlyTheMissedPublications() throws Exception {
    // Heartbeats every 100 ms: a write to a stream the client left is how the server notices.
    start(PushServer.builder().pingInterval(Duration.ofMillis(100)));
    SseTestClient first = stream("channel=logs&channel=other");
    first.next("subscribed");
    first.next("subscribed");
    for (int i = 1; i <= 3; i++) {
      server.channel("logs").publish("line", i);
    }
    String lastId = null;
    for (int i = 1; i <= 3; i++) {
      lastId = first.next("message").id();
    }
    first.close();
    await("the server noticed the stream's end", () -> server.connectionCount() == 0);

    for (int i = 4; i <= 7; i++) {
      server.channel("logs").publish("line", i);
    }
    server.channel("other").publish("o", 1);
    SseTestClient second = stream("channel=logs&channel=other", "Last-Event-ID", lastId);
    Map<String, JsonObject> replies = new HashMap<>();
    List<Long> logs = new ArrayList<>();
    List<Long> other = new ArrayList<>();
    while (logs.size() < 4 || other.size() < 1) {
      SseTestClient.Event e = second.next();
      assertTrue(e.type().equals("subscribed") || e.type().equals("message"), "unexpected " + e);
      JsonObject j = e.json();
      String channel = j.get("channel").getAsString();
      if (e.type().equals("subscribed")) {
        replies.put(channel, j);
      } else {
        assertNotNull(replies.get(channel), "a publication before its channel's subscribed: " + e);
        (channel.equals("logs") ? logs : other).add(j.get("offset").getAsLong());
      }
    }
    assertTrue(replies.get("logs").get("recovered").getAsBoolean());
    assertTrue(replies.get("other").get("recovered").getAsBoolean());
    assertEquals(List.of(4L, 5L, 6L, 7L), logs);
    assertEquals(List.of(1L), other);
    server.channel("logs").publish("line", 8);
    SseTestClient.Event eighth = second.next("message");
    assertEquals(8, eighth.json().get("offset").getAsLong());
    second.close();
    await("the server noticed the second stream's end", () -> server.connectionCount() == 0);

    // A polyfill that cannot set headers gives the id as a query parameter.
    server.channel("logs").publish("line", 9);
    SseTestClient third = stream("channel=logs&lastEventId=" + enc(eighth.id()));
    JsonObject reply = third.next("subscribed").json();
    assertTrue(reply.get("recovered").getAsBoolean());
    assertEquals(9, third.next("message").json().get("offset").getAsLong());
  }

  @Test
  void aResumeThatCannotBeRecoveredSaysSoWithReset() throws Exception {
    start(PushServer.builder().pingInterval(Duration.ofMillis(100))
        .channelOptions("small", ChannelOptions.DEFAULT.withHistory(2, Duration.ofMinutes(5))));
    SseTestClient first = stream("channel=small:x&history=2");
    first.next("subscribed");
    server.channel("small:x").publish("e", 1);
    String id = first.next("message").id();
    first.close();
    await("the server noticed the stream's end", () -> server.connectionCount() == 0);
    for (int i = 2; i <= 6; i++) { // history keeps 5 and 6 only
      server.channel("small:x").publish("e", i);
    }
    SseTestClient second = stream("channel=small:x&history=2", "Last-Event-ID", id);
    SseTestClient.Event subscribed = second.next("subscribed");
    assertFalse(subscribed.json().get("recovered").getAsBoolean());
    JsonObject reset = second.next("reset").json();
    assertEquals("small:x", reset.get("channel").getAsString());
    assertFalse(reset.get("recovered").getAsBoolean());
    assertEquals(6, reset.get("offset").getAsLong());
    String epoch = reset.get("epoch").getAsString();
    // history=2 applies after a failed resume: the last two, then live ones
    assertEquals(5, second.next("message").json().get("offset").getAsLong());
    assertEquals(6, second.next("message").json().get("offset").getAsLong());
    server.channel("small:x").publish("e", 7);
    SseTestClient.Event live = second.next("message");
    assertEquals(7, live.json().get("offset").getAsLong());
    assertEquals("small:x," + epoch + ",7", live.id());
  }

  @Test
  void historyReplaysTheLastPublicationsOfAFreshStream() throws Exception {
    start(PushServer.builder());
    for (int i = 1; i <= 5; i++) {
      server.channel("chart").publish("point", i);
    }
    SseTestClient c = stream("channel=chart&history=3");
    SseTestClient.Event subscribed = c.next("subscribed");
    String epoch = subscribed.json().get("epoch").getAsString();
    // Until the replay arrives, the id says "resume from 2": a stream cut now replays it again.
    assertEquals("chart," + epoch + ",2", subscribed.id());
    for (long offset = 3; offset <= 5; offset++) {
      SseTestClient.Event p = c.next("message");
      assertEquals(offset, p.json().get("offset").getAsLong());
      assertEquals("chart," + epoch + "," + offset, p.id());
    }
  }

  @Test
  void credentialsComeFromTheTokenParameterTheHeaderOrACookie() throws Exception {
    start(PushServer.builder().authenticator(request -> {
      if ("good".equals(request.token()) || "s1".equals(request.cookie("sid"))) {
        return ConnectDecision.accept(Principal.user("alice"));
      }
      return ConnectDecision.reject("bad token");
    }));
    SseTestClient refused = open("channel=a&token=wrong");
    assertEquals(401, refused.status());
    JsonObject error = refused.errorBody().getAsJsonObject("error");
    assertEquals("unauthorized", error.get("code").getAsString());
    assertEquals("bad token", error.get("message").getAsString());

    SseTestClient none = open("channel=a");
    assertEquals(401, none.status());
    assertEquals("unauthorized", none.errorBody().getAsJsonObject("error").get("code").getAsString());
    assertEquals(0, server.connectionCount());

    stream("channel=a&token=good").next("subscribed");
    stream("channel=a", "Authorization", "Bearer good").next("subscribed");
    stream("channel=a", "Cookie", "theme=dark; sid=s1").next("subscribed");
    assertEquals(3, server.connectionCount());
    for (ClientConnection c : server.connections()) {
      assertEquals("alice", c.principal().userId());
    }
  }

  @Test
  void aForbiddenChannelGetsAnErrorEventWhileTheOthersStream() throws Exception {
    start(PushServer.builder().channelAuthorizer(new ChannelAuthorizer() {
      @Override
      public boolean maySubscribe(Principal principal, String channel) {
        return !channel.equals("secret");
      }

      @Override
      public boolean mayPublish(Principal principal, String channel) {
        return false;
      }
    }));
    SseTestClient c = stream("channel=secret&channel=public");
    JsonObject error = c.next("error").json();
    assertEquals("forbidden", error.get("code").getAsString());
    assertEquals("secret", error.get("channel").getAsString());
    assertTrue(error.get("message").getAsString().contains("secret"));
    c.next("subscribed");
    server.channel("secret").publish("x", 1);
    server.channel("public").publish("x", 1);
    assertEquals("public", c.next("message").json().get("channel").getAsString());
  }

  @Test
  void badRequestsAreAnsweredWithAStatusAndNoStream() throws Exception {
    start(PushServer.builder().maxChannelNameLength(10));
    Map<String, String> cases = new java.util.LinkedHashMap<>();
    cases.put("channel=bad%20name", "invalid_channel");
    cases.put("channel=" + "x".repeat(11), "invalid_channel");
    cases.put("token=abc", "bad_request");
    cases.put("channel=a&history=lots", "bad_request");
    cases.put("channel=a&history=-1", "bad_request");
    cases.put("channel=a&lastEventId=" + enc("a,e1"), "bad_request");
    cases.put("channel=a&lastEventId=" + enc("a,e1,-3"), "bad_request");
    cases.put("channel=a&lastEventId=" + enc("bad name,e1,3"), "bad_request");
    for (Map.Entry<String, String> e : cases.entrySet()) {
      SseTestClient c = open(e.getKey());
      assertEquals(400, c.status(), e.getKey());
      assertEquals(e.getValue(), c.errorBody().getAsJsonObject("error").get("code").getAsString(), e.getKey());
    }
    StringBuilder many = new StringBuilder();
    for (int i = 0; i <= SseRequest.MAX_CHANNELS; i++) {
      many.append("&channel=c").append(i);
    }
    assertEquals(400, open(many.substring(1)).status());
    SseTestClient badId = open("channel=a", "Last-Event-ID", "not an id");
    assertEquals(400, badId.status());

    java.net.http.HttpResponse<String> post = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(uri("channel=a"))
            .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(405, post.statusCode());
    assertEquals("GET", post.headers().firstValue("allow").orElseThrow());
    assertEquals(0, server.connectionCount());
  }

  @Test
  void originsAreCheckedAndAnAllowedOneGetsCorsHeaders() throws Exception {
    start(PushServer.builder().allowedOrigins("https://app.example"));
    SseTestClient evil = open("channel=a", "Origin", "https://evil.example");
    assertEquals(403, evil.status());
    assertEquals("forbidden", evil.errorBody().getAsJsonObject("error").get("code").getAsString());

    SseTestClient ok = stream("channel=a", "Origin", "https://app.example");
    assertEquals("https://app.example", ok.headers().firstValue("access-control-allow-origin").orElseThrow());
    assertEquals("true", ok.headers().firstValue("access-control-allow-credentials").orElseThrow());
    assertEquals("Origin", ok.headers().firstValue("vary").orElseThrow());
    ok.next("subscribed");
  }

  @Test
  void streamsPastTheConnectionLimitsAre503UntilOneEnds() throws Exception {
    start(PushServer.builder().maxConnectionsPerAddress(2).pingInterval(Duration.ofMillis(100)));
    SseTestClient a = stream("channel=a");
    stream("channel=a");
    SseTestClient third = open("channel=a");
    assertEquals(503, third.status());
    assertEquals("unavailable", third.errorBody().getAsJsonObject("error").get("code").getAsString());
    a.close(); // the next heartbeat's write fails: the stream ends and is uncounted
    await("a stream fits again", () -> {
      try {
        SseTestClient c = open("channel=a");
        return c.status() == 200;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
  }

  @Test
  void anIdleStreamGetsHeartbeatComments() throws Exception {
    start(PushServer.builder().pingInterval(Duration.ofMillis(200)));
    SseTestClient c = stream("channel=a");
    c.next("subscribed");
    SseTestClient.Event ping = c.nextAny();
    assertEquals(SseTestClient.COMMENT, ping.type());
    assertEquals("ping", ping.data());
  }

  @Test
  void theHostsCloseEndsTheStreamWithACloseEvent() throws Exception {
    start(PushServer.builder());
    SseTestClient reconnect = stream("channel=a");
    reconnect.next("subscribed");
    SseTestClient stop = stream("channel=b");
    stop.next("subscribed");
    for (ClientConnection c : server.connections()) {
      if (c.channels().contains("a")) {
        c.close(CloseCodes.RECONNECT, "rebalancing");
      } else {
        c.close("account deleted");
      }
    }
    JsonObject close = reconnect.next("close").json();
    assertEquals(3000, close.get("code").getAsInt());
    assertEquals("rebalancing", close.get("reason").getAsString());
    assertTrue(close.get("reconnect").getAsBoolean());
    reconnect.awaitEnd();
    JsonObject stopped = stop.next("close").json();
    assertEquals(3500, stopped.get("code").getAsInt());
    assertFalse(stopped.get("reconnect").getAsBoolean());
    stop.awaitEnd();
    await("the engine forgot both", () -> server.connectionCount() == 0);
  }

  @Test
  void aMessageFromTheHostToOneConnectionIsADirectEvent() throws Exception {
    start(PushServer.builder());
    SseTestClient c = stream("channel=a");
    c.next("subscribed");
    assertTrue(server.connections().get(0).send("notice", Map.of("text", "maintenance at 22:00")));
    JsonObject direct = c.next("direct").json();
    assertEquals("notice", direct.get("event").getAsString());
    assertEquals("maintenance at 22:00", direct.getAsJsonObject("data").get("text").getAsString());
  }

  @Test
  void serverCloseSendsEveryStreamTheCloseEventAndEndsIt() throws Exception {
    BlockingQueue<Integer> closed = new LinkedBlockingQueue<>();
    start(PushServer.builder().connectionListener(new ConnectionListener() {
      @Override
      public void onClosed(ClientConnection connection, int code, String reason) {
        closed.add(code);
      }
    }));
    SseTestClient a = stream("channel=a");
    SseTestClient b = stream("channel=a&channel=b");
    a.next("subscribed");
    b.next("subscribed");
    b.next("subscribed");
    server.channel("a").publish("last", 1);
    server.close();
    for (SseTestClient c : List.of(a, b)) {
      assertEquals(1, c.next("message").json().get("offset").getAsLong());
      JsonObject close = c.next("close").json();
      assertEquals(1001, close.get("code").getAsInt());
      assertTrue(close.get("reconnect").getAsBoolean());
      c.awaitEnd();
    }
    assertEquals(1001, closed.poll(10, TimeUnit.SECONDS));
    assertEquals(1001, closed.poll(10, TimeUnit.SECONDS));
  }

  @Test
  void anUnavailableSubscribeEndsTheStreamSoThatItReconnects() throws Exception {
    AtomicInteger failures = new AtomicInteger(1);
    start(PushServer.builder().broker(new ForwardingBroker(new MemoryBroker()) {
      @Override
      public CompletableFuture<HistoryResult> history(String channel, HistoryQuery query, StreamOptions options) {
        if (channel.equals("flaky") && failures.getAndDecrement() > 0) {
          return CompletableFuture.failedFuture(new dev.pushline.broker.BrokerException("scripted failure"));
        }
        return super.history(channel, query, options);
      }
    }));
    SseTestClient c = stream("channel=flaky");
    JsonObject error = c.next("error").json();
    assertEquals("unavailable", error.get("code").getAsString());
    assertEquals("flaky", error.get("channel").getAsString());
    JsonObject close = c.next("close").json();
    assertEquals(3000, close.get("code").getAsInt());
    assertTrue(close.get("reconnect").getAsBoolean());
    c.awaitEnd();
    stream("channel=flaky").next("subscribed"); // the retry works
  }

  @Test
  void aReaderThatStopsIsCutWithoutHurtingTheOthers() throws Exception {
    BlockingQueue<Integer> closed = new LinkedBlockingQueue<>();
    start(PushServer.builder().maxQueuedBytes(64 * 1024).maxConnectionsPerAddress(2)
        .channelOptions(ChannelOptions.DEFAULT.withHistory(10, Duration.ofMinutes(1)))
        .connectionListener(new ConnectionListener() {
          @Override
          public void onClosed(ClientConnection connection, int code, String reason) {
            closed.add(code);
          }
        }));
    SseTestClient reader = stream("channel=big");
    reader.next("subscribed");

    // The stalled client: a tiny receive buffer, and it never reads after its request.
    Socket stalled = new Socket();
    stalled.setReceiveBufferSize(4096);
    stalled.connect(new InetSocketAddress("127.0.0.1", server.httpPort()));
    stalled.setSoTimeout(10_000);
    OutputStream out = stalled.getOutputStream();
    out.write(("GET /sse?channel=big HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    await("both streams are open", () -> server.connectionCount() == 2);

    String payload = "x".repeat(8 * 1024);
    long published = 0;
    while (server.connectionCount() == 2) {
      if (published == 4_000) { // 32 MiB: far past any socket buffer
        fail("the stalled stream was never cut");
      }
      published = server.channel("big").publish("blob", payload);
      // The reader keeps up: it is never near its own queue limit.
      assertEquals(published, reader.next("message").json().get("offset").getAsLong());
    }
    assertEquals(CloseCodes.SLOW_CONSUMER, closed.poll(10, TimeUnit.SECONDS));

    // Its writer was released and the socket closed: the stalled client reads to the end.
    InputStream in = stalled.getInputStream();
    byte[] buffer = new byte[64 * 1024];
    try {
      while (in.read(buffer) >= 0) {
        // drains what the kernel held
      }
    } catch (SocketTimeoutException e) {
      fail("the cut stream's socket is still open");
    } catch (SocketException reset) {
      // also an end
    }
    stalled.close();

    // The others go on, and the cut stream no longer counts against the limits.
    published = server.channel("big").publish("blob", "after");
    assertEquals(published, reader.next("message").json().get("offset").getAsLong());
    stream("channel=big").next("subscribed");
    assertNull(closed.poll());
  }
}
