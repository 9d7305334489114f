package dev.pushline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pushline.transport.MemoryTransport;
import dev.pushline.transport.MemoryTransport.Peer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link PushServer#stats()} after known traffic, through the in-memory transport, where a message's size
 * is its length and a message the test has not read counts as queued.
 */
class ServerStatsTest {

  private final MemoryTransport transport = new MemoryTransport();
  private PushServer server;
  /** Sizes of everything the server sent and the test read, and of everything the test sent (UTF-8). */
  private long bytesRead;
  private long bytesSent;
  private long charsSent;

  @AfterEach
  void close() {
    if (server != null) {
      server.close();
    }
  }

  private void start(PushServer.Builder builder) {
    server = builder.transport(transport).build().start();
  }

  private JsonObject next(Peer peer) {
    String text = peer.next();
    bytesRead += text.length();
    return JsonParser.parseString(text).getAsJsonObject();
  }

  private void send(Peer peer, String text) {
    bytesSent += text.getBytes(StandardCharsets.UTF_8).length;
    charsSent += text.length();
    peer.send(text);
  }

  /** Connects, reads the welcome, and returns the peer; its id goes to {@code ids}. */
  private Peer connect(List<String> ids) {
    Peer peer = transport.connect();
    ids.add(next(peer).get("client").getAsString());
    return peer;
  }

  private JsonObject request(Peer peer, String json) {
    send(peer, json);
    return next(peer);
  }

  private JsonObject subscribe(Peer peer, String channel, String extra) {
    return request(peer, "{\"type\":\"subscribe\",\"id\":1,\"channel\":\"" + channel + "\"" + extra + "}");
  }

  private static void assertType(String type, JsonObject frame) {
    assertEquals(type, frame.get("type").getAsString(), frame.toString());
  }

  @Test
  void countsConnectionsSubscriptionsPublicationsDeliveriesAndBytes() {
    start(PushServer.builder().allowClientPublish());
    List<String> ids = new ArrayList<>();
    Peer a = connect(ids);
    Peer b = connect(ids);
    assertType("subscribed", subscribe(a, "news", ""));
    assertType("subscribed", subscribe(b, "news", ""));
    Channel news = server.channel("news");
    news.subscribe(p -> { });

    for (int i = 0; i < 3; i++) {
      news.publish("headline", Map.of("n", i));
    }
    for (int i = 0; i < 3; i++) {
      assertType("publication", next(a));
      assertType("publication", next(b));
    }
    // A client publication with non-ASCII data: bytes in are UTF-8 bytes, not chars.
    send(a, "{\"type\":\"publish\",\"id\":2,\"channel\":\"news\",\"event\":\"e\",\"data\":\"caf\u00e9 \u20ac \ud83d\ude00\"}");
    assertType("publication", next(a)); // queued to every subscriber before the reply
    assertType("published", next(a));
    assertType("publication", next(b));
    // A late subscriber asks for the last two: replays count as deliveries.
    Peer c = connect(ids);
    assertType("subscribed", subscribe(c, "news", ",\"history\":2"));
    assertType("publication", next(c));
    assertType("publication", next(c));

    ServerStats s = server.stats();
    assertEquals(3, s.connections());
    assertEquals(3, s.connectionsOpened());
    assertEquals(1, s.channels());
    assertEquals(3, s.subscriptions());
    assertEquals(1, s.inProcessSubscriptions());
    assertEquals(4, s.publications());
    assertEquals(1, s.clientPublications());
    assertEquals(4 * 2 + 2, s.deliveries(), "4 publications to 2 clients, 2 replayed to the third");
    assertEquals(bytesRead, s.bytesOut(), "every frame the clients got, replies and welcomes included");
    assertEquals(bytesSent, s.bytesIn());
    assertTrue(s.bytesIn() > charsSent, "UTF-8 bytes, more than chars here");
    assertEquals(0, s.queuedBytes(), "the test read everything");
    assertEquals(0, s.largestQueueBytes());
    assertTrue(s.errors().values().stream().allMatch(n -> n == 0), s.errors().toString());
    assertTrue(s.closes().isEmpty());

    a.disconnect(1000);
    b.disconnect(1006);
    c.disconnect(1006);
    s = server.stats();
    assertEquals(0, s.connections());
    assertEquals(3, s.connectionsOpened());
    assertEquals(0, s.subscriptions());
    assertEquals(1, s.inProcessSubscriptions());
    assertEquals(Map.of(1000, 1L, 1006, 2L), s.closes());
    assertEquals(2, s.closes(1006));
    assertEquals(0, s.closes(3001));
  }

  @Test
  void countsErrorRepliesByCode() {
    start(PushServer.builder().maxSubscriptionsPerConnection(1));
    Peer p = connect(new ArrayList<>());
    List<String> requests = List.of(
        "not json",
        "{\"type\":\"bogus\"}",
        "{\"type\":\"subscribe\",\"channel\":\"a b\"}",
        "{\"type\":\"subscribe\",\"channel\":\"one\"}",
        "{\"type\":\"subscribe\",\"channel\":\"one\"}",
        "{\"type\":\"subscribe\",\"channel\":\"two\"}",
        "{\"type\":\"unsubscribe\",\"channel\":\"never\"}",
        "{\"type\":\"publish\",\"channel\":\"one\",\"event\":\"e\"}",
        "{\"id\":-1,\"type\":\"ping\"}");
    for (String r : requests) {
      send(p, r);
      next(p);
    }
    Map<String, Long> expected = new HashMap<>();
    for (String code : server.stats().errors().keySet()) {
      expected.put(code, 0L);
    }
    expected.putAll(Map.of("bad_request", 2L, "unknown_type", 1L, "invalid_channel", 1L,
        "already_subscribed", 1L, "limit_exceeded", 1L, "not_subscribed", 1L, "forbidden", 1L));
    assertEquals(expected, server.stats().errors());
    assertEquals(2, server.stats().errors("bad_request"));
    assertEquals(0, server.stats().errors("no_such_code"));
  }

  /** The snapshot lists every code of the protocol document's error table, and no other. */
  @Test
  void errorCodesAreThoseOfTheProtocolDocument() throws IOException {
    String doc = Files.readString(Path.of("..", "src", "site", "markdown", "protocol.md"));
    String errors = doc.substring(doc.indexOf("## Errors"), doc.indexOf("## Channel names"));
    Matcher row = Pattern.compile("(?m)^\\| `([a-z_]+)` \\|").matcher(errors);
    List<String> documented = new ArrayList<>();
    while (row.find()) {
      documented.add(row.group(1));
    }
    assertFalse(documented.isEmpty());
    start(PushServer.builder());
    assertEquals(Set.copyOf(documented), server.stats().errors().keySet());
  }

  @Test
  void queuedBytesAreSummedOverConnectionsAndTheLargestIsReported() {
    start(PushServer.builder());
    List<String> ids = new ArrayList<>();
    Peer reader = connect(ids);
    Peer idle = connect(ids);
    subscribe(reader, "feed", "");
    subscribe(idle, "feed", "");
    for (int i = 0; i < 10; i++) {
      server.channel("feed").publish("e", "x".repeat(100));
    }
    for (int i = 0; i < 4; i++) {
      next(reader);
    }
    ClientConnection r = server.connection(ids.get(0)).orElseThrow();
    ClientConnection i = server.connection(ids.get(1)).orElseThrow();
    assertTrue(i.queuedBytes() > r.queuedBytes() && r.queuedBytes() > 0);
    List<ClientConnection> all = new ArrayList<>(server.connections());
    all.sort(java.util.Comparator.comparingLong(ClientConnection::queuedBytes).reversed());
    assertEquals(List.of(i, r), all, "the snapshot lists each connection, the slowest reader first");
    ServerStats s = server.stats();
    assertEquals(r.queuedBytes() + i.queuedBytes(), s.queuedBytes());
    assertEquals(i.queuedBytes(), s.largestQueueBytes());
  }

  @Test
  void keepLatestCountsOnlyWhatWasQueuedAsDeliveries() {
    int limit = 64 * 1024;
    start(PushServer.builder().maxQueuedBytes(limit).channelOptions(
        ChannelOptions.DEFAULT.withSlowConsumerPolicy(ChannelOptions.SlowConsumerPolicy.KEEP_LATEST)));
    Peer slow = transport.connect();
    slow.next();
    subscribe(slow, "ticker", "");
    for (int i = 1; i <= 500; i++) {
      server.channel("ticker").publish("price", "x".repeat(1000));
    }
    long received = 0;
    long last = 0;
    while (last < 500) {
      last = next(slow).get("offset").getAsLong();
      received++;
    }
    ServerStats s = server.stats();
    assertTrue(s.skippedPublications() > 0);
    assertEquals(received, s.deliveries());
    assertEquals(500, received + s.skippedPublications(), "each publication was either sent or replaced");
  }

  @Test
  void aConnectionIsFoundByItsIdWhileOpen() {
    start(PushServer.builder());
    List<String> ids = new ArrayList<>();
    Peer p = connect(ids);
    assertEquals(ids.get(0), server.connection(ids.get(0)).orElseThrow().id());
    assertTrue(server.connection("nobody").isEmpty());
    assertThrows(NullPointerException.class, () -> server.connection(null));
    p.disconnect(1000);
    assertTrue(server.connection(ids.get(0)).isEmpty());
    assertTrue(server.connections().isEmpty());
  }

  @Test
  void theSnapshotsMapsAreImmutableCopies() {
    Map<String, Long> errors = new HashMap<>(Map.of("bad_request", 1L));
    ServerStats s = new ServerStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, errors, Map.of(), 0, 0, 0, 0, 0, 0, 0);
    errors.put("bad_request", 2L);
    assertEquals(1, s.errors("bad_request"));
    assertThrows(UnsupportedOperationException.class, () -> s.errors().put("x", 1L));
  }
}
