package dev.pushline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pushline.transport.MemoryTransport;
import dev.pushline.transport.MemoryTransport.Peer;
import dev.pushline.transport.OutboundMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Protocol v1 as the engine speaks it, through the in-memory transport. */
class ProtocolTest {

  private final MemoryTransport transport = new MemoryTransport();
  private PushServer server;

  @AfterEach
  void close() {
    if (server != null) {
      server.close();
    }
  }

  private PushServer start(PushServer.Builder builder) {
    server = builder.transport(transport).build().start();
    return server;
  }

  private PushServer start() {
    return start(PushServer.builder());
  }

  private static JsonObject json(String text) {
    return JsonParser.parseString(text).getAsJsonObject();
  }

  private static JsonObject next(Peer peer) {
    return json(peer.next());
  }

  /** Connects and reads the welcome. */
  private Peer connect() {
    Peer peer = transport.connect();
    JsonObject welcome = next(peer);
    assertEquals("welcome", welcome.get("type").getAsString());
    return peer;
  }

  private static JsonObject subscribe(Peer peer, int id, String channel) {
    peer.send("{\"type\":\"subscribe\",\"id\":" + id + ",\"channel\":\"" + channel + "\"}");
    return next(peer);
  }

  private static void assertError(JsonObject reply, Long id, String code) {
    assertEquals("error", reply.get("type").getAsString(), reply.toString());
    assertEquals(code, reply.get("code").getAsString(), reply.toString());
    if (id == null) {
      assertFalse(reply.has("id"), reply.toString());
    } else {
      assertEquals(id.longValue(), reply.get("id").getAsLong(), reply.toString());
    }
    assertFalse(reply.get("message").getAsString().isBlank());
  }

  @Test
  void welcomeIsTheFirstFrame() {
    start(PushServer.builder().maxSubscriptionsPerConnection(7).maxMessageBytes(4096));
    JsonObject welcome = next(transport.connect());
    assertEquals("welcome", welcome.get("type").getAsString());
    assertEquals(1, welcome.get("protocol").getAsInt());
    assertFalse(welcome.get("client").getAsString().isEmpty());
    assertEquals(4096, welcome.get("maxMessageBytes").getAsInt());
    assertEquals(7, welcome.get("maxSubscriptions").getAsInt());
  }

  @Test
  void clientIdsAreUnique() {
    start();
    String a = next(transport.connect()).get("client").getAsString();
    String b = next(transport.connect()).get("client").getAsString();
    assertNotEquals(a, b);
  }

  @Test
  void subscribeRepliesWithCurrentOffsetThenPublicationsFollowInOrder() {
    start();
    Channel logs = server.channel("logs");
    assertEquals(1, logs.publish("line", "before"));
    assertEquals(2, logs.publish("line", "before"));
    Peer peer = connect();

    JsonObject subscribed = subscribe(peer, 1, "logs");
    assertEquals("subscribed", subscribed.get("type").getAsString());
    assertEquals(1, subscribed.get("id").getAsInt());
    assertEquals("logs", subscribed.get("channel").getAsString());
    assertEquals(2, subscribed.get("offset").getAsLong());
    assertEquals(logs.epoch(), subscribed.get("epoch").getAsString());

    for (int i = 0; i < 50; i++) {
      logs.publish("line", Map.of("n", i));
    }
    for (int i = 0; i < 50; i++) {
      JsonObject p = next(peer);
      assertEquals("publication", p.get("type").getAsString());
      assertEquals("logs", p.get("channel").getAsString());
      assertEquals(3 + i, p.get("offset").getAsLong());
      assertEquals("line", p.get("event").getAsString());
      assertEquals(i, p.getAsJsonObject("data").get("n").getAsInt());
    }
    assertTrue(peer.idle());
  }

  @Test
  void publicationIsFramedOnceAndSharedByAllRecipients() throws InterruptedException {
    start();
    List<Peer> peers = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      Peer p = connect();
      subscribe(p, 1, "fanout");
      peers.add(p);
    }
    int before = transport.preparedCount();
    server.channel("fanout").publish("tick", 42);
    assertEquals(before + 1, transport.preparedCount(), "one frame for 20 recipients");
    OutboundMessage first = peers.get(0).nextMessage();
    for (Peer p : peers.subList(1, peers.size())) {
      assertSame(first, p.nextMessage());
    }
  }

  @Test
  void unsubscribeStopsDeliveryAfterTheReply() {
    start();
    Channel ch = server.channel("news");
    Peer peer = connect();
    subscribe(peer, 1, "news");
    ch.publish("e", 1);
    assertEquals(1, next(peer).get("offset").getAsLong());

    peer.send("{\"type\":\"unsubscribe\",\"id\":2,\"channel\":\"news\"}");
    JsonObject reply = next(peer);
    assertEquals("unsubscribed", reply.get("type").getAsString());
    assertEquals(2, reply.get("id").getAsInt());
    assertEquals("news", reply.get("channel").getAsString());
    ch.publish("e", 2);
    assertTrue(peer.idle(), "nothing after unsubscribed");
    assertEquals(0, ch.subscriberCount());
  }

  @Test
  void pingGetsPong() {
    start();
    Peer peer = connect();
    peer.send("{\"type\":\"ping\",\"id\":9007199254740992}");
    JsonObject pong = next(peer);
    assertEquals("pong", pong.get("type").getAsString());
    assertEquals(9007199254740992L, pong.get("id").getAsLong());
    peer.send("{\"type\":\"ping\"}");
    assertFalse(next(peer).has("id"));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "not json", "{", "", "   ", "[1,2]", "\"text\"", "42", "null", "{\"type\":\"ping\"} trailing",
      "{type:'ping'}", "{\"type\":\"ping\",}", "/* c */ {\"type\":\"ping\"}"})
  void malformedJsonGetsBadRequestWithoutId(String text) {
    start();
    Peer peer = connect();
    peer.send(text);
    assertError(next(peer), null, "bad_request");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"id\":5}|5|bad_request",
      "{\"id\":5,\"type\":7}|5|bad_request",
      "{\"id\":5,\"type\":null}|5|bad_request",
      "{\"id\":5,\"type\":\"bogus\"}|5|unknown_type",
      "{\"id\":5,\"type\":\"subscribe\"}|5|bad_request",
      "{\"id\":5,\"type\":\"subscribe\",\"channel\":3}|5|bad_request",
      "{\"id\":5,\"type\":\"subscribe\",\"channel\":[\"a\"]}|5|bad_request",
      "{\"id\":5,\"type\":\"subscribe\",\"channel\":\"\"}|5|invalid_channel",
      "{\"id\":5,\"type\":\"subscribe\",\"channel\":\"a b\"}|5|invalid_channel",
      "{\"id\":5,\"type\":\"subscribe\",\"channel\":\"a*\"}|5|invalid_channel",
      "{\"id\":5,\"type\":\"subscribe\",\"channel\":\"caf\u00e9\"}|5|invalid_channel",
      "{\"id\":5,\"type\":\"unsubscribe\",\"channel\":\"never\"}|5|not_subscribed",
      "{\"id\":5,\"type\":\"publish\",\"channel\":\"c\",\"event\":\"e\"}|5|forbidden",
      "{\"id\":-1,\"type\":\"ping\"}||bad_request",
      "{\"id\":1.5,\"type\":\"ping\"}||bad_request",
      "{\"id\":\"7\",\"type\":\"ping\"}||bad_request",
      "{\"id\":9007199254740993,\"type\":\"ping\"}||bad_request",
      "{\"id\":1e400,\"type\":\"ping\"}||bad_request",
  })
  void badRequestsGetErrorsWithStableCodes(String request, Long id, String code) {
    start();
    Peer peer = connect();
    peer.send(request);
    assertError(next(peer), id, code);
  }

  @Test
  void overlongChannelNameIsInvalid() {
    start();
    Peer peer = connect();
    assertEquals("subscribed", subscribe(peer, 1, "x".repeat(255)).get("type").getAsString());
    assertError(subscribe(peer, 2, "x".repeat(256)), 2L, "invalid_channel");
  }

  @Test
  void channelNamesLongerThanTheConfiguredLimitAreInvalidEverywhereAClientNamesOne() {
    start(PushServer.builder().maxChannelNameLength(16).allowClientPublish());
    Peer peer = connect();
    assertEquals("subscribed", subscribe(peer, 1, "x".repeat(16)).get("type").getAsString());
    assertError(subscribe(peer, 2, "x".repeat(17)), 2L, "invalid_channel");
    peer.send("{\"type\":\"publish\",\"id\":3,\"channel\":\"" + "y".repeat(17) + "\",\"event\":\"e\"}");
    assertError(next(peer), 3L, "invalid_channel");
    peer.send("{\"type\":\"unsubscribe\",\"id\":4,\"channel\":\"" + "x".repeat(17) + "\"}");
    assertError(next(peer), 4L, "invalid_channel");
  }

  @Test
  void subscribingTwiceIsAnErrorAndKeepsTheFirstSubscription() {
    start();
    Peer peer = connect();
    subscribe(peer, 1, "dup");
    assertError(subscribe(peer, 2, "dup"), 2L, "already_subscribed");
    server.channel("dup").publish("e", "x");
    assertEquals(1, next(peer).get("offset").getAsLong());
    assertTrue(peer.idle(), "exactly one copy");
  }

  @Test
  void subscriptionsPastTheLimitAreRefused() {
    start(PushServer.builder().maxSubscriptionsPerConnection(3));
    Peer peer = connect();
    for (int i = 0; i < 3; i++) {
      assertEquals("subscribed", subscribe(peer, i, "c" + i).get("type").getAsString());
    }
    for (int i = 3; i < 100; i++) {
      assertError(subscribe(peer, i, "c" + i), (long) i, "limit_exceeded");
    }
    peer.send("{\"type\":\"unsubscribe\",\"id\":200,\"channel\":\"c0\"}");
    next(peer);
    assertEquals("subscribed", subscribe(peer, 201, "again").get("type").getAsString());
  }

  @Test
  void errorsLeaveOtherSubscriptionsWorking() {
    start();
    Peer peer = connect();
    subscribe(peer, 1, "keep");
    peer.send("garbage");
    peer.send("{\"type\":\"subscribe\",\"channel\":\"bad name\"}");
    assertError(next(peer), null, "bad_request");
    assertError(next(peer), null, "invalid_channel");
    server.channel("keep").publish("e", 1);
    assertEquals("publication", next(peer).get("type").getAsString());
    assertEquals(-1, peer.closeCode(), "still open");
  }

  @Test
  void clientPublishIsForbiddenByDefault() {
    start();
    Peer peer = connect();
    subscribe(peer, 1, "chat");
    peer.send("{\"type\":\"publish\",\"id\":3,\"channel\":\"chat\",\"event\":\"message\",\"data\":{}}");
    assertError(next(peer), 3L, "forbidden");
    assertEquals(0, server.channel("chat").offset());
    assertTrue(peer.idle());
  }

  @Test
  void clientPublishWhenAllowedReachesSubscribersAndReturnsOffset() {
    start(PushServer.builder().allowClientPublish());
    Peer reader = connect();
    subscribe(reader, 1, "chat");
    Peer writer = connect();
    writer.send("{\"type\":\"publish\",\"id\":3,\"channel\":\"chat\",\"event\":\"message\",\"data\":{\"text\":\"hi\"}}");
    JsonObject published = next(writer);
    assertEquals("published", published.get("type").getAsString());
    assertEquals(3, published.get("id").getAsInt());
    assertEquals(1, published.get("offset").getAsLong());
    assertEquals(server.channel("chat").epoch(), published.get("epoch").getAsString());
    JsonObject p = next(reader);
    assertEquals("hi", p.getAsJsonObject("data").get("text").getAsString());
    assertEquals("message", p.get("event").getAsString());

    writer.send("{\"type\":\"publish\",\"id\":4,\"channel\":\"chat\",\"event\":\"\"}");
    assertError(next(writer), 4L, "bad_request");
    writer.send("{\"type\":\"publish\",\"id\":5,\"channel\":\"chat\",\"event\":\"" + "e".repeat(256) + "\"}");
    assertError(next(writer), 5L, "bad_request");
    writer.send("{\"type\":\"publish\",\"id\":6,\"channel\":\"chat\",\"event\":\"nodata\"}");
    assertEquals(2, next(writer).get("offset").getAsLong());
    assertTrue(next(reader).get("data").isJsonNull());
  }

  @Test
  void anUnusedChannelKeepsItsStreamForAWhile() {
    start();
    Peer peer = connect();
    String epoch1 = subscribe(peer, 1, "temp").get("epoch").getAsString();
    peer.send("{\"type\":\"unsubscribe\",\"id\":2,\"channel\":\"temp\"}");
    next(peer);
    String epoch2 = subscribe(peer, 3, "temp").get("epoch").getAsString();
    assertEquals(epoch1, epoch2, "a client that comes back soon finds the same stream");

    Channel kept = server.channel("kept");
    kept.publish("e", 1);
    JsonObject s = subscribe(peer, 4, "kept");
    peer.send("{\"type\":\"unsubscribe\",\"id\":5,\"channel\":\"kept\"}");
    next(peer);
    JsonObject again = subscribe(peer, 6, "kept");
    assertEquals(s.get("epoch"), again.get("epoch"));
    assertEquals(1, again.get("offset").getAsLong());
    assertEquals(kept, server.channel("kept"), "handles of one name are equal");
  }

  @Test
  void hostSendsToOneClientAndSubscribesItServerSide() throws InterruptedException {
    java.util.concurrent.BlockingQueue<ClientConnection> opened =
        new java.util.concurrent.LinkedBlockingQueue<>();
    start(PushServer.builder().connectionListener(new ConnectionListener() {
      @Override
      public void onOpen(ClientConnection connection) {
        opened.add(connection);
      }
    }));
    Peer peer = connect();
    ClientConnection conn = opened.poll(5, java.util.concurrent.TimeUnit.SECONDS);
    assertNotNull(conn);
    assertTrue(conn.send("notice", Map.of("text", "hello")));
    JsonObject message = next(peer);
    assertEquals("message", message.get("type").getAsString());
    assertEquals("notice", message.get("event").getAsString());
    assertEquals("hello", message.getAsJsonObject("data").get("text").getAsString());

    Channel personal = server.channel("user:42");
    assertTrue(personal.subscribe(conn));
    assertFalse(personal.subscribe(conn), "already subscribed");
    JsonObject subscribed = next(peer);
    assertEquals("subscribed", subscribed.get("type").getAsString());
    assertFalse(subscribed.has("id"));
    assertEquals(java.util.Set.of("user:42"), conn.channels());
    personal.publish("n", 1);
    assertEquals("publication", next(peer).get("type").getAsString());
    assertTrue(personal.unsubscribe(conn));
    assertEquals("unsubscribed", next(peer).get("type").getAsString());
  }

  @Test
  void hostClosesAClientWithACodeFromTheDocumentedRanges() throws InterruptedException {
    java.util.concurrent.BlockingQueue<ClientConnection> opened =
        new java.util.concurrent.LinkedBlockingQueue<>();
    java.util.concurrent.BlockingQueue<Integer> closed = new java.util.concurrent.LinkedBlockingQueue<>();
    start(PushServer.builder().connectionListener(new ConnectionListener() {
      @Override
      public void onOpen(ClientConnection connection) {
        opened.add(connection);
      }

      @Override
      public void onClosed(ClientConnection connection, int code, String reason) {
        closed.add(code);
      }
    }));
    Peer peer = connect();
    ClientConnection conn = opened.poll(5, java.util.concurrent.TimeUnit.SECONDS);
    assertThrows(IllegalArgumentException.class, () -> conn.close(1000, "no"));
    assertThrows(IllegalArgumentException.class, () -> conn.close(5000, "no"));
    assertThrows(IllegalArgumentException.class, () -> conn.close(3001, "no"));
    conn.close("banned");
    assertEquals(CloseCodes.DISCONNECT, peer.closeCode());
    assertEquals("banned", peer.closeReason());
    assertEquals(CloseCodes.DISCONNECT, closed.poll(5, java.util.concurrent.TimeUnit.SECONDS));
    assertFalse(conn.isOpen());
    assertFalse(conn.send("late", null));
    assertEquals(0, server.connectionCount());
  }

  @Test
  void closingTheServerClosesClientsWithGoingAway() {
    start();
    Peer peer = connect();
    subscribe(peer, 1, "x");
    server.close();
    assertEquals(CloseCodes.GOING_AWAY, peer.closeCode());
    assertThrows(IllegalStateException.class, () -> server.channel("x").publish("e", 1));
  }

  @Test
  void disconnectRemovesTheClientFromItsChannels() {
    start();
    Channel ch = server.channel("room");
    Peer a = connect();
    Peer b = connect();
    subscribe(a, 1, "room");
    subscribe(b, 1, "room");
    assertEquals(2, ch.subscriberCount());
    a.disconnect(1001);
    assertEquals(1, ch.subscriberCount());
    assertEquals(1, server.connectionCount());
    ch.publish("e", 1);
    assertEquals(1, next(b).get("offset").getAsLong());
  }
}
