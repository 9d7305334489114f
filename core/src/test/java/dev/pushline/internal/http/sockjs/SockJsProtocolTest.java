package dev.pushline.internal.http.sockjs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pushline.MutableClock;
import dev.pushline.PushServer;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.pushline.auth.JwtAuthenticator;
import java.nio.charset.StandardCharsets;
import dev.pushline.testing.Threads;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The SockJS 0.3 endpoint at {@code /sockjs}, spoken to over raw HTTP: framing, sessions, errors, limits. */
class SockJsProtocolTest {

  private static final String NO_CACHE = "no-store, no-cache, must-revalidate, max-age=0";

  private final MutableClock clock = new MutableClock();
  private final List<PushServer> servers = new ArrayList<>();
  private Set<String> threadsBefore;

  @BeforeEach
  void rememberThreads() {
    threadsBefore = Threads.serverThreads();
  }

  @AfterEach
  void closeServers() throws InterruptedException {
    servers.forEach(PushServer::close);
    await(() -> Threads.startedSince(threadsBefore).isEmpty(), "threads left: " + Threads.startedSince(threadsBefore));
  }

  private SockJsHttp start(PushServer.Builder b) {
    PushServer server = b.host("127.0.0.1").port(0).httpPort(0).clock(clock).build().start();
    servers.add(server);
    return new SockJsHttp("http://127.0.0.1:" + server.httpPort() + "/sockjs");
  }

  private SockJsHttp start() {
    return start(PushServer.builder());
  }

  private PushServer server() {
    return servers.get(servers.size() - 1);
  }

  /** Opens a polling session and reads its open frame and welcome. */
  private static JsonObject openPolling(SockJsHttp sockJs, String session) {
    HttpResponse<String> open = sockJs.poll(session);
    assertEquals(200, open.statusCode());
    assertEquals("o\n", open.body());
    JsonObject welcome = SockJsHttp.json(sockJs.poll(session).body().trim()).get(0);
    assertEquals("welcome", welcome.get("type").getAsString());
    return welcome;
  }

  private static String subscribe(String channel) {
    return "{\"type\":\"subscribe\",\"id\":1,\"channel\":\"" + channel + "\"}";
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 10 s: " + what);
      }
      Thread.sleep(10); // polling a condition with a deadline, not synchronising on time
    }
  }

  // --- static URLs -------------------------------------------------------------------------------

  @Test
  void greetingAndInfoDescribeAServerWithoutWebSocket() {
    SockJsHttp sockJs = start();
    for (String path : new String[] {"", "/"}) {
      HttpResponse<String> greeting = sockJs.request("GET", path, null);
      assertEquals(200, greeting.statusCode());
      assertEquals("Welcome to SockJS!\n", greeting.body());
      assertEquals("text/plain; charset=UTF-8", greeting.headers().firstValue("Content-Type").orElseThrow());
    }
    HttpResponse<String> info = sockJs.request("GET", "/info", null);
    assertEquals(200, info.statusCode());
    assertEquals("application/json; charset=UTF-8", info.headers().firstValue("Content-Type").orElseThrow());
    assertEquals(NO_CACHE, info.headers().firstValue("Cache-Control").orElseThrow());
    assertEquals("*", info.headers().firstValue("Access-Control-Allow-Origin").orElseThrow());
    assertEquals("true", info.headers().firstValue("Access-Control-Allow-Credentials").orElseThrow());
    JsonObject body = JsonParser.parseString(info.body()).getAsJsonObject();
    assertFalse(body.get("websocket").getAsBoolean());
    assertFalse(body.get("cookie_needed").getAsBoolean());
    assertEquals("[\"*:*\"]", body.get("origins").toString());
    long entropy = body.get("entropy").getAsLong();
    assertTrue(entropy >= 0 && entropy <= 0xffff_ffffL);
    long again = JsonParser.parseString(sockJs.request("GET", "/info", null).body()).getAsJsonObject()
        .get("entropy").getAsLong();
    assertNotEquals(entropy, again);
  }

  @Test
  void preflightsAreAnsweredPerSpec() {
    SockJsHttp sockJs = start();
    String[][] cases = {{"/info", "OPTIONS, GET"}, {"/000/abc/xhr", "OPTIONS, POST"},
        {"/000/abc/xhr_send", "OPTIONS, POST"}, {"/000/abc/xhr_streaming", "OPTIONS, POST"}};
    for (String[] c : cases) {
      HttpResponse<String> r = sockJs.request("OPTIONS", c[0], null, "Origin", "http://app.example",
          "Access-Control-Request-Headers", "a, b");
      assertEquals(204, r.statusCode(), c[0]);
      assertEquals(c[1], r.headers().firstValue("Access-Control-Allow-Methods").orElseThrow());
      assertEquals("http://app.example", r.headers().firstValue("Access-Control-Allow-Origin").orElseThrow());
      assertEquals("true", r.headers().firstValue("Access-Control-Allow-Credentials").orElseThrow());
      assertEquals("a, b", r.headers().firstValue("Access-Control-Allow-Headers").orElseThrow());
      assertTrue(Long.parseLong(r.headers().firstValue("Access-Control-Max-Age").orElseThrow()) > 1_000_000);
      assertTrue(r.headers().firstValue("Cache-Control").orElseThrow().matches("public, max-age=[1-9][0-9]{6,}"));
      assertTrue(r.headers().firstValue("Expires").isPresent());
      assertEquals("", r.body());
    }
    assertEquals(0, server().stats().connections(), "a preflight opens no session");
  }

  @Test
  void unservedPathsAre404AndWrongMethods405() {
    SockJsHttp sockJs = start();
    for (String path : new String[] {"/a", "/a/a", "/a/a/", "//xhr", "/a./a/xhr", "/a/a./xhr", "/./././xhr",
        "/a/a/websocket", "/a/a/jsonp", "/a/a/jsonp_send", "/a/a/htmlfile", "/iframe.html",
        "/a/" + "x".repeat(65) + "/xhr"}) {
      assertEquals(404, sockJs.request("POST", path, null).statusCode(), path);
      assertEquals(404, sockJs.request("GET", path, null).statusCode(), path);
    }
    HttpResponse<String> get = sockJs.request("GET", "/a/a/xhr", null);
    assertEquals(405, get.statusCode());
    assertEquals("OPTIONS, POST", get.headers().firstValue("Allow").orElseThrow());
    assertEquals(405, sockJs.request("POST", "/a/a/eventsource", null).statusCode());
    assertEquals(405, sockJs.request("POST", "/info", null).statusCode());
    assertEquals(0, server().stats().connections());
  }

  // --- transports --------------------------------------------------------------------------------

  @Test
  void pollingCarriesProtocolV1BothWays() {
    SockJsHttp sockJs = start();
    HttpResponse<String> open = sockJs.poll("s1");
    assertEquals("o\n", open.body());
    assertEquals("application/javascript; charset=UTF-8", open.headers().firstValue("Content-Type").orElseThrow());
    assertEquals(NO_CACHE, open.headers().firstValue("Cache-Control").orElseThrow());
    assertEquals(1, server().stats().connections());
    JsonObject welcome = SockJsHttp.json(sockJs.poll("s1").body().trim()).get(0);
    assertEquals("welcome", welcome.get("type").getAsString());
    assertEquals(1, welcome.get("protocol").getAsInt());

    HttpResponse<String> sent = sockJs.send("s1", subscribe("news"));
    assertEquals(204, sent.statusCode());
    assertEquals("", sent.body());
    assertEquals("text/plain; charset=UTF-8", sent.headers().firstValue("Content-Type").orElseThrow());
    JsonObject subscribed = SockJsHttp.json(sockJs.poll("s1").body().trim()).get(0);
    assertEquals("subscribed", subscribed.get("type").getAsString());

    server().channel("news").publish("n", 1);
    server().channel("news").publish("n", 2);
    List<JsonObject> got = new ArrayList<>();
    while (got.size() < 2) {
      got.addAll(SockJsHttp.json(sockJs.poll("s1").body().trim()));
    }
    assertEquals(1, got.get(0).get("offset").getAsLong());
    assertEquals(2, got.get(1).get("offset").getAsLong());
    assertEquals("publication", got.get(1).get("type").getAsString());
  }

  @Test
  void aWaitingPollIsAnsweredWhenAMessageArrives() throws Exception {
    SockJsHttp sockJs = start();
    openPolling(sockJs, "s1");
    sockJs.send("s1", subscribe("news"));
    SockJsHttp.json(sockJs.poll("s1").body().trim()); // subscribed
    CompletableFuture<HttpResponse<String>> waiting = sockJs.requestAsync("POST", "/000/s1/xhr", null);
    await(() -> server().channel("news").subscriberCount() == 1, "subscribed");
    server().channel("news").publish("n", "late");
    JsonObject p = SockJsHttp.json(waiting.get(10, TimeUnit.SECONDS).body().trim()).get(0);
    assertEquals("late", p.get("data").getAsString());
  }

  @Test
  void aWaitingPollGetsAHeartbeatAfterTheInterval() throws Exception {
    // The real clock here: the test cannot see when the poll is attached, so it cannot move a clock after it.
    PushServer server = PushServer.builder().host("127.0.0.1").port(0).httpPort(0)
        .pingInterval(Duration.ofMillis(200)).build().start();
    servers.add(server);
    SockJsHttp sockJs = new SockJsHttp("http://127.0.0.1:" + server.httpPort() + "/sockjs");
    openPolling(sockJs, "s1");
    long started = System.nanoTime();
    assertEquals("h\n", sockJs.poll("s1").body());
    long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertTrue(waitedMillis >= 150, "answered after " + waitedMillis + " ms");
    assertEquals(1, server.stats().connections(), "a heartbeat does not end the session");
  }

  @Test
  void xhrStreamingSendsPreludeOpenFramesAndHeartbeats() throws Exception {
    SockJsHttp sockJs = start();
    try (SockJsHttp.Stream s = sockJs.stream("POST", "/000/s1/xhr_streaming")) {
      assertEquals(200, s.response.statusCode());
      assertEquals("application/javascript; charset=UTF-8",
          s.response.headers().firstValue("Content-Type").orElseThrow());
      assertEquals(NO_CACHE, s.response.headers().firstValue("Cache-Control").orElseThrow());
      assertEquals("h".repeat(2048), s.next());
      assertEquals("o", s.next());
      assertEquals("welcome", SockJsHttp.json(s.next()).get(0).get("type").getAsString());
      assertEquals(204, sockJs.send("s1", subscribe("news")).statusCode());
      assertEquals("subscribed", SockJsHttp.json(s.next()).get(0).get("type").getAsString());
      for (int i = 1; i <= 50; i++) {
        server().channel("news").publish("n", i);
      }
      List<JsonObject> got = new ArrayList<>();
      while (got.size() < 50) {
        got.addAll(SockJsHttp.json(s.next()));
      }
      for (int i = 0; i < 50; i++) {
        assertEquals(i + 1, got.get(i).get("offset").getAsLong());
      }
      clock.advance(Duration.ofSeconds(25));
      assertEquals("h", s.next());
    }
  }

  @Test
  void eventSourceFramesEachMessageAsAnEvent() throws Exception {
    SockJsHttp sockJs = start();
    try (SockJsHttp.Stream s = sockJs.stream("GET", "/000/s1/eventsource")) {
      assertEquals("text/event-stream; charset=UTF-8", s.response.headers().firstValue("Content-Type").orElseThrow());
      assertEquals("", s.next()); // the \r\n prelude
      assertEquals("data: o", s.next());
      assertEquals("", s.next());
      String welcome = s.nextNonEmpty();
      assertTrue(welcome.startsWith("data: a["), welcome);
      assertEquals(204, sockJs.send("s1", subscribe("news")).statusCode());
      assertEquals("subscribed", SockJsHttp.json(s.nextNonEmpty().substring(6)).get(0).get("type").getAsString());
      server().channel("news").publish("n", "x\ny\u2028");
      JsonObject p = SockJsHttp.json(s.nextNonEmpty().substring(6)).get(0);
      assertEquals("x\ny\u2028", p.get("data").getAsString());
    }
  }

  @Test
  void aStreamingResponseEndsAfterTheLimitAndTheNextOneContinues() throws Exception {
    SockJsHttp sockJs = start(PushServer.builder().maxQueuedBytes(8 << 20));
    List<JsonObject> got = new ArrayList<>();
    String payload = "x".repeat(1000);
    try (SockJsHttp.Stream s = sockJs.stream("POST", "/000/s1/xhr_streaming")) {
      s.next(); // prelude
      assertEquals("o", s.next());
      s.next(); // welcome
      sockJs.send("s1", subscribe("news"));
      assertEquals("subscribed", SockJsHttp.json(s.next()).get(0).get("type").getAsString());
      for (int i = 0; i < 300; i++) { // about 300 KB: more than two responses' worth
        server().channel("news").publish("n", payload);
      }
      String line;
      while ((line = s.poll(Duration.ofSeconds(10))) != null && line.startsWith("a[")) {
        got.addAll(SockJsHttp.json(line));
      }
      assertTrue(got.size() > 100 && got.size() < 300, "the first response carried " + got.size());
    }
    while (got.size() < 300) {
      try (SockJsHttp.Stream s = sockJs.stream("POST", "/000/s1/xhr_streaming")) {
        assertEquals("h".repeat(2048), s.next());
        String line;
        while (got.size() < 300 && (line = s.poll(Duration.ofSeconds(10))) != null && line.startsWith("a[")) {
          got.addAll(SockJsHttp.json(line));
        }
      }
    }
    for (int i = 0; i < 300; i++) {
      assertEquals(i + 1, got.get(i).get("offset").getAsLong(), "in order, none lost, none twice");
    }
  }

  // --- sessions ----------------------------------------------------------------------------------

  @Test
  void aSecondReceivingRequestGets2010AndTheFirstKeepsTheSession() throws Exception {
    SockJsHttp sockJs = start();
    try (SockJsHttp.Stream first = sockJs.stream("POST", "/000/s1/xhr_streaming")) {
      first.next();
      assertEquals("o", first.next());
      assertEquals("c[2010,\"Another connection still open\"]\n", sockJs.poll("s1").body());
      try (SockJsHttp.Stream second = sockJs.stream("POST", "/000/s1/xhr_streaming")) {
        assertEquals("h".repeat(2048), second.next());
        assertEquals("c[2010,\"Another connection still open\"]", second.next());
        assertTrue(second.ended());
      }
      assertEquals(204, sockJs.send("s1", subscribe("news")).statusCode());
      first.next(); // welcome
      assertEquals("subscribed", SockJsHttp.json(first.next()).get(0).get("type").getAsString());
    }
  }

  @Test
  void xhrSendRefusesUnknownSessionsAndBadBodies() {
    SockJsHttp sockJs = start(PushServer.builder().maxMessageBytes(1024));
    assertEquals(404, sockJs.send("nobody", "x").statusCode());
    openPolling(sockJs, "s1");
    HttpResponse<String> broken = sockJs.request("POST", "/000/s1/xhr_send", "[\"x");
    assertEquals(500, broken.statusCode());
    assertEquals("Broken JSON encoding.", broken.body());
    assertEquals(500, sockJs.request("POST", "/000/s1/xhr_send", "[1]").statusCode());
    assertEquals(500, sockJs.request("POST", "/000/s1/xhr_send", "{\"a\":\"b\"}").statusCode());
    HttpResponse<String> empty = sockJs.request("POST", "/000/s1/xhr_send", "");
    assertEquals(500, empty.statusCode());
    assertEquals("Payload expected.", empty.body());
    assertEquals(204, sockJs.send("s1").statusCode(), "an empty array is nothing to deliver");
    assertEquals(204, sockJs.send("s1", "{\"type\":\"ping\",\"id\":7}").statusCode(), "the session still works");
    assertEquals("pong", SockJsHttp.json(sockJs.poll("s1").body().trim()).get(0).get("type").getAsString());

    HttpResponse<String> tooBig = sockJs.send("s1", "x".repeat(1025));
    assertEquals(413, tooBig.statusCode());
    assertEquals("c[1009,\"message is 1025 bytes; the limit is 1024\"]\n", sockJs.poll("s1").body());
    assertEquals(404, sockJs.send("s1", "x").statusCode(), "the session is closed");

    openPolling(sockJs, "s2");
    HttpResponse<String> bodyTooBig = sockJs.request("POST", "/000/s2/xhr_send", "[\"" + "y".repeat(5000) + "\"]");
    assertEquals(413, bodyTooBig.statusCode(), "bodies are limited to 4 x maxMessageBytes");
    assertTrue(sockJs.poll("s2").body().startsWith("c[1009,"));
  }

  @Test
  void aBodyThatNeverArrivesDoesNotHoldAHandlerThread() throws Exception {
    // The real clock: the read is abandoned after pingInterval (the I/O timeout) of real time.
    PushServer server = PushServer.builder().host("127.0.0.1").port(0).httpPort(0)
        .pingInterval(Duration.ofMillis(300)).build().start();
    servers.add(server);
    SockJsHttp sockJs = new SockJsHttp("http://127.0.0.1:" + server.httpPort() + "/sockjs");
    openPolling(sockJs, "s1");
    List<java.net.Socket> stalled = new ArrayList<>();
    try {
      for (int i = 0; i < dev.pushline.internal.http.HttpSide.MAX_HANDLER_THREADS + 8; i++) { // more than its threads
        java.net.Socket socket = new java.net.Socket("127.0.0.1", server.httpPort());
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write(("POST /sockjs/000/s1/xhr_send HTTP/1.1\r\nHost: x\r\n"
            + "Content-Length: 100\r\n\r\n[\"x").getBytes(StandardCharsets.US_ASCII));
        stalled.add(socket);
      }
      for (java.net.Socket socket : stalled) {
        long started = System.nanoTime();
        try {
          while (socket.getInputStream().read() >= 0) {
            // whatever the server says before it closes
          }
        } catch (java.net.SocketException reset) {
          // closed under the read: as good as EOF
        }
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(9), "closed by the server");
      }
      assertEquals(204, sockJs.send("s1", "{\"type\":\"ping\",\"id\":3}").statusCode());
      assertEquals("pong", SockJsHttp.json(sockJs.poll("s1").body().trim()).get(0).get("type").getAsString());
    } finally {
      for (java.net.Socket socket : stalled) {
        socket.close();
      }
    }
  }

  @Test
  void aClosedSessionAnswersWithItsCloseFrameUntilForgotten() throws Exception {
    SockJsHttp sockJs = start();
    openPolling(sockJs, "s1");
    String client = server().connections().get(0).id();
    server().connections().get(0).close("bye");
    assertEquals("c[3500,\"bye\"]\n", sockJs.poll("s1").body());
    assertEquals("c[3500,\"bye\"]\n", sockJs.poll("s1").body(), "until forgotten, the close frame again");
    await(() -> server().stats().connections() == 0, "the engine heard the close of " + client);
    clock.advance(Duration.ofSeconds(5));
    await(() -> "o\n".equals(sockJs.poll("s1").body()), "forgotten: the id opens a new session");
  }

  @Test
  void originsAreTheEnginesPolicy() {
    SockJsHttp sockJs = start(PushServer.builder().allowedOrigins("http://app.example"));
    HttpResponse<String> evil = sockJs.request("POST", "/000/s1/xhr", null, "Origin", "http://evil.example");
    assertEquals(403, evil.statusCode());
    assertEquals("{\"error\":{\"code\":\"forbidden\",\"message\":\"origin not allowed\"}}", evil.body());
    assertEquals(0, server().stats().connections());
    assertEquals(404, sockJs.send("s1", "x").statusCode(), "no session was opened");

    HttpResponse<String> good = sockJs.request("POST", "/000/s2/xhr", null, "Origin", "http://app.example");
    assertEquals("o\n", good.body());
    assertEquals("http://app.example", good.headers().firstValue("Access-Control-Allow-Origin").orElseThrow());
    HttpResponse<String> other = sockJs.request("POST", "/000/s2/xhr_send", "[\"x\"]", "Origin",
        "http://evil.example");
    assertEquals(403, other.statusCode(), "a session is used from the origin that opened it");
    assertEquals(403, sockJs.request("POST", "/000/s2/xhr", null, "Origin", "http://evil.example").statusCode());
  }

  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  static String token(byte[] secret, String user, java.time.Instant expiry) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256),
        new JWTClaimsSet.Builder().subject(user).expirationTime(java.util.Date.from(expiry)).build());
    jwt.sign(new MACSigner(secret));
    return jwt.serialize();
  }

  @Test
  void credentialsAreTheEnginesToo() throws Exception {
    SockJsHttp sockJs = start(PushServer.builder()
        .authenticator(JwtAuthenticator.hs256(SECRET).clock(clock).build()));
    String good = token(SECRET, "alice", clock.instant().plusSeconds(60));
    HttpResponse<String> forged = sockJs.request("POST", "/000/s1/xhr?token=" + good + "x", null);
    assertEquals(401, forged.statusCode());
    assertEquals("unauthorized", JsonParser.parseString(forged.body()).getAsJsonObject()
        .getAsJsonObject("error").get("code").getAsString());
    assertEquals(0, server().stats().connections());

    assertEquals("o\n", sockJs.request("POST", "/000/s2/xhr?token=" + good, null).body());
    assertEquals("welcome", SockJsHttp.json(sockJs.poll("s2").body().trim()).get(0).get("type").getAsString());
    assertEquals("alice", server().connections().get(0).principal().userId());

    // No token in the URL: the session opens and waits for a connect message, as a WebSocket would.
    assertEquals("o\n", sockJs.poll("s3").body());
    sockJs.send("s3", "{\"type\":\"subscribe\",\"id\":1,\"channel\":\"news\"}");
    JsonObject refused = SockJsHttp.json(sockJs.poll("s3").body().trim()).get(0);
    assertEquals("unauthorized", refused.get("code").getAsString());
    assertEquals("c[3501,\"send connect with a token first\"]\n", sockJs.poll("s3").body());
    assertEquals("o\n", sockJs.poll("s4").body());
    sockJs.send("s4", "{\"type\":\"connect\",\"id\":1,\"token\":\"" + good + "\"}");
    assertEquals("welcome", SockJsHttp.json(sockJs.poll("s4").body().trim()).get(0).get("type").getAsString());
  }

  @Test
  void anAbandonedSessionTimesOutAndFreesEverything() throws Exception {
    List<String> closes = new java.util.concurrent.CopyOnWriteArrayList<>();
    SockJsHttp sockJs = start(PushServer.builder().maxConnectionsPerAddress(2)
        .connectionListener(new dev.pushline.ConnectionListener() {
          @Override
          public void onClosed(dev.pushline.ClientConnection c, int code, String reason) {
            closes.add(code + " " + reason);
          }
        }));
    openPolling(sockJs, "s1");
    sockJs.send("s1", subscribe("news"));
    sockJs.poll("s1");
    openPolling(sockJs, "s2");
    HttpResponse<String> third = sockJs.poll("s3");
    assertEquals(503, third.statusCode(), "two sessions per address");
    assertEquals("unavailable", JsonParser.parseString(third.body()).getAsJsonObject()
        .getAsJsonObject("error").get("code").getAsString());
    assertEquals(2, server().stats().connections());
    assertEquals(1, server().channel("news").subscriberCount());

    clock.advance(Duration.ofMillis(4_999));
    assertEquals(2, server().stats().connections(), "not before the disconnect delay");
    clock.advance(Duration.ofMillis(1));
    await(() -> server().stats().connections() == 0, "both sessions timed out");
    await(() -> closes.size() == 2, "the host heard both closes");
    assertEquals("1006 no receiving request for 5000 ms", closes.get(0));
    assertEquals(0, server().channel("news").subscriberCount(), "its subscription is gone");
    assertEquals("c[1002,\"Connection interrupted\"]\n", sockJs.poll("s1").body());
    assertEquals("o\n", sockJs.poll("s4").body(), "the limit counts live sessions only");
  }

  @Test
  void aClientThatStopsPollingIsClosedAsASlowConsumerAndOthersAreNot() throws Exception {
    SockJsHttp sockJs = start(PushServer.builder().maxQueuedBytes(64 * 1024));
    openPolling(sockJs, "slow");
    sockJs.send("slow", subscribe("news"));
    sockJs.poll("slow");
    try (SockJsHttp.Stream fast = sockJs.stream("POST", "/000/fast/xhr_streaming")) {
      fast.next();
      fast.next();
      fast.next(); // prelude, o, welcome
      sockJs.send("fast", subscribe("news"));
      assertEquals("subscribed", SockJsHttp.json(fast.next()).get(0).get("type").getAsString());
      String payload = "x".repeat(1000);
      List<JsonObject> got = new ArrayList<>();
      for (int i = 0; i < 100; i++) { // 100 KB for a client that reads nothing (and within one stream)
        server().channel("news").publish("n", payload);
        while (got.size() <= i) {
          got.addAll(SockJsHttp.json(fast.next()));
        }
      }
      assertEquals(100, got.get(99).get("offset").getAsLong());
      assertEquals(1, server().stats().slowConsumerDisconnects());
      List<JsonObject> queued = SockJsHttp.json(sockJs.poll("slow").body().trim());
      assertTrue(queued.size() >= 60 && queued.size() < 70, "what fit in 64 KiB: " + queued.size());
      assertEquals("c[3001,\"slow consumer\"]\n", sockJs.poll("slow").body());
      await(() -> server().stats().connections() == 1, "the slow one is gone");
      server().channel("news").publish("n", "after");
      assertEquals("after", SockJsHttp.json(fast.next()).get(0).get("data").getAsString());
    }
  }

  @Test
  void closingTheServerSendsGoingAwayToEverySession() throws Exception {
    SockJsHttp sockJs = start();
    SockJsHttp.Stream s = sockJs.stream("POST", "/000/s1/xhr_streaming");
    s.next();
    s.next();
    s.next(); // prelude, o, welcome
    openPolling(sockJs, "s2");
    CompletableFuture<HttpResponse<String>> waiting = sockJs.requestAsync("POST", "/000/s2/xhr", null);
    await(() -> !waiting.isDone() && server().stats().connections() == 2, "both open");
    server().close();
    assertEquals("c[1001,\"server shutting down\"]", s.next());
    assertTrue(s.ended());
    assertEquals("c[1001,\"server shutting down\"]\n", waiting.get(10, TimeUnit.SECONDS).body());
    s.close();
  }
}
