package dev.pushline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.pushline.auth.ConnectDecision;
import dev.pushline.auth.Principal;
import dev.pushline.testing.ConnectionRecorder;
import dev.pushline.testing.JdkClient;
import dev.pushline.testing.RawWebSocket;
import dev.pushline.testing.StompClient;
import dev.pushline.testing.StompClient.Frame;
import dev.pushline.testing.Threads;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * STOMP over the WebSocket transport, frame by frame, on real sockets: negotiation, the mapping to
 * channels, receipts, errors, authentication, heart-beats, and the engine's guarantees for STOMP clients.
 */
class StompIT {

  private static final String[] STOMP = {"v12.stomp", "v11.stomp", "v10.stomp"};

  private final HttpClient http = HttpClient.newHttpClient();
  private final ConnectionRecorder connections = new ConnectionRecorder();
  private PushServer server;
  private final List<AutoCloseable> clients = new java.util.ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : clients) {
      c.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private PushServer start(PushServer.Builder b) {
    server = b.host("127.0.0.1").port(0).connectionListener(connections).build().start();
    return server;
  }

  private URI uri() {
    return URI.create("ws://127.0.0.1:" + server.port() + "/pushline");
  }

  private StompClient stomp(String... subprotocols) {
    StompClient c = StompClient.connect(http, uri(), subprotocols.length == 0 ? STOMP : subprotocols);
    clients.add(c);
    return c;
  }

  /** A STOMP 1.2 client past CONNECTED. */
  private StompClient connected() throws InterruptedException {
    StompClient c = stomp();
    Frame connected = c.connectStomp();
    assertEquals("CONNECTED", connected.command(), connected.toString());
    return c;
  }

  /** Subscribes with a receipt and waits for it. */
  private static Frame subscribe(StompClient c, String id, String destination, String... extra)
      throws InterruptedException {
    String[] headers = new String[6 + extra.length];
    System.arraycopy(new String[] {"id", id, "destination", destination, "receipt", "s-" + id}, 0, headers, 0, 6);
    System.arraycopy(extra, 0, headers, 6, extra.length);
    c.send("SUBSCRIBE", "", headers);
    Frame receipt = c.next("RECEIPT");
    assertEquals("s-" + id, receipt.header("receipt-id"));
    return receipt;
  }

  private static void assertError(Frame f, String messageContains) {
    assertEquals("ERROR", f.command(), f.toString());
    assertTrue(f.header("message").contains(messageContains), f.toString());
  }

  // --- negotiation and CONNECT -----------------------------------------------------------------

  @Test
  void connectAnswersConnectedWithVersionHeartBeatServerAndSession() throws InterruptedException {
    start(PushServer.builder().pingInterval(Duration.ofSeconds(7)));
    StompClient c = stomp();
    assertEquals("v12.stomp", c.subprotocol());
    Frame connected = c.connectStomp("heart-beat", "0,0");
    assertEquals("CONNECTED", connected.command(), connected.toString());
    assertEquals("1.2", connected.header("version"));
    assertEquals("7000,7000", connected.header("heart-beat"));
    assertEquals("Pushline", connected.header("server"));
    assertEquals(connections.nextOpened().id(), connected.header("session"));
  }

  @Test
  void theStompCommandConnectsToo() throws InterruptedException {
    start(PushServer.builder());
    StompClient c = stomp();
    c.send("STOMP", "", "accept-version", "1.2", "host", "x");
    assertEquals("1.2", c.next("CONNECTED").header("version"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.1", "1.0,1.1", "1.0"})
  void negotiatesTheHighestVersionBothSpeak(String acceptVersion) throws InterruptedException {
    start(PushServer.builder());
    StompClient c = stomp();
    c.send("CONNECT", "", "accept-version", acceptVersion);
    Frame connected = c.next("CONNECTED");
    String expected = acceptVersion.endsWith("1.1") ? "1.1" : "1.0";
    assertEquals(expected, connected.header("version"));
    assertEquals(expected.equals("1.0"), connected.header("heart-beat") == null, "heart-beats are 1.1+");
  }

  @Test
  void aConnectWithoutAcceptVersionIsStomp10AndSubscriptionsMayGoWithoutId() throws InterruptedException {
    start(PushServer.builder());
    StompClient c = stomp("v10.stomp");
    c.unescapeHeaders(false);
    c.send("CONNECT", "", "login", "x");
    assertEquals("1.0", c.next("CONNECTED").header("version"));
    c.send("SUBSCRIBE", "", "destination", "/topic/old", "receipt", "r");
    c.next("RECEIPT");
    server.channel("old").publish("e", 1);
    Frame m = c.next("MESSAGE");
    assertEquals("/topic/old", m.header("subscription"), "1.0: named by the destination");
    c.send("UNSUBSCRIBE", "", "destination", "/topic/old", "receipt", "u");
    assertEquals("u", c.next("RECEIPT").header("receipt-id"));
  }

  @Test
  void noCommonVersionIsAnErrorListingTheServersVersions() throws InterruptedException {
    start(PushServer.builder());
    StompClient c = stomp();
    c.send("CONNECT", "", "accept-version", "2.0,3.1");
    Frame error = c.next("ERROR");
    assertEquals("1.0,1.1,1.2", error.header("version"));
    assertEquals(1002, c.awaitClose());
  }

  @Test
  void aFrameBeforeConnectIsAnErrorAndCloses() throws InterruptedException {
    start(PushServer.builder());
    StompClient c = stomp();
    c.send("SUBSCRIBE", "", "id", "0", "destination", "/topic/a");
    assertError(c.next(), "before CONNECT");
    assertEquals(1002, c.awaitClose());
  }

  @Test
  void aSecondConnectIsAnError() throws InterruptedException {
    start(PushServer.builder());
    StompClient c = connected();
    c.send("CONNECT", "", "accept-version", "1.2");
    assertError(c.next(), "after CONNECT");
    assertEquals(1002, c.awaitClose());
  }

  @Test
  void nativeClientsWithoutSubprotocolStillSpeakProtocolV1() throws InterruptedException {
    start(PushServer.builder());
    JdkClient c = JdkClient.connect(http, uri());
    clients.add(c);
    assertEquals("welcome", c.nextJson().get("type").getAsString());
  }

  // --- SUBSCRIBE, MESSAGE, RECEIPT -------------------------------------------------------------

  @Test
  void subscribeGetsAReceiptThenMessagesWithAllTheirHeaders() throws InterruptedException {
    start(PushServer.builder());
    Channel logs = server.channel("logs");
    logs.publish("line", "before");
    StompClient c = connected();
    Frame receipt = subscribe(c, "sub-0", "/topic/logs");
    assertEquals("1", receipt.header("offset"));
    assertEquals(logs.epoch(), receipt.header("epoch"));

    logs.publish("line", Map.of("text", "héllo"));
    Frame m = c.next("MESSAGE");
    assertEquals("sub-0", m.header("subscription"));
    assertEquals("/topic/logs", m.header("destination"));
    assertEquals("logs@" + logs.epoch() + ":2", m.header("message-id"));
    assertEquals("application/json", m.header("content-type"));
    assertEquals("2", m.header("offset"));
    assertEquals(logs.epoch(), m.header("epoch"));
    assertEquals("line", m.header("event"));
    assertNotNull(m.header("content-length")); // checked against the body by the client
    assertEquals("héllo", JsonParser.parseString(m.body()).getAsJsonObject().get("text").getAsString());
  }

  @Test
  void severalFramesInOneMessageAndOneFrameInSeveralMessagesAreRead() throws InterruptedException {
    start(PushServer.builder());
    StompClient c = stomp();
    c.sendRaw("CONNECT\naccept-version:1.2\n\n\0\nSUBSCRIBE\nid:a\ndestination:/topic/x\nreceipt:1\n\n\0"
        + "SUBSCRIBE\nid:b\ndestination:/topic/y\nreceipt:2\n\n\0\n");
    c.next("CONNECTED");
    assertEquals("1", c.next("RECEIPT").header("receipt-id"));
    assertEquals("2", c.next("RECEIPT").header("receipt-id"));
    c.sendRaw("SUBSCRIBE\nid:c\ndest");
    c.sendRaw("ination:/topic/z\nrece");
    c.sendFragments("ipt:3\n", "\n\0");
    assertEquals("3", c.next("RECEIPT").header("receipt-id"));
  }

  @Test
  void historyAndResumeMapToSubscribeOptions() throws InterruptedException {
    start(PushServer.builder());
    Channel ch = server.channel("hist");
    for (int i = 1; i <= 5; i++) {
      ch.publish("e", i);
    }
    StompClient c = connected();
    subscribe(c, "h", "/topic/hist", "x-history", "2");
    assertEquals("4", c.next("MESSAGE").header("offset"));
    assertEquals("5", c.next("MESSAGE").header("offset"));

    StompClient resumed = connected();
    Frame receipt = subscribe(resumed, "r", "/topic/hist", "x-since", ch.epoch() + ":2");
    assertEquals("true", receipt.header("recovered"));
    for (int offset = 3; offset <= 5; offset++) {
      assertEquals(String.valueOf(offset), resumed.next("MESSAGE").header("offset"));
    }
    StompClient lost = connected();
    assertEquals("false", subscribe(lost, "l", "/topic/hist", "x-since", "otherepoch:2").header("recovered"));
  }

  @Test
  void unsubscribeGetsAReceiptAndNoMessageOfItFollows() throws InterruptedException {
    start(PushServer.builder());
    StompClient c = connected();
    subscribe(c, "1", "/topic/gone");
    c.send("UNSUBSCRIBE", "", "id", "1", "receipt", "u1");
    assertEquals("u1", c.next("RECEIPT").header("receipt-id"));
    server.channel("gone").publish("e", "not for you");
    subscribe(c, "2", "/topic/kept");
    server.channel("kept").publish("e", "yes");
    Frame m = c.next("MESSAGE");
    assertEquals("/topic/kept", m.header("destination"));
  }

  @Test
  void aServerSideSubscriptionIsNamedByItsDestination() throws InterruptedException {
    start(PushServer.builder());
    StompClient c = connected();
    ClientConnection conn = connections.nextOpened();
    server.channel("user:42").subscribe(conn);
    server.channel("user:42").publish("note", "hi");
    Frame m = c.next("MESSAGE");
    assertEquals("/topic/user:42", m.header("subscription"));
    assertEquals("/topic/user:42", m.header("destination"));
  }

  @Test
  void whatTheHostSubscribesBeforeConnectIsDeliveredAfterConnected() throws InterruptedException {
    BlockingQueue<String> done = new LinkedBlockingQueue<>();
    server = PushServer.builder().host("127.0.0.1").port(0).connectionListener(new ConnectionListener() {
      @Override
      public void onOpen(ClientConnection connection) {
        server.channel("early").subscribe(connection);
        server.channel("early").publish("e", "first");
        done.add("subscribed");
      }
    }).build().start();
    StompClient c = stomp();
    assertEquals("subscribed", done.poll(10, TimeUnit.SECONDS));
    c.connectStomp();
    Frame m = c.next("MESSAGE");
    assertEquals("\"first\"", m.body());
  }

  // --- SEND ------------------------------------------------------------------------------------

  @Test
  void sendPublishesWhereClientsMayPublish() throws InterruptedException {
    start(PushServer.builder().allowClientPublish());
    BlockingQueue<Publication> seen = new LinkedBlockingQueue<>();
    server.channel("chat").subscribe(seen::add);
    StompClient c = connected();
    c.send("SEND", "{\"text\":\"hi\"}", "destination", "/topic/chat", "content-type", "application/json",
        "event", "said", "receipt", "p1");
    Frame receipt = c.next("RECEIPT");
    assertEquals("p1", receipt.header("receipt-id"));
    assertEquals("1", receipt.header("offset"));
    Publication p = seen.poll(10, TimeUnit.SECONDS);
    assertNotNull(p);
    assertEquals("said", p.event());
    assertEquals("hi", p.data().getAsJsonObject().get("text").getAsString());

    c.send("SEND", "plain words", "destination", "/topic/chat");
    p = seen.poll(10, TimeUnit.SECONDS);
    assertEquals("message", p.event(), "the default event");
    assertEquals("plain words", p.data().getAsString(), "not JSON: a string");

    c.send("SEND", "{not json", "destination", "/topic/chat", "content-type", "application/json;charset=utf-8");
    assertEquals("{not json", seen.poll(10, TimeUnit.SECONDS).data().getAsString());
  }

  @Test
  void sendGoesThroughTheAuthorizersPublicationHook() throws InterruptedException {
    start(PushServer.builder().allowClientPublish().channelAuthorizer(new dev.pushline.auth.ChannelAuthorizer() {
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
        return data.isJsonObject() ? new JsonPrimitive("replaced") : null;
      }
    }));
    BlockingQueue<Publication> seen = new LinkedBlockingQueue<>();
    server.channel("chat").subscribe(seen::add);
    StompClient c = connected();
    c.send("SEND", "{\"text\":\"hi\"}", "destination", "/topic/chat", "content-type", "application/json",
        "receipt", "p1");
    assertEquals("p1", c.next("RECEIPT").header("receipt-id"));
    assertEquals("replaced", seen.poll(10, TimeUnit.SECONDS).data().getAsString());

    c.send("SEND", "not an object", "destination", "/topic/chat", "receipt", "p2");
    Frame error = c.next("ERROR");
    assertError(error, "forbidden");
    assertEquals("p2", error.header("receipt-id"));
    assertEquals(1008, c.awaitClose());
    assertEquals(1, server.channel("chat").history().size(), "the refused SEND was published");
  }

  @Test
  void contentLengthCarriesABodyWithNuls() throws InterruptedException {
    start(PushServer.builder().allowClientPublish());
    BlockingQueue<Publication> seen = new LinkedBlockingQueue<>();
    server.channel("bin").subscribe(seen::add);
    StompClient c = connected();
    c.send("SEND", "a\0b\0€", "destination", "/topic/bin", "content-length", "7", "receipt", "r");
    c.next("RECEIPT");
    assertEquals("a\0b\0€", seen.poll(10, TimeUnit.SECONDS).data().getAsString());
  }

  @Test
  void sendWhereClientsMayNotPublishIsAnErrorWithTheReceiptIdThenClose() throws InterruptedException {
    start(PushServer.builder());
    StompClient c = connected();
    c.send("SEND", "x", "destination", "/topic/chat", "receipt", "p9");
    Frame error = c.next("ERROR");
    assertError(error, "forbidden");
    assertEquals("p9", error.header("receipt-id"));
    assertEquals(1008, c.awaitClose());
    assertEquals(1008, connections.nextCloseCode());
  }

  @Test
  void channelAuthorizationAppliesToStompSubscriptions() throws InterruptedException {
    start(PushServer.builder().channelAuthorizer(new dev.pushline.auth.ChannelAuthorizer() {
      @Override
      public boolean maySubscribe(Principal principal, String channel) {
        return !channel.startsWith("secret");
      }

      @Override
      public boolean mayPublish(Principal principal, String channel) {
        return false;
      }
    }));
    StompClient c = connected();
    c.send("SUBSCRIBE", "", "id", "1", "destination", "/topic/secret", "receipt", "x");
    Frame error = c.next("ERROR");
    assertError(error, "forbidden");
    assertEquals("x", error.header("receipt-id"));
    assertEquals(1008, c.awaitClose());
  }

  // --- escaping --------------------------------------------------------------------------------

  @Test
  void escapedHeadersRoundTrip() throws InterruptedException {
    start(PushServer.builder().allowClientPublish());
    StompClient c = connected();
    // written escaped, as a 1.2 client must: a\cb\\c is "a:b\c"
    c.send("SUBSCRIBE", "", "id", "a\\cb\\\\c", "destination", "/topic/room\\clobby", "receipt", "r\\c1");
    assertEquals("r:1", c.next("RECEIPT").header("receipt-id"));
    c.send("SEND", "1", "destination", "/topic/room\\clobby", "event", "ev\\cwith\\nline\\\\");
    Frame m = c.next("MESSAGE");
    assertEquals("/topic/room:lobby", m.header("destination"));
    assertEquals("ev:with\nline\\", m.header("event"));
    assertEquals("a:b\\c", m.header("subscription"));
    assertTrue(m.header("message-id").startsWith("room:lobby@"), m.header("message-id"));
  }

  // --- errors: ERROR then close, never a crash -------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {
      "HELLO\n\n\0",
      "SEND\ndestination:/queue/a\n\n\0",
      "SEND\ndestination:/topic/a\ncontent-length:1\n\nab\0",
      "SUBSCRIBE\ndestination:/topic/a\n\n\0",
      "SUBSCRIBE\nid:1\ndestination:/topic/a\nack:client\n\n\0",
      "SUBSCRIBE\nid:1\ndestination:/topic/a\nack:client-individual\n\n\0",
      "ACK\nid:1\n\n\0",
      "BEGIN\ntransaction:t\n\n\0",
      "SEND\ndestination:/topic/a\ntransaction:t\n\n\0",
      "UNSUBSCRIBE\nid:nope\n\n\0",
      "SEND\nk:\\t\n\n\0",
      "SUBSCRIBE\nid:1\ndestination:/topic/bad channel\n\n\0",
      "SUBSCRIBE\nid:1\ndestination:/topic/a\nx-history:lots\n\n\0",
      "SUBSCRIBE\nid:1\ndestination:/topic/a\nx-since:7\n\n\0",
  })
  void aBadFrameIsAnErrorAndClosesWhileOthersOnTheChannelKeepReceiving(String frame) throws InterruptedException {
    start(PushServer.builder());
    StompClient good = connected();
    subscribe(good, "g", "/topic/a");
    JdkClient nativeClient = JdkClient.connect(http, uri());
    clients.add(nativeClient);
    nativeClient.subscribe("a");

    StompClient bad = connected();
    bad.sendRaw(frame);
    assertEquals("ERROR", bad.next().command());
    int code = bad.awaitClose();
    assertTrue(code == 1002 || code == 1008, "close code " + code);

    server.channel("a").publish("e", "still here");
    assertEquals("\"still here\"", good.next("MESSAGE").body());
    assertEquals("publication", nativeClient.nextJson().get("type").getAsString());
  }

  @Test
  void twoSubscriptionsToOneDestinationAreRefused() throws InterruptedException {
    start(PushServer.builder());
    StompClient c = connected();
    subscribe(c, "1", "/topic/dup");
    c.send("SUBSCRIBE", "", "id", "2", "destination", "/topic/dup");
    assertError(c.next(), "already subscribed");
    assertEquals(1002, c.awaitClose());
  }

  @Test
  void theSubscriptionLimitApplies() throws InterruptedException {
    start(PushServer.builder().maxSubscriptionsPerConnection(1));
    StompClient c = connected();
    subscribe(c, "1", "/topic/one");
    c.send("SUBSCRIBE", "", "id", "2", "destination", "/topic/two");
    assertError(c.next(), "limit_exceeded");
    assertEquals(1008, c.awaitClose());
  }

  @Test
  void aFrameOverTheMessageLimitIsAnError() throws InterruptedException {
    start(PushServer.builder().maxMessageBytes(4096).allowClientPublish());
    StompClient c = connected();
    // a frame split over messages, each under the WebSocket limit, together over it
    for (int i = 0; i < 3; i++) {
      c.sendRaw(i == 0 ? "SEND\ndestination:/topic/a\n\n" + "x".repeat(2000) : "x".repeat(2000));
    }
    assertError(c.next(), "4096");
    assertEquals(1002, c.awaitClose());
  }

  @Test
  void theInboundRateLimitAppliesToFramesAndTheFirstRefusalCloses() throws InterruptedException {
    start(PushServer.builder().allowClientPublish().inboundRateLimit(1, 2));
    StompClient c = connected();
    String send = "SEND\ndestination:/topic/r\n\nx\0";
    c.sendRaw(send + send + send);
    assertError(c.next(), "rate_limited");
    assertEquals(CloseCodes.RATE_LIMITED, c.awaitClose());
  }

  @Test
  void anEngineCloseIsAnErrorWithTheCodeThenTheSameClose() throws InterruptedException {
    start(PushServer.builder());
    StompClient c = connected();
    connections.nextOpened().close(4001, "go away");
    assertError(c.next(), "4001 go away");
    assertEquals(4001, c.awaitClose());
  }

  // --- authentication --------------------------------------------------------------------------

  private void startWithAuthenticator() {
    start(PushServer.builder().authenticator(request -> "good".equals(request.token())
        ? ConnectDecision.accept(Principal.user("alice"))
        : ConnectDecision.reject("bad token")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"passcode", "token", "Authorization"})
  void connectCredentialsGoToTheAuthenticator(String header) throws InterruptedException {
    startWithAuthenticator();
    StompClient c = stomp();
    String value = header.equals("Authorization") ? "Bearer good" : "good";
    Frame connected = c.connectStomp("login", "alice", header, value);
    assertEquals("CONNECTED", connected.command(), connected.toString());
    assertEquals("alice", connections.nextOpened().principal().userId());
  }

  @Test
  void refusedCredentialsAreAnErrorThenClose3501() throws InterruptedException {
    startWithAuthenticator();
    StompClient c = stomp();
    assertError(c.connectStomp("passcode", "bad"), "unauthorized");
    assertEquals(3501, c.awaitClose());
  }

  @Test
  void noCredentialsWhereTheyAreNeededAreAnErrorThenClose3501() throws InterruptedException {
    startWithAuthenticator();
    StompClient c = stomp();
    assertError(c.connectStomp(), "unauthorized");
    assertEquals(3501, c.awaitClose());
  }

  @Test
  void theAuthorizationHeaderBeatsTokenWhichBeatsPasscode() throws InterruptedException {
    startWithAuthenticator();
    StompClient c = stomp();
    assertEquals("CONNECTED", c.connectStomp("Authorization", "Bearer good", "token", "bad", "passcode", "bad")
        .command());
    StompClient d = stomp();
    assertEquals("CONNECTED", d.connectStomp("token", "good", "passcode", "bad").command());
  }

  @Test
  void noConnectWithinTheConnectTimeoutIsAnErrorThenClose3501() throws InterruptedException {
    start(PushServer.builder().connectTimeout(Duration.ofMillis(200))
        .authenticator(request -> ConnectDecision.reject("never")));
    StompClient c = stomp();
    assertError(c.next(), "3501 no connect message");
    assertEquals(3501, c.awaitClose());
  }

  @Test
  void credentialsOnTheOpeningRequestStillWork() throws InterruptedException {
    startWithAuthenticator();
    StompClient c = StompClient.connect(http, uri(), Map.of("Authorization", "Bearer good"), STOMP);
    clients.add(c);
    assertEquals("CONNECTED", c.connectStomp().command());
  }

  // --- DISCONNECT, heart-beats -----------------------------------------------------------------

  @Test
  void disconnectWithAReceiptGetsItThenTheClose() throws InterruptedException {
    start(PushServer.builder());
    StompClient c = connected();
    c.send("DISCONNECT", "", "receipt", "bye-1");
    assertEquals("bye-1", c.next("RECEIPT").header("receipt-id"));
    assertEquals(1000, c.awaitClose());
  }

  @Test
  void heartBeatsGoBothWaysAndASilentClientIsDropped() throws InterruptedException {
    start(PushServer.builder().pingInterval(Duration.ofMillis(100)));
    StompClient c = stomp();
    // the client can send every 300 ms and wants to hear from the server every 50 ms
    Frame connected = c.connectStomp("heart-beat", "300,50");
    assertEquals("100,100", connected.header("heart-beat"));
    // the server sends every max(50, 100) ms; the client answers each one, far more often than it must
    for (int i = 0; i < 12; i++) { // 1.2 s: twice the 600 ms after which a silent client is dropped
      c.awaitHeartBeat();
      c.sendRaw("\n");
    }
    subscribe(c, "alive", "/topic/alive");
    // now silent: the server expects one every max(300, 100) ms and drops the client after two intervals
    Frame error = c.next("ERROR");
    assertTrue(error.header("message").contains("heart-beat"), error.toString());
    assertEquals(1002, c.awaitClose());
  }

  @Test
  void withoutHeartBeatsAskedNoneAreSent() throws InterruptedException {
    start(PushServer.builder().pingInterval(Duration.ofMillis(20)));
    StompClient quiet = stomp();
    quiet.connectStomp("heart-beat", "0,0");
    StompClient beating = stomp();
    beating.connectStomp("heart-beat", "0,20");
    for (int i = 0; i < 5; i++) { // five intervals at least
      beating.awaitHeartBeat();
    }
    assertEquals(0, quiet.heartBeatCount());
    subscribe(quiet, "still", "/topic/still"); // and it is still connected
  }

  // --- the engine's guarantees -----------------------------------------------------------------

  @Test
  void nativeAndStompClientsGetTheSamePublicationsInTheSameOrder() throws InterruptedException {
    start(PushServer.builder().allowClientPublish());
    JdkClient nativeClient = JdkClient.connect(http, uri());
    clients.add(nativeClient);
    nativeClient.subscribe("mix");
    StompClient a = connected();
    subscribe(a, "sub-0", "/topic/mix");
    StompClient b = connected();
    subscribe(b, "sub-0", "/topic/mix"); // the same subscription id: the frame is shared

    Channel mix = server.channel("mix");
    Thread host = new Thread(() -> {
      for (int i = 0; i < 200; i++) {
        mix.publish("host", i);
      }
    }, "test-publisher");
    host.start();
    for (int i = 0; i < 50; i++) {
      a.send("SEND", "{\"n\":" + i + "}", "destination", "/topic/mix", "content-type", "application/json");
    }
    for (int offset = 1; offset <= 250; offset++) {
      JsonObject p = nativeClient.nextJson();
      assertEquals(offset, p.get("offset").getAsLong(), p.toString());
      for (StompClient s : List.of(a, b)) {
        Frame m = s.next("MESSAGE");
        assertEquals(String.valueOf(offset), m.header("offset"));
        assertEquals(p.get("event").getAsString(), m.header("event"));
        assertEquals(p.get("data"), JsonParser.parseString(m.body()));
      }
    }
    host.join(10_000);
  }

  @Test
  void aStompClientThatStopsReadingIsClosedAsASlowConsumer() throws Exception {
    long limit = 64 * 1024;
    start(PushServer.builder().maxQueuedBytes(limit));
    Socket raw = new Socket();
    raw.setReceiveBufferSize(4096);
    raw.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
    raw.setSoTimeout(10_000);
    clients.add(raw);
    RawWebSocket ws = RawWebSocket.upgrade(raw, "/pushline", Map.of("Sec-WebSocket-Protocol", "v12.stomp"));
    ws.sendText("CONNECT\naccept-version:1.2\n\n\0SUBSCRIBE\nid:0\ndestination:/topic/flood\nreceipt:r\n\n\0");
    assertTrue(ws.readText().startsWith("CONNECTED"));
    assertTrue(ws.readText().startsWith("RECEIPT"));
    ClientConnection stalled = connections.nextOpened();

    Channel flood = server.channel("flood");
    String chunk = "f".repeat(16 * 1024);
    long maxQueued = 0;
    for (int i = 0; i < 2_000 && server.stats().slowConsumerDisconnects() == 0; i++) {
      flood.publish("e", chunk);
      maxQueued = Math.max(maxQueued, stalled.queuedBytes());
    }
    assertEquals(1, server.stats().slowConsumerDisconnects());
    // checked with each publication's v1 size; the STOMP frame is a few hundred bytes larger
    assertTrue(maxQueued <= limit + 1024, "queued " + maxQueued);
    // reading again: the bounded backlog, then ERROR with the code, then the close
    String last = null;
    RawWebSocket.Frame f;
    while ((f = ws.readFrame()).opcode() != RawWebSocket.CLOSE) {
      last = f.text();
    }
    assertTrue(last != null && last.startsWith("ERROR\n") && last.contains("message:3001 slow consumer"), last);
    assertEquals(CloseCodes.SLOW_CONSUMER, f.closeCode());
  }

  @Test
  void closingTheServerLeavesNoStompThread() throws InterruptedException {
    Set<String> before = Threads.serverThreads();
    start(PushServer.builder().pingInterval(Duration.ofMillis(50)));
    StompClient c = stomp();
    c.connectStomp("heart-beat", "0,50");
    c.awaitHeartBeat();
    assertTrue(Threads.startedSince(before).stream().anyMatch(t -> t.startsWith("pushline-stomp-heartbeat")));
    server.close();
    assertEquals(1001, c.awaitClose());
    assertEquals(Set.of(), Threads.startedSince(before));
    server = null;
  }

  @Test
  void aSubscribedStompClientCountsAsAConnectionWithItsChannels() throws InterruptedException {
    start(PushServer.builder());
    StompClient c = connected();
    subscribe(c, "1", "/topic/counted");
    ClientConnection conn = connections.nextOpened();
    assertEquals(Set.of("counted"), conn.channels());
    assertEquals(1, server.connectionCount());
    c.close();
    connections.nextCloseCode();
    assertEquals(0, server.connectionCount());
    assertEquals(Set.of(), conn.channels());
  }
}
