package dev.pushline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.pushline.auth.Authenticator;
import dev.pushline.auth.ChannelAuthorizer;
import dev.pushline.auth.ConnectDecision;
import dev.pushline.auth.JwtAuthenticator;
import dev.pushline.auth.Principal;
import dev.pushline.client.PushClient;
import dev.pushline.testing.ClientPool;
import dev.pushline.testing.JdkClient;
import dev.pushline.testing.RawWebSocket;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Attacks on a live server over real sockets (port 0): bad tokens, cross-origin pages, another user's
 * personal channel, publishing without permission, a message flood, expired credentials. Each is refused
 * with its documented code while legitimate clients on the same server keep receiving everything.
 */
class SecurityIT {

  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] OTHER_SECRET =
      "another secret, also 32 bytes or more".getBytes(StandardCharsets.US_ASCII);
  private static final String AUDIENCE = "pushline";
  private static final String PATH = "/pushline";

  /**
   * Tokens {@code user@expiresAtMillis}: who, and until when, to the millisecond (a JWT's exp has whole
   * seconds). Anything else is refused.
   */
  private static final Authenticator TIMED = request -> {
    String token = request.token();
    int at = token == null ? -1 : token.indexOf('@');
    if (at <= 0) {
      return ConnectDecision.reject("bad token");
    }
    return ConnectDecision.accept(new Principal(token.substring(0, at), Map.of(), Set.of(),
        Instant.ofEpochMilli(Long.parseLong(token.substring(at + 1)))));
  };

  private final List<PushServer> servers = new ArrayList<>();
  private final ClientPool clients = new ClientPool();
  private final List<AutoCloseable> others = new ArrayList<>();
  private final ExecutorService background = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "test-security");
    t.setDaemon(true);
    return t;
  });

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : others) {
      c.close();
    }
    clients.close();
    servers.forEach(PushServer::close);
    background.shutdownNow();
  }

  // --- servers, tokens, clients -------------------------------------------------------------------

  private PushServer start(PushServer.Builder builder) {
    PushServer server = builder.host("127.0.0.1").port(0).build().start();
    servers.add(server);
    return server;
  }

  /** A server that authenticates clients by HS256 tokens for audience "pushline". */
  private static PushServer.Builder jwtServer() {
    return PushServer.builder().authenticator(JwtAuthenticator.hs256(SECRET).audience(AUDIENCE).build());
  }

  private static URI uri(PushServer server, String query) {
    return URI.create("ws://127.0.0.1:" + server.port() + PATH + (query == null ? "" : "?" + query));
  }

  /** Claims that pass: {@code user}, for our audience, expiring in five minutes. */
  private static JWTClaimsSet.Builder claims(String user) {
    return new JWTClaimsSet.Builder().subject(user).audience(AUDIENCE)
        .expirationTime(Date.from(Instant.now().plusSeconds(300)));
  }

  private static String sign(JWTClaimsSet claims, byte[] secret) {
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
    try {
      jwt.sign(new MACSigner(secret));
    } catch (JOSEException e) {
      throw new AssertionError(e);
    }
    return jwt.serialize();
  }

  private static String token(String user) {
    return sign(claims(user).build(), SECRET);
  }

  /** {@code claims} with {@code "alg":"none"} and no signature. */
  private static String unsigned(JWTClaimsSet claims) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return b64.encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8)) + ".";
  }

  /** A JDK client that connected with {@code ?token=} and was welcomed. */
  private JdkClient welcomed(PushServer server, String token) throws InterruptedException {
    JdkClient c = clients.connect(uri(server, "token=" + token));
    assertType("welcome", c.nextJson());
    return c;
  }

  private RawWebSocket raw(PushServer server, Map<String, String> headers) throws IOException {
    RawWebSocket ws = RawWebSocket.connect(server.port(), PATH, headers);
    others.add(ws);
    return ws;
  }

  private static JsonObject json(String text) {
    return JsonParser.parseString(text).getAsJsonObject();
  }

  private static String subscribe(long id, String channel) {
    return "{\"type\":\"subscribe\",\"id\":" + id + ",\"channel\":\"" + channel + "\"}";
  }

  private static String publish(long id, String channel) {
    return "{\"type\":\"publish\",\"id\":" + id + ",\"channel\":\"" + channel + "\",\"event\":\"e\",\"data\":"
        + id + "}";
  }

  private static String connect(long id, String token) {
    return "{\"type\":\"connect\",\"id\":" + id + ",\"token\":\"" + token + "\"}";
  }

  private static String refresh(long id, String token) {
    return "{\"type\":\"refresh\",\"id\":" + id + ",\"token\":\"" + token + "\"}";
  }

  private static String ping(long id) {
    return "{\"type\":\"ping\",\"id\":" + id + "}";
  }

  private static void assertType(String type, JsonObject m) {
    assertEquals(type, m.get("type").getAsString(), m.toString());
  }

  /** An error reply with {@code code}; with the request's {@code id}, or none when {@code id} is null. */
  private static void assertError(JsonObject m, String code, Integer id) {
    assertType("error", m);
    assertEquals(code, m.get("code").getAsString(), m.toString());
    if (id == null) {
      assertFalse(m.has("id"), m.toString());
    } else {
      assertEquals(id.intValue(), m.get("id").getAsInt(), m.toString());
    }
  }

  private static void assertReply(JsonObject m, String type, int id) {
    assertType(type, m);
    assertEquals(id, m.get("id").getAsInt(), m.toString());
  }

  /** Subscribes over a JDK client and checks the reply. */
  private static void subscribed(JdkClient c, int id, String channel) throws InterruptedException {
    c.send(subscribe(id, channel));
    assertReply(c.nextJson(), "subscribed", id);
  }

  /**
   * Sends an upgrade request and asserts the server refused it with the engine's {@code decidedStatus}: no
   * 101, so no welcome can follow. (When the refused socket is closed is WebSocketTransportIT's concern.)
   */
  private static void assertUpgradeRefused(PushServer server, String pathAndQuery, Map<String, String> headers,
      int decidedStatus, String what) throws IOException {
    try (Socket s = RawWebSocket.socket(server.port())) {
      String head = RawWebSocket.handshake(s, pathAndQuery, headers);
      String statusLine = head.lines().findFirst().orElse("");
      String[] parts = statusLine.split(" ");
      int status = parts.length > 1 ? Integer.parseInt(parts[1]) : -1;
      assertEquals(decidedStatus, status, what + ": " + statusLine);
    }
  }

  /** The close code of the first frame the server sends, failing if it sends a text frame first. */
  private static int closedBeforeAnyMessage(RawWebSocket ws) throws IOException {
    while (true) {
      RawWebSocket.Frame f = ws.readFrame();
      switch (f.opcode()) {
        case RawWebSocket.CLOSE -> {
          return f.closeCode();
        }
        case RawWebSocket.PING -> ws.sendFrame(RawWebSocket.PONG, true, f.payload());
        case RawWebSocket.PONG -> { }
        default -> throw new AssertionError("expected the close, got opcode " + f.opcode() + ": " + f.text());
      }
    }
  }

  // --- authentication -----------------------------------------------------------------------------

  @Test
  void badTokensAreRefusedAtTheHandshakeWhileAClientOnTheSameServerKeepsReceiving() throws Exception {
    PushServer server = start(jwtServer());
    JdkClient legit = welcomed(server, token("alice"));
    subscribed(legit, 1, "feed");
    Channel feed = server.channel("feed");
    Instant now = Instant.now();
    Map<String, String> bad = new LinkedHashMap<>();
    bad.put("forged", sign(claims("alice").build(), OTHER_SECRET));
    bad.put("expired", sign(claims("alice").expirationTime(Date.from(now.minusSeconds(120))).build(), SECRET));
    bad.put("not yet valid", sign(claims("alice").notBeforeTime(Date.from(now.plusSeconds(120))).build(), SECRET));
    bad.put("wrong audience", sign(claims("alice").audience("another-service").build(), SECRET));
    bad.put("alg none", unsigned(claims("alice").build()));
    bad.put("garbage", "not-a-token");

    long published = 0;
    for (Map.Entry<String, String> e : bad.entrySet()) {
      assertUpgradeRefused(server, PATH, Map.of("Authorization", "Bearer " + e.getValue()), 401,
          e.getKey() + " in the header");
      assertUpgradeRefused(server, PATH + "?token=" + e.getValue(), Map.of(), 401, e.getKey() + " in the query");
      feed.publish("tick", ++published);
    }

    for (long offset = 1; offset <= published; offset++) {
      JsonObject m = legit.nextJson();
      assertType("publication", m);
      assertEquals(offset, m.get("offset").getAsLong(), m.toString());
    }
    assertEquals(1, server.connectionCount(), "a refused handshake opened a connection");
  }

  @Test
  void tokenIsTakenFromTheBearerHeaderTheQueryOrAConnectMessage() throws Exception {
    BlockingQueue<String> opened = new LinkedBlockingQueue<>();
    PushServer server = start(jwtServer().connectionListener(new ConnectionListener() {
      @Override
      public void onOpen(ClientConnection connection) {
        opened.add(connection.principal().userId());
      }
    }));

    RawWebSocket header = raw(server, Map.of("Authorization", "Bearer " + token("alice")));
    assertType("welcome", json(header.readText()));
    assertEquals("alice", opened.poll(10, TimeUnit.SECONDS));

    JdkClient query = welcomed(server, token("bob"));
    assertEquals("bob", opened.poll(10, TimeUnit.SECONDS));

    JdkClient message = clients.connect(uri(server, null));
    message.send(connect(1, token("carol")));
    assertType("welcome", message.nextJson()); // the first frame: nothing before authentication
    assertEquals("carol", opened.poll(10, TimeUnit.SECONDS));

    // Each is its user: its own personal channel is open to it, another's is not.
    header.sendText(subscribe(2, "user:alice"));
    assertReply(json(header.readText()), "subscribed", 2);
    subscribed(query, 2, "user:bob");
    subscribed(message, 2, "user:carol");
    message.send(subscribe(3, "user:alice"));
    assertError(message.nextJson(), "forbidden", 3);

    // Our own client, with the token in its URI.
    PushClient ours = PushClient.builder().uri(uri(server, "token=" + token("dave"))).build();
    others.add(ours);
    ours.connect().get(10, TimeUnit.SECONDS);
    ours.subscribe("user:dave", p -> { }).get(10, TimeUnit.SECONDS);
    assertEquals("dave", opened.poll(10, TimeUnit.SECONDS));
  }

  @Test
  void clientThatSendsNoConnectWithinTheTimeoutIsClosedWith3501AndNeverWelcomed() throws Exception {
    PushServer server = start(jwtServer().connectTimeout(Duration.ofMillis(200)));

    RawWebSocket silent = raw(server, Map.of());

    assertEquals(CloseCodes.UNAUTHORIZED, closedBeforeAnyMessage(silent));
  }

  @Test
  void requestBeforeConnectOrConnectWithABadTokenIsUnauthorizedThenClosedWith3501() throws Exception {
    PushServer server = start(jwtServer());

    RawWebSocket early = raw(server, Map.of());
    early.sendText(subscribe(5, "news"));
    assertError(json(early.readText()), "unauthorized", 5);
    assertEquals(CloseCodes.UNAUTHORIZED, closedBeforeAnyMessage(early));

    RawWebSocket forged = raw(server, Map.of());
    forged.sendText(connect(1, sign(claims("alice").build(), OTHER_SECRET)));
    assertError(json(forged.readText()), "unauthorized", 1);
    assertEquals(CloseCodes.UNAUTHORIZED, closedBeforeAnyMessage(forged));

    RawWebSocket none = raw(server, Map.of());
    none.sendText(connect(1, unsigned(claims("alice").build())));
    assertError(json(none.readText()), "unauthorized", 1);
    assertEquals(CloseCodes.UNAUTHORIZED, closedBeforeAnyMessage(none));

    RawWebSocket tokenless = raw(server, Map.of());
    tokenless.sendText("{\"type\":\"connect\",\"id\":2}");
    assertError(json(tokenless.readText()), "unauthorized", 2);
    assertEquals(CloseCodes.UNAUTHORIZED, closedBeforeAnyMessage(tokenless));
  }

  @Test
  void connectionListenerHearsOnlyAuthenticatedConnectionsAndOnlyOnceAuthenticated() throws Exception {
    List<String> events = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch carolClosed = new CountDownLatch(1);
    PushServer server = start(jwtServer().connectTimeout(Duration.ofMillis(200)).callbackThreads(1)
        .connectionListener(new ConnectionListener() {
          @Override
          public void onOpen(ClientConnection connection) {
            events.add("open " + userOf(connection));
          }

          @Override
          public void onClosed(ClientConnection connection, int code, String reason) {
            events.add("closed " + userOf(connection));
            if ("carol".equals(userOf(connection))) {
              carolClosed.countDown();
            }
          }
        }));

    RawWebSocket silent = raw(server, Map.of());
    assertEquals(CloseCodes.UNAUTHORIZED, closedBeforeAnyMessage(silent));
    RawWebSocket forged = raw(server, Map.of());
    forged.sendText(connect(1, sign(claims("mallory").build(), OTHER_SECRET)));
    assertError(json(forged.readText()), "unauthorized", 1);
    assertUpgradeRefused(server, PATH + "?token=bad", Map.of(), 401, "bad token");
    JdkClient carol = clients.connect(uri(server, null));
    carol.send(connect(1, token("carol")));
    assertType("welcome", carol.nextJson());
    carol.close();
    assertTrue(carolClosed.await(10, TimeUnit.SECONDS), "onClosed for carol");

    // Closing the server runs every callback still queued: a stray one for the others is recorded now.
    server.close();

    assertEquals(List.of("open carol", "closed carol"), events);
  }

  private static String userOf(ClientConnection connection) {
    Principal p = connection.principal();
    return p == null ? "<no principal>" : p.userId();
  }

  // --- origin -------------------------------------------------------------------------------------

  @Test
  void crossOriginPagesAreRefusedWhileSameOriginAndAllowListedOnesConnect() throws Exception {
    PushServer plain = start(PushServer.builder());
    String self = "http://127.0.0.1:" + plain.port();

    assertType("welcome", json(raw(plain, Map.of("Origin", self)).readText()));
    assertType("welcome", json(raw(plain, Map.of()).readText())); // not a browser: nothing to check
    for (String evil : List.of("https://evil.example", "http://127.0.0.1:" + (plain.port() + 1),
        "http://localhost:" + plain.port(), "null")) {
      assertUpgradeRefused(plain, PATH, Map.of("Origin", evil), 403, evil);
    }
    assertEquals(2, plain.connectionCount(), "a refused handshake opened a connection");

    PushServer listed = start(PushServer.builder().allowedOrigins("https://app.example.com"));
    assertType("welcome", json(raw(listed, Map.of("Origin", "https://app.example.com")).readText()));
    assertUpgradeRefused(listed, PATH, Map.of("Origin", "https://evil.example"), 403, "unlisted");
    assertUpgradeRefused(listed, PATH, Map.of("Origin", "http://127.0.0.1:" + listed.port()), 403,
        "own origin, not listed");

    // A cross-origin page cannot ride on a valid token either (cross-site WebSocket hijacking).
    PushServer authenticated = start(jwtServer());
    assertUpgradeRefused(authenticated, PATH + "?token=" + token("alice"), Map.of("Origin", "https://evil.example"),
        403, "cross-origin with a valid token");
  }

  // --- channels -----------------------------------------------------------------------------------

  @Test
  void anotherUsersPersonalChannelIsForbiddenAndNeverDeliversWhileItsOwnerGetsEveryPublication()
      throws Exception {
    PushServer server = start(jwtServer());
    JdkClient alice = welcomed(server, token("alice"));
    subscribed(alice, 1, "user:alice");
    subscribed(alice, 2, "done");
    JdkClient bob = welcomed(server, token("bob"));
    subscribed(bob, 1, "done");
    Channel personal = server.channel("user:alice");
    Channel done = server.channel("done");

    // The stream runs until bob has been refused and 300 more went out, then "done" gets a marker: had bob
    // been subscribed, those 300 would reach him before it. Alice keeps at most 100 unread.
    Semaphore window = new Semaphore(100);
    CountDownLatch busy = new CountDownLatch(100);
    AtomicBoolean refused = new AtomicBoolean();
    Future<Long> publisher = background.submit(() -> {
      long last = 0;
      int afterRefusal = 0;
      while (afterRefusal < 300) {
        if (!window.tryAcquire(10, TimeUnit.SECONDS)) {
          throw new AssertionError("alice stopped reading");
        }
        last = personal.publish("n", last + 1);
        busy.countDown();
        if (refused.get()) {
          afterRefusal++;
        }
      }
      done.publish("done", last);
      return last;
    });
    Future<List<Long>> aliceReceived = background.submit(() -> {
      List<Long> offsets = new ArrayList<>();
      while (true) {
        JsonObject m = alice.nextJson();
        assertType("publication", m);
        if (m.get("channel").getAsString().equals("done")) {
          return offsets;
        }
        offsets.add(m.get("offset").getAsLong());
        window.release();
      }
    });

    assertTrue(busy.await(10, TimeUnit.SECONDS), "the stream started");
    bob.send(subscribe(7, "user:alice"));
    bob.send("{\"type\":\"subscribe\",\"id\":8,\"channel\":\"user:alice\",\"history\":1000,"
        + "\"since\":{\"offset\":0,\"epoch\":\"x\"}}");
    bob.send(publish(9, "user:alice"));
    assertError(bob.nextJson(), "forbidden", 7);
    assertError(bob.nextJson(), "forbidden", 8);
    assertError(bob.nextJson(), "forbidden", 9);
    refused.set(true);

    long last = publisher.get(60, TimeUnit.SECONDS);
    JsonObject next = bob.nextJson();
    assertType("publication", next);
    assertEquals("done", next.get("channel").getAsString(), "bob got something of alice's: " + next);
    assertEquals(LongStream.rangeClosed(1, last).boxed().toList(), aliceReceived.get(60, TimeUnit.SECONDS));
  }

  @Test
  void clientPublishIsRefusedUnlessTheServerAllowsItAndTheAuthorizerAgrees() throws Exception {
    ChannelAuthorizer everything = new ChannelAuthorizer() {
      @Override
      public boolean maySubscribe(Principal principal, String channel) {
        return true;
      }

      @Override
      public boolean mayPublish(Principal principal, String channel) {
        return true;
      }
    };
    PushServer readOnly = start(jwtServer().channelAuthorizer(everything));
    JdkClient alice = welcomed(readOnly, token("alice"));
    alice.send(publish(3, "chat"));
    assertError(alice.nextJson(), "forbidden", 3);
    alice.send(publish(4, "user:alice"));
    assertError(alice.nextJson(), "forbidden", 4);

    ChannelAuthorizer noAnnouncements = new ChannelAuthorizer() {
      @Override
      public boolean maySubscribe(Principal principal, String channel) {
        return true;
      }

      @Override
      public boolean mayPublish(Principal principal, String channel) {
        return !channel.equals("announcements");
      }
    };
    PushServer open = start(jwtServer().allowClientPublish().channelAuthorizer(noAnnouncements));
    JdkClient reader = welcomed(open, token("bob"));
    subscribed(reader, 1, "announcements");
    subscribed(reader, 2, "chat");
    JdkClient writer = welcomed(open, token("alice"));
    writer.send(publish(5, "announcements"));
    assertError(writer.nextJson(), "forbidden", 5);
    writer.send(publish(6, "user:bob"));
    assertError(writer.nextJson(), "forbidden", 6);
    writer.send(publish(7, "chat"));
    JsonObject published = writer.nextJson();
    assertReply(published, "published", 7);
    open.channel("announcements").publish("marker", "m");

    JsonObject chat = reader.nextJson();
    assertEquals("chat", chat.get("channel").getAsString(), chat.toString());
    assertEquals(7, chat.get("data").getAsInt(), chat.toString());
    JsonObject marker = reader.nextJson();
    assertEquals("announcements", marker.get("channel").getAsString(), marker.toString());
    assertEquals(1, marker.get("offset").getAsLong(), "a refused publication took an offset: " + marker);
  }

  // --- what clients publish: ChannelAuthorizer.publication ------------------------------------------

  /**
   * Allows everything and publishes {@code {"user": <the publisher>, "text": <its text>}}; refuses data that
   * is not an object with a string {@code text} (null), and throws on the text "boom".
   */
  private static final ChannelAuthorizer STAMPING = new ChannelAuthorizer() {
    @Override
    public boolean maySubscribe(Principal principal, String channel) {
      return true;
    }

    @Override
    public boolean mayPublish(Principal principal, String channel) {
      return true;
    }

    @Override
    public JsonElement publication(Principal principal, String channel, String event,
        JsonElement data) {
      if (!data.isJsonObject() || !data.getAsJsonObject().has("text")
          || !data.getAsJsonObject().get("text").isJsonPrimitive()) {
        return null;
      }
      String text = data.getAsJsonObject().get("text").getAsString();
      if (text.equals("boom")) {
        throw new IllegalStateException("the hook failed");
      }
      JsonObject stamped = new JsonObject();
      stamped.addProperty("user", principal.userId());
      stamped.addProperty("text", text);
      return stamped;
    }
  };

  private static String publishData(long id, String channel, String data) {
    return "{\"type\":\"publish\",\"id\":" + id + ",\"channel\":\"" + channel + "\",\"event\":\"message\""
        + (data == null ? "" : ",\"data\":" + data) + "}";
  }

  @Test
  void publicationHooksReplacementIsWhatSubscribersReceiveAndHistoryKeeps() throws Exception {
    PushServer server = start(jwtServer().allowClientPublish().channelAuthorizer(STAMPING));
    JdkClient bob = welcomed(server, token("bob"));
    subscribed(bob, 1, "chat");
    JdkClient alice = welcomed(server, token("alice"));
    alice.send(publishData(2, "chat", "{\"user\":\"bob\",\"text\":\"I am bob\",\"extra\":1}"));
    assertReply(alice.nextJson(), "published", 2);

    JsonObject received = bob.nextJson();
    assertType("publication", received);
    assertEquals(json("{\"user\":\"alice\",\"text\":\"I am bob\"}"), received.get("data"), received.toString());
    List<Publication> history = server.channel("chat").history();
    assertEquals(1, history.size(), history.toString());
    assertEquals(json("{\"user\":\"alice\",\"text\":\"I am bob\"}"), history.get(0).data());

    JdkClient late = welcomed(server, token("carol"));
    late.send("{\"type\":\"subscribe\",\"id\":3,\"channel\":\"chat\",\"history\":10}");
    assertReply(late.nextJson(), "subscribed", 3);
    JsonObject replayed = late.nextJson();
    assertEquals(json("{\"user\":\"alice\",\"text\":\"I am bob\"}"), replayed.get("data"), replayed.toString());
  }

  @Test
  void publicationTheHookRefusesIsForbiddenAndNothingIsPublished() throws Exception {
    PushServer server = start(jwtServer().allowClientPublish().channelAuthorizer(STAMPING));
    JdkClient bob = welcomed(server, token("bob"));
    subscribed(bob, 1, "chat");
    JdkClient alice = welcomed(server, token("alice"));
    alice.send(publishData(2, "chat", "\"just a string\""));
    assertError(alice.nextJson(), "forbidden", 2);
    alice.send(publishData(3, "chat", null));
    assertError(alice.nextJson(), "forbidden", 3);
    alice.send(publishData(4, "chat", "{\"text\":\"ok\"}"));
    assertReply(alice.nextJson(), "published", 4);

    JsonObject first = bob.nextJson();
    assertEquals(1, first.get("offset").getAsLong(), "a refused publication took an offset: " + first);
    assertEquals("ok", first.getAsJsonObject("data").get("text").getAsString(), first.toString());
    assertEquals(1, server.channel("chat").history().size());
  }

  @Test
  void publicationHookThatThrowsIsForbiddenAndTheConnectionStays() throws Exception {
    PushServer server = start(jwtServer().allowClientPublish().channelAuthorizer(STAMPING));
    JdkClient alice = welcomed(server, token("alice"));
    alice.send(publishData(2, "chat", "{\"text\":\"boom\"}"));
    assertError(alice.nextJson(), "forbidden", 2);
    alice.send(ping(3));
    assertReply(alice.nextJson(), "pong", 3);
    alice.send(publishData(4, "chat", "{\"text\":\"after\"}"));
    JsonObject published = alice.nextJson();
    assertReply(published, "published", 4);
    assertEquals(1, published.get("offset").getAsLong(), "the refused publication took an offset");
    assertEquals(0, server.channel("chat").history().stream()
        .filter(p -> p.data().toString().contains("boom")).count());
  }

  @Test
  void defaultPublicationHookPublishesTheDataAsSent() throws Exception {
    ChannelAuthorizer onlyMayPublish = new ChannelAuthorizer() {
      @Override
      public boolean maySubscribe(Principal principal, String channel) {
        return true;
      }

      @Override
      public boolean mayPublish(Principal principal, String channel) {
        return true;
      }
    };
    PushServer server = start(jwtServer().allowClientPublish().channelAuthorizer(onlyMayPublish));
    JdkClient bob = welcomed(server, token("bob"));
    subscribed(bob, 1, "chat");
    JdkClient alice = welcomed(server, token("alice"));
    String data = "{\"user\":\"bob\",\"text\":\"as sent\",\"n\":[1,2]}";
    alice.send(publishData(2, "chat", data));
    assertReply(alice.nextJson(), "published", 2);
    alice.send(publishData(3, "chat", null));
    assertReply(alice.nextJson(), "published", 3);

    assertEquals(json(data), bob.nextJson().get("data"));
    JsonObject noData = bob.nextJson();
    assertTrue(!noData.has("data") || noData.get("data").isJsonNull(), noData.toString());
  }

  // --- flood --------------------------------------------------------------------------------------

  @Test
  void floodIsAnsweredRateLimitedThenClosedWith3002WhileOthersReceiveEveryPublication() throws Exception {
    PushServer server = start(jwtServer().inboundRateLimit(50, 100));
    List<JdkClient> legit = new ArrayList<>();
    for (String user : List.of("alice", "bob")) {
      JdkClient c = welcomed(server, token(user));
      subscribed(c, 1, "feed");
      legit.add(c);
    }
    BlockingQueue<Publication> ours = new LinkedBlockingQueue<>();
    PushClient carol = PushClient.builder().uri(uri(server, "token=" + token("carol"))).build();
    others.add(carol);
    carol.connect().get(10, TimeUnit.SECONDS);
    carol.subscribe("feed", ours::add).get(10, TimeUnit.SECONDS);
    JdkClient mallory = welcomed(server, token("mallory"));

    int count = 1_000;
    Channel feed = server.channel("feed");
    Future<?> publisher = background.submit(() -> {
      for (int i = 1; i <= count; i++) {
        feed.publish("n", i);
      }
      return null;
    });
    int flood = 5_000;
    for (int i = 1; i <= flood; i++) {
      mallory.send(ping(i));
    }

    int code = mallory.closed().get(30, TimeUnit.SECONDS);
    boolean brokenPipe = code == -1;
    if (brokenPipe) {
      // The server closed while mallory was still writing its flood: the JDK client reports the broken pipe
      // of its write rather than the close frame it had not read yet. The server's count tells the code.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (server.stats().closes(CloseCodes.RATE_LIMITED) == 0 && System.nanoTime() < deadline) {
        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
      }
      code = server.stats().closes(CloseCodes.RATE_LIMITED) == 1 ? CloseCodes.RATE_LIMITED : code;
    }
    assertEquals(CloseCodes.RATE_LIMITED, code);
    int pongs = 0;
    int limited = 0;
    for (String text; (text = mallory.poll(Duration.ZERO)) != null; ) {
      JsonObject m = json(text);
      if (m.get("type").getAsString().equals("pong")) {
        pongs++;
      } else {
        assertError(m, "rate_limited", m.get("id").getAsInt());
        limited++;
      }
    }
    assertTrue(server.stats().errors("rate_limited") > 0, "no rate_limited before the close");
    if (!brokenPipe) {
      // It read up to the close frame, so it read every refusal before it. (After a broken pipe the JDK
      // client drops what it had not read yet: the server's count above is the evidence then.)
      assertTrue(limited > 0, "no rate_limited read before the close frame");
    }
    assertTrue(pongs + limited < flood, "every ping was answered: " + pongs + " pongs, " + limited + " refusals");

    publisher.get(60, TimeUnit.SECONDS);
    for (JdkClient c : legit) {
      for (long offset = 1; offset <= count; offset++) {
        JsonObject m = c.nextJson();
        assertType("publication", m);
        assertEquals(offset, m.get("offset").getAsLong(), m.toString());
      }
    }
    for (long offset = 1; offset <= count; offset++) {
      Publication p = ours.poll(10, TimeUnit.SECONDS);
      assertNotNull(p, "publication " + offset + " within 10 s");
      assertEquals(offset, p.offset());
    }
  }

  // --- expiry and refresh -------------------------------------------------------------------------

  private JdkClient timed(PushServer server, String user, long expiresAtMillis) throws InterruptedException {
    return welcomed(server, user + "@" + expiresAtMillis);
  }

  @Test
  void clientWhoseTokenExpiresIsToldThenClosedWith3003() throws Exception {
    PushServer server = start(PushServer.builder().authenticator(TIMED).tokenExpiryGrace(Duration.ofMillis(300)));
    long expiresAt = System.currentTimeMillis() + 300;
    JdkClient alice = timed(server, "alice", expiresAt);

    JsonObject told = alice.nextJson();

    assertTrue(System.currentTimeMillis() >= expiresAt, "told before the token expired");
    assertError(told, "token_expired", null);
    assertEquals(CloseCodes.TOKEN_EXPIRED, alice.closed().get(10, TimeUnit.SECONDS));
  }

  @Test
  void clientThatRefreshesBeforeTheGraceEndsStaysConnected() throws Exception {
    // A grace of 1 s leaves a loaded machine time to answer token_expired.
    PushServer server = start(PushServer.builder().authenticator(TIMED).tokenExpiryGrace(Duration.ofSeconds(1)));
    long expiry = System.currentTimeMillis() + 1_500;
    JdkClient late = timed(server, "alice", expiry); // refreshes once told
    JdkClient early = timed(server, "dave", expiry); // refreshes before its token expires
    JdkClient control = timed(server, "carol", expiry + 100); // does not refresh
    long later = System.currentTimeMillis() + 600_000;

    early.send(refresh(2, "dave@" + later));
    JsonObject earlyRefreshed = early.nextJson();
    assertReply(earlyRefreshed, "refreshed", 2);
    assertEquals(later, earlyRefreshed.get("expiresAt").getAsLong());

    assertError(late.nextJson(), "token_expired", null);
    late.send(refresh(3, "alice@" + later));
    assertReply(late.nextJson(), "refreshed", 3);

    // The engine's timer runs in deadline order, so once carol (100 ms later) is closed, every timer of
    // alice's and dave's old tokens has run.
    assertError(control.nextJson(), "token_expired", null);
    assertEquals(CloseCodes.TOKEN_EXPIRED, control.closed().get(10, TimeUnit.SECONDS));
    for (JdkClient c : List.of(late, early)) {
      c.send(ping(4));
      assertReply(c.nextJson(), "pong", 4);
      assertFalse(c.closed().isDone());
    }
  }

  @Test
  void refreshWithAnotherUsersOrABadTokenIsUnauthorizedAndTheConnectionStays() throws Exception {
    BlockingQueue<ClientConnection> opened = new LinkedBlockingQueue<>();
    PushServer server = start(PushServer.builder().authenticator(TIMED).connectionListener(
        new ConnectionListener() {
          @Override
          public void onOpen(ClientConnection connection) {
            opened.add(connection);
          }
        }));
    long later = System.currentTimeMillis() + 600_000;
    JdkClient alice = timed(server, "alice", later);
    ClientConnection connection = opened.poll(10, TimeUnit.SECONDS);
    assertNotNull(connection);

    alice.send(refresh(2, "bob@" + (later + 1_000)));
    assertError(alice.nextJson(), "unauthorized", 2);
    alice.send(refresh(3, "garbage"));
    assertError(alice.nextJson(), "unauthorized", 3);
    alice.send(refresh(4, "alice@" + (System.currentTimeMillis() - 1_000)));
    assertError(alice.nextJson(), "unauthorized", 4);

    alice.send(ping(5));
    assertReply(alice.nextJson(), "pong", 5);
    assertEquals("alice", connection.principal().userId());
    assertEquals(later, connection.principal().expiresAt().toEpochMilli());
    alice.send(subscribe(6, "user:bob"));
    assertError(alice.nextJson(), "forbidden", 6);
    subscribed(alice, 7, "user:alice");
    assertFalse(alice.closed().isDone());
  }
}
