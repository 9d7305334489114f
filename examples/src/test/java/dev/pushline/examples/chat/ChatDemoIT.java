package dev.pushline.examples.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pushline.ClientInfo;
import dev.pushline.CloseCodes;
import dev.pushline.Publication;
import dev.pushline.PushException;
import dev.pushline.client.PushClient;
import dev.pushline.client.PushClient.StreamPosition;
import dev.pushline.client.PushClient.SubscribeOptions;
import dev.pushline.examples.logtail.DemoOptions;
import dev.pushline.examples.logtail.MutableClock;
import dev.pushline.examples.logtail.WebSocketRecorder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
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
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chat demo's server side on real sockets (both ports 0): the login endpoint, the tokens it issues as
 * the push server sees them, the channel rules, the checks and stamping of published messages, presence and
 * history. Clients are {@link PushClient}s with the tokens the endpoint issued, or raw WebSockets where a
 * client must break the rules. Every wait is bounded; nothing sleeps.
 */
class ChatDemoIT {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(WAIT).build();

  private final MutableClock clock = new MutableClock(Instant.now(), ZoneOffset.UTC);
  private final List<PushClient> clients = new ArrayList<>();
  private ChatDemo demo;

  @BeforeEach
  void start() throws Exception {
    demo = ChatDemo.start(DemoOptions.parse("--port", "0", "--http-port", "0"), clock);
  }

  @AfterEach
  void stop() {
    clients.forEach(PushClient::close);
    demo.close();
  }

  // --- the login step ----------------------------------------------------------------------------

  @Test
  void loginIssuesATokenThePushServerAccepts() throws Exception {
    HttpResponse<String> response = login("alice");

    assertEquals(200, response.statusCode(), response.body());
    assertEquals("application/json; charset=utf-8", response.headers().firstValue("content-type").orElse(null));
    JsonObject answer = JsonParser.parseString(response.body()).getAsJsonObject();
    assertEquals("alice", answer.get("user").getAsString());
    PushClient alice = connect(answer.get("token").getAsString());
    StreamPosition position = alice.subscribe("room:lobby", p -> { }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(0, position.offset());
    assertEquals("alice", demo.pushServer().connections().get(0).principal().userId());
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"", "bob smith", "<img src=x>", "élodie", "abcdefghijklmnopqrstuvwxyz0123456"})
  void loginRefusesAnInvalidNameWith400AndSaysWhy(String name) throws Exception {
    HttpResponse<String> response = login(name);

    assertEquals(400, response.statusCode());
    String error = JsonParser.parseString(response.body()).getAsJsonObject().get("error").getAsString();
    assertTrue(error.contains("user name"), error);
  }

  @Test
  void loginRefusesOtherSitesAndOtherMethods() throws Exception {
    HttpResponse<String> otherSite = post("/login", "http://evil.example", "{\"name\":\"alice\"}");
    HttpResponse<String> get = HTTP.send(HttpRequest.newBuilder(demo.pageUri().resolve("/login")).timeout(WAIT)
        .build(), HttpResponse.BodyHandlers.ofString());

    assertEquals(403, otherSite.statusCode());
    assertEquals(405, get.statusCode());
  }

  @Test
  void thePageAndTheBrowserClientAreServed() throws Exception {
    for (String path : List.of("/", "/app.js", "/style.css", "/pushline.js", "/config.json")) {
      HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(demo.pageUri().resolve(path))
          .timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode(), path);
    }
    JsonObject config = JsonParser.parseString(HTTP.send(HttpRequest.newBuilder(demo.pageUri()
        .resolve("/config.json")).timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString()).body())
        .getAsJsonObject();
    assertEquals(demo.webSocketUri().getPort(), config.get("webSocketPort").getAsInt());
    assertEquals("room", config.get("namespace").getAsString());
    assertEquals(ChatDemo.HISTORY_SIZE, config.get("history").getAsInt());
  }

  // --- tokens at the push server -----------------------------------------------------------------

  @Test
  void aForgedTokenIsRefusedAtTheHandshake() {
    String forged = TokenIssuer.withSecret("a secret that is not the demo's one".getBytes(StandardCharsets.UTF_8),
        clock).issue("alice").jwt();

    assertEquals(401, handshakeStatus(forged));
  }

  @Test
  void anExpiredTokenIsRefusedAtTheHandshake() throws Exception {
    String token = token("alice");
    assertEquals(101, handshakeStatus(token));

    clock.advance(TokenIssuer.TOKEN_TTL.plusSeconds(31)); // past exp and the authenticator's 30 s skew

    assertEquals(401, handshakeStatus(token));
  }

  @Test
  void aForgedTokenInAConnectMessageClosesTheConnection() throws Exception {
    String forged = TokenIssuer.withSecret(new byte[32], clock).issue("alice").jwt();
    try (WebSocketRecorder socket = WebSocketRecorder.connect(HTTP, demo.webSocketUri(), null)) {
      socket.send("{\"type\":\"connect\",\"id\":1,\"token\":\"" + forged + "\"}");

      assertEquals("unauthorized", socket.expect("error").get("code").getAsString());
      assertEquals(CloseCodes.UNAUTHORIZED, socket.awaitCloseCode());
    }
  }

  @Test
  void anAnonymousClientCannotPublish() throws Exception {
    try (WebSocketRecorder socket = WebSocketRecorder.connect(HTTP, demo.webSocketUri(), null)) {
      socket.send("{\"type\":\"publish\",\"id\":1,\"channel\":\"room:lobby\",\"event\":\"message\","
          + "\"data\":{\"text\":\"hi\"}}");

      assertEquals("unauthorized", socket.expect("error").get("code").getAsString());
      assertEquals(CloseCodes.UNAUTHORIZED, socket.awaitCloseCode());
    }
    assertEquals(0, demo.room("lobby").history().size());
  }

  @Test
  void anAnonymousClientCannotSubscribe() throws Exception {
    try (WebSocketRecorder socket = WebSocketRecorder.connect(HTTP, demo.webSocketUri(), null)) {
      socket.send("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"room:lobby\"}");

      assertEquals("unauthorized", socket.expect("error").get("code").getAsString());
      assertEquals(CloseCodes.UNAUTHORIZED, socket.awaitCloseCode());
    }
  }

  // --- the channel rules and published messages --------------------------------------------------

  @Test
  void aUserMaySubscribeToTheRoomsOnly() throws Exception {
    PushClient alice = connect(token("alice"));

    for (String room : ChatDemo.ROOMS) {
      alice.subscribe("room:" + room, p -> { }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
    assertEquals("forbidden", failure(alice.subscribe("room:secret", p -> { })).code());
    assertEquals("forbidden", failure(alice.subscribe("logs", p -> { })).code());
  }

  @Test
  void aMessageCarriesTheSendersNameFromTheToken() throws Exception {
    PushClient alice = connect(token("alice"));
    PushClient bob = connect(token("bob"));
    BlockingQueue<Publication> atBob = new LinkedBlockingQueue<>();
    bob.subscribe("room:lobby", atBob::add).get(WAIT.toSeconds(), TimeUnit.SECONDS);

    alice.publish("room:lobby", RoomAuthorizer.EVENT, Map.of("text", "  hello bob "))
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);

    Publication p = atBob.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertNotNull(p, "bob got nothing");
    assertEquals(RoomAuthorizer.EVENT, p.event());
    assertEquals(1, p.offset());
    JsonObject data = p.data().getAsJsonObject();
    assertEquals("alice", data.get("user").getAsString());
    assertEquals("hello bob", data.get("text").getAsString());
    assertEquals(clock.millis(), data.get("sentAt").getAsLong());
    assertEquals(Set.of("user", "text", "sentAt"), data.keySet());
  }

  @Test
  void aMessageThatClaimsAnotherSenderIsPublishedUnderTheRealOne() throws Exception {
    PushClient alice = connect(token("alice"));
    PushClient bob = connect(token("bob"));
    BlockingQueue<Publication> atBob = new LinkedBlockingQueue<>();
    bob.subscribe("room:lobby", atBob::add).get(WAIT.toSeconds(), TimeUnit.SECONDS);

    alice.publish("room:lobby", RoomAuthorizer.EVENT,
        Map.of("user", "bob", "text", "hi, I am bob", "sentAt", 0)).get(WAIT.toSeconds(), TimeUnit.SECONDS);

    Publication p = atBob.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertNotNull(p, "bob got nothing");
    JsonObject data = p.data().getAsJsonObject();
    assertEquals("alice", data.get("user").getAsString(), "the sender the token says, not the page");
    assertEquals(clock.millis(), data.get("sentAt").getAsLong(), "the server's time, not the page's");
    assertEquals(List.of("alice"), demo.room("lobby").history().stream()
        .map(h -> h.data().getAsJsonObject().get("user").getAsString()).toList());
  }

  @Test
  void aMessageOverTheLimitIsRefusedAndOneAtTheLimitIsSent() throws Exception {
    PushClient alice = connect(token("alice"));

    PushException tooLong = failure(alice.publish("room:lobby", RoomAuthorizer.EVENT,
        Map.of("text", "é".repeat(RoomAuthorizer.MAX_TEXT_CHARS + 1))));
    alice.publish("room:lobby", RoomAuthorizer.EVENT,
        Map.of("text", " " + "é".repeat(RoomAuthorizer.MAX_TEXT_CHARS) + " ")).get(WAIT.toSeconds(), TimeUnit.SECONDS);

    assertEquals("forbidden", tooLong.code());
    assertEquals(1, demo.room("lobby").history().size());
    assertEquals(RoomAuthorizer.MAX_TEXT_CHARS, demo.room("lobby").history().get(0).data().getAsJsonObject()
        .get("text").getAsString().length());
  }

  @Test
  void anEmptyOrMalformedMessageAnotherEventAndAnotherChannelAreRefused() throws Exception {
    PushClient alice = connect(token("alice"));

    assertEquals("forbidden", failure(alice.publish("room:lobby", RoomAuthorizer.EVENT,
        Map.of("text", " \n "))).code());
    assertEquals("forbidden", failure(alice.publish("room:lobby", RoomAuthorizer.EVENT,
        Map.of("user", "alice"))).code());
    assertEquals("forbidden", failure(alice.publish("room:lobby", RoomAuthorizer.EVENT,
        Map.of("text", 42))).code());
    assertEquals("forbidden", failure(alice.publish("room:lobby", RoomAuthorizer.EVENT, "hi")).code());
    assertEquals("forbidden", failure(alice.publish("room:lobby", RoomAuthorizer.EVENT, null)).code());
    assertEquals("forbidden", failure(alice.publish("room:lobby", "typing", Map.of("text", "hi"))).code());
    assertEquals("forbidden", failure(alice.publish("room:secret", RoomAuthorizer.EVENT,
        Map.of("text", "hi"))).code());
    assertEquals("forbidden", failure(alice.publish("user:alice", RoomAuthorizer.EVENT,
        Map.of("text", "hi"))).code());
    assertEquals("forbidden", failure(alice.publish("logs", RoomAuthorizer.EVENT, Map.of("text", "hi"))).code());
    assertEquals(0, demo.room("lobby").history().size());
    assertEquals(0, demo.pushServer().channel("room:secret").history().size());
  }

  // --- presence and history ----------------------------------------------------------------------

  @Test
  void presenceListsTheUsersInTheRoomAndJoinAndLeaveFollowThem() throws Exception {
    PushClient alice = connect(token("alice"));
    PushClient bob = connect(token("bob"));
    PushClient carol = connect(token("carol"));
    BlockingQueue<String> atAlice = new LinkedBlockingQueue<>();
    alice.subscribe("room:lobby", SubscribeOptions.DEFAULT.withJoinLeave(new PushClient.PresenceListener() {
      @Override
      public void onJoin(String channel, ClientInfo client) {
        atAlice.add("join " + client.userId());
      }

      @Override
      public void onLeave(String channel, ClientInfo client) {
        atAlice.add("leave " + client.userId());
      }
    }), ignoring()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertEquals("join alice", atAlice.poll(WAIT.toSeconds(), TimeUnit.SECONDS));
    bob.subscribe("room:lobby", p -> { }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    carol.subscribe("room:dev", p -> { }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertEquals("join bob", atAlice.poll(WAIT.toSeconds(), TimeUnit.SECONDS));

    assertEquals(Set.of("alice", "bob"), users(alice.presence("room:lobby").get(WAIT.toSeconds(), TimeUnit.SECONDS)));
    assertEquals(Set.of("alice", "bob"), users(demo.room("lobby").presence()));
    assertEquals(Set.of("carol"), users(carol.presence("room:dev").get(WAIT.toSeconds(), TimeUnit.SECONDS)));

    bob.close();
    assertEquals("leave bob", atAlice.poll(WAIT.toSeconds(), TimeUnit.SECONDS));
    assertEquals(Set.of("alice"), users(alice.presence("room:lobby").get(WAIT.toSeconds(), TimeUnit.SECONDS)));
  }

  @Test
  void aNewcomerGetsTheLastMessagesFromHistory() throws Exception {
    PushClient alice = connect(token("alice"));
    int sent = ChatDemo.HISTORY_SIZE + 5;
    for (int i = 1; i <= sent; i++) {
      alice.publish("room:lobby", RoomAuthorizer.EVENT, Map.of("text", "message " + i))
          .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
    PushClient bob = connect(token("bob"));
    BlockingQueue<Publication> atBob = new LinkedBlockingQueue<>();

    bob.subscribe("room:lobby", SubscribeOptions.DEFAULT.withHistory(ChatDemo.HISTORY_SIZE), recording(atBob))
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);

    List<String> texts = new ArrayList<>();
    for (int i = 0; i < ChatDemo.HISTORY_SIZE; i++) {
      Publication p = atBob.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertNotNull(p, "history message " + i);
      texts.add(p.data().getAsJsonObject().get("text").getAsString());
    }
    assertEquals("message 6", texts.get(0), "the room keeps the last " + ChatDemo.HISTORY_SIZE);
    assertEquals("message " + sent, texts.get(texts.size() - 1));
  }

  // --- the command line --------------------------------------------------------------------------

  @Test
  void theBannerPrintsThePageAndWebSocketUrls() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    demo.printBanner(new PrintStream(out, true, StandardCharsets.UTF_8));

    String banner = out.toString(StandardCharsets.UTF_8);
    assertTrue(banner.contains("Page:      " + demo.pageUri()), banner);
    assertTrue(banner.contains("WebSocket: " + demo.webSocketUri()), banner);
    assertTrue(demo.pageUri().toString().startsWith("http://127.0.0.1:"), banner);
  }

  @Test
  void helpAndBadArgumentsAreAnsweredWithoutStarting() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    assertEquals(0, ChatDemo.run(new String[] {"--help"}, print(out), print(err)));
    assertEquals(2, ChatDemo.run(new String[] {"chat.log"}, print(out), print(err)));
    assertEquals(2, ChatDemo.run(new String[] {"--port", "x"}, print(out), print(err)));

    assertTrue(out.toString(StandardCharsets.UTF_8).contains("dev.pushline.examples.chat.ChatDemo"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("unexpected argument \"chat.log\""));
  }

  // --- helpers -----------------------------------------------------------------------------------

  private HttpResponse<String> login(String name) throws Exception {
    return post("/login", origin(), "{\"name\":" + new com.google.gson.JsonPrimitive(name) + "}");
  }

  private String token(String name) throws Exception {
    HttpResponse<String> response = login(name);
    assertEquals(200, response.statusCode(), response.body());
    return JsonParser.parseString(response.body()).getAsJsonObject().get("token").getAsString();
  }

  private HttpResponse<String> post(String path, String origin, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(demo.pageUri().resolve(path)).timeout(WAIT)
        .header("Origin", origin)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private String origin() {
    URI page = demo.pageUri();
    return page.getScheme() + "://" + page.getAuthority();
  }

  private PushClient connect(String token) throws Exception {
    PushClient client = PushClient.builder().uri(demo.webSocketUri()).token(() -> token).build();
    clients.add(client);
    client.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    return client;
  }

  /** The HTTP status of a WebSocket upgrade with {@code Authorization: Bearer token}: 101 when accepted. */
  private int handshakeStatus(String token) {
    CompletableFuture<WebSocket> open = HTTP.newWebSocketBuilder().connectTimeout(WAIT)
        .header("Authorization", "Bearer " + token)
        .buildAsync(demo.webSocketUri(), new WebSocket.Listener() { });
    try {
      open.get(WAIT.toSeconds(), TimeUnit.SECONDS).abort();
      return 101;
    } catch (ExecutionException e) {
      return assertInstanceOf(WebSocketHandshakeException.class, e.getCause()).getResponse().statusCode();
    } catch (Exception e) {
      throw new AssertionError("no answer to the upgrade", e);
    }
  }

  private static PushException failure(CompletableFuture<?> future) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(WAIT.toSeconds(),
        TimeUnit.SECONDS));
    return assertInstanceOf(PushException.class, e.getCause());
  }

  private static Set<String> users(List<ClientInfo> clients) {
    return clients.stream().map(ClientInfo::userId).collect(Collectors.toSet());
  }

  private static PushClient.SubscriptionHandler ignoring() {
    return recording(new LinkedBlockingQueue<>());
  }

  private static PushClient.SubscriptionHandler recording(BlockingQueue<Publication> queue) {
    return new PushClient.SubscriptionHandler() {
      @Override
      public void onSubscribed(String channel, StreamPosition position, PushClient.Recovery recovery) {
        // a fresh subscription in these tests
      }

      @Override
      public void onPublication(Publication publication) {
        queue.add(publication);
      }
    };
  }

  private static PrintStream print(ByteArrayOutputStream out) {
    return new PrintStream(out, true, StandardCharsets.UTF_8);
  }
}
