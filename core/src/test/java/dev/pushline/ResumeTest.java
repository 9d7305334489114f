package dev.pushline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pushline.transport.MemoryTransport;
import dev.pushline.transport.MemoryTransport.Peer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** History, resume from an offset, and "you missed something" — through the in-memory transport. */
class ResumeTest {

  private final MemoryTransport transport = new MemoryTransport();
  private final MutableClock clock = new MutableClock();
  private final dev.pushline.broker.MemoryBroker broker = new dev.pushline.broker.MemoryBroker(clock);
  private PushServer server;

  @AfterEach
  void close() {
    if (server != null) {
      server.close();
    }
  }

  private PushServer start(PushServer.Builder b) {
    server = b.transport(transport).clock(clock).broker(broker).build().start();
    return server;
  }

  private static JsonObject next(Peer p) {
    return JsonParser.parseString(p.next()).getAsJsonObject();
  }

  private Peer connect() {
    Peer p = transport.connect();
    assertEquals("welcome", next(p).get("type").getAsString());
    return p;
  }

  private static JsonObject subscribe(Peer p, String channel, String extra) {
    p.send("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"" + channel + "\"" + extra + "}");
    JsonObject reply = next(p);
    assertEquals("subscribed", reply.get("type").getAsString(), reply.toString());
    return reply;
  }

  private static String since(long offset, String epoch) {
    return ",\"since\":{\"offset\":" + offset + ",\"epoch\":\"" + epoch + "\"}";
  }

  private static void assertOffsets(Peer p, long from, long to) {
    for (long o = from; o <= to; o++) {
      JsonObject pub = next(p);
      assertEquals("publication", pub.get("type").getAsString(), pub.toString());
      assertEquals(o, pub.get("offset").getAsLong(), pub.toString());
    }
  }

  @Test
  void resumeReplaysMissedPublicationsInOrderThenContinuesLive() {
    start(PushServer.builder());
    Channel logs = server.channel("logs");
    Peer first = connect();
    JsonObject s = subscribe(first, "logs", "");
    String epoch = s.get("epoch").getAsString();
    for (int i = 0; i < 10; i++) {
      logs.publish("line", i);
    }
    assertOffsets(first, 1, 10);
    first.disconnect(1006);

    for (int i = 0; i < 15; i++) {
      logs.publish("line", i); // missed: 11..25
    }
    Peer again = connect();
    JsonObject resumed = subscribe(again, "logs", since(10, epoch));
    assertTrue(resumed.get("recovered").getAsBoolean());
    assertEquals(25, resumed.get("offset").getAsLong());
    assertEquals(epoch, resumed.get("epoch").getAsString());
    assertOffsets(again, 11, 25);
    logs.publish("line", "live");
    assertOffsets(again, 26, 26);
    assertTrue(again.idle());
  }

  @Test
  void resumeAtTheHeadIsRecoveredWithNothingToReplayEvenWithoutHistory() {
    start(PushServer.builder().channelOptions(ChannelOptions.noHistory()));
    Channel ch = server.channel("c");
    ch.publish("e", 1);
    Peer p = connect();
    JsonObject r = subscribe(p, "c", since(1, ch.epoch()));
    assertTrue(r.get("recovered").getAsBoolean());
    assertTrue(p.idle());
  }

  @Test
  void subscribeReportsNotRecoveredWhenEpochChanged() {
    start(PushServer.builder());
    Channel ch = server.channel("c");
    ch.publish("e", 1);
    Peer p = connect();
    JsonObject r = subscribe(p, "c", since(1, "an-old-epoch"));
    assertFalse(r.get("recovered").getAsBoolean());
    assertEquals(ch.epoch(), r.get("epoch").getAsString());
    assertEquals(1, r.get("offset").getAsLong());
    assertTrue(p.idle(), "nothing replayed: the client must reload");
  }

  @Test
  void subscribeReportsNotRecoveredWhenTheOffsetWasEvictedBySize() {
    start(PushServer.builder().channelOptions(ChannelOptions.DEFAULT.withHistory(5, Duration.ofMinutes(5))));
    Channel ch = server.channel("c");
    for (int i = 0; i < 20; i++) {
      ch.publish("e", i);
    }
    assertEquals(5, ch.history().size());
    assertEquals(16, ch.history().get(0).offset());
    Peer p = connect();
    assertFalse(subscribe(p, "c", since(10, ch.epoch())).get("recovered").getAsBoolean());
    Peer q = connect();
    JsonObject ok = subscribe(q, "c", since(15, ch.epoch()));
    assertTrue(ok.get("recovered").getAsBoolean(), "16..20 are all in history");
    assertOffsets(q, 16, 20);
  }

  @Test
  void subscribeReportsNotRecoveredWhenHistoryExpired() {
    start(PushServer.builder().channelOptions(ChannelOptions.DEFAULT.withHistory(100, Duration.ofSeconds(60))));
    Channel ch = server.channel("c");
    ch.publish("e", 1);
    clock.advance(Duration.ofSeconds(30));
    ch.publish("e", 2);
    clock.advance(Duration.ofSeconds(31)); // the first is 61 s old, the second 31 s
    assertEquals(1, ch.history().size());
    Peer p = connect();
    assertFalse(subscribe(p, "c", since(0, ch.epoch())).get("recovered").getAsBoolean());
    Peer q = connect();
    assertTrue(subscribe(q, "c", since(1, ch.epoch())).get("recovered").getAsBoolean());
    assertOffsets(q, 2, 2);
  }

  @Test
  void anOffsetFromTheFutureIsNotRecovered() {
    start(PushServer.builder());
    Channel ch = server.channel("c");
    Peer p = connect();
    assertFalse(subscribe(p, "c", since(99, ch.epoch())).get("recovered").getAsBoolean());
  }

  @Test
  void historyOptionReplaysTheLastPublicationsToANewSubscriber() {
    start(PushServer.builder());
    Channel ch = server.channel("chart");
    for (int i = 0; i < 30; i++) {
      ch.publish("point", i);
    }
    Peer p = connect();
    JsonObject r = subscribe(p, "chart", ",\"history\":10");
    assertFalse(r.has("recovered"));
    assertEquals(30, r.get("offset").getAsLong());
    assertOffsets(p, 21, 30);
    Peer q = connect();
    subscribe(q, "chart", ",\"history\":1000");
    assertOffsets(q, 1, 30);
    assertTrue(q.idle());
  }

  @Test
  void historyIsReplayedAlsoWhenResumeFailed() {
    start(PushServer.builder());
    Channel ch = server.channel("chart");
    for (int i = 0; i < 5; i++) {
      ch.publish("point", i);
    }
    Peer p = connect();
    JsonObject r = subscribe(p, "chart", since(3, "gone") + ",\"history\":2");
    assertFalse(r.get("recovered").getAsBoolean());
    assertOffsets(p, 4, 5);
  }

  @Test
  void namespacesHaveTheirOwnHistory() {
    start(PushServer.builder().channelOptions("ticker", ChannelOptions.noHistory()));
    Channel ticker = server.channel("ticker:AAPL");
    Channel logs = server.channel("logs");
    Channel other = server.channel("tickers:x");
    for (int i = 0; i < 3; i++) {
      ticker.publish("p", i);
      logs.publish("p", i);
      other.publish("p", i);
    }
    assertEquals(0, ticker.history().size());
    assertEquals(3, logs.history().size());
    assertEquals(3, other.history().size());
  }

  @Test
  void badSinceAndHistoryFieldsAreRefused() {
    start(PushServer.builder());
    Peer p = connect();
    for (String bad : List.of(",\"since\":5", ",\"since\":{\"epoch\":\"e\"}", ",\"since\":{\"offset\":1}",
        ",\"since\":{\"offset\":-1,\"epoch\":\"e\"}", ",\"since\":{\"offset\":1,\"epoch\":7}",
        ",\"history\":-1", ",\"history\":\"5\"", ",\"history\":1.5", ",\"history\":1000001")) {
      p.send("{\"type\":\"subscribe\",\"id\":9,\"channel\":\"c\"" + bad + "}");
      JsonObject e = next(p);
      assertEquals("error", e.get("type").getAsString(), bad);
      assertEquals("bad_request", e.get("code").getAsString(), bad);
    }
  }

  @Test
  void aForgottenChannelKeepsItsStreamWhileItHasHistory() {
    start(PushServer.builder().allowClientPublish()
        .channelOptions(ChannelOptions.DEFAULT.withHistory(10, Duration.ofSeconds(60))));
    Peer p = connect();
    JsonObject s = subscribe(p, "room", "");
    p.send("{\"type\":\"publish\",\"id\":2,\"channel\":\"room\",\"event\":\"m\"}");
    next(p); // the publication
    next(p); // published
    p.disconnect(1006);
    server.channel("unrelated"); // nothing else refers to "room" now
    Peer q = connect();
    JsonObject r = subscribe(q, "room", since(0, s.get("epoch").getAsString()));
    assertTrue(r.get("recovered").getAsBoolean(), "history keeps the stream alive");
    assertOffsets(q, 1, 1);
    q.disconnect(1006);
    clock.advance(Duration.ofMinutes(61)); // past the history TTL and the stream's hour of meta TTL
    // The periodic sweep (every 5 s on the broker's thread) would do this; here it is driven directly.
    broker.sweep();
    Peer z = connect();
    assertNotEquals(s.get("epoch").getAsString(), subscribe(z, "room", "").get("epoch").getAsString(),
        "expired and unused: forgotten, a new stream");
  }

  @Test
  void aQuietReconnectResumesOnTheSameStreamAndAnIdleChannelIsForgottenAfterItsMetaTtl() {
    start(PushServer.builder().channelOptions(ChannelOptions.DEFAULT.withHistory(10, Duration.ofSeconds(60))));
    Peer p = connect();
    JsonObject s = subscribe(p, "quiet", "");
    p.disconnect(1006); // nothing was ever published on "quiet"
    Peer q = connect();
    JsonObject r = subscribe(q, "quiet", since(0, s.get("epoch").getAsString()));
    assertTrue(r.get("recovered").getAsBoolean(), "nothing missed, same stream: no reload for nothing");
    q.disconnect(1006);
    clock.advance(Duration.ofMinutes(59));
    broker.sweep();
    Peer z = connect();
    assertEquals(s.get("epoch"), subscribe(z, "quiet", "").get("epoch"), "idle 59 min of its hour: kept");
    z.disconnect(1006);
    clock.advance(Duration.ofMinutes(61));
    broker.sweep();
    Peer w = connect();
    assertNotEquals(s.get("epoch"), subscribe(w, "quiet", "").get("epoch"), "idle past its TTL: forgotten");
  }

  @Test
  void clientPublicationsToAChannelWithoutSubscribersKeepOneStream() {
    start(PushServer.builder().allowClientPublish().channelOptions(ChannelOptions.noHistory()));
    Peer p = connect();
    for (int i = 1; i <= 3; i++) {
      p.send("{\"type\":\"publish\",\"id\":" + i + ",\"channel\":\"lonely\",\"event\":\"e\"}");
      assertEquals(i, next(p).get("offset").getAsLong());
    }
  }

  @Test
  void resumeRacingWithPublishersHasNoGapAndNoDuplicate() throws Exception {
    start(PushServer.builder().channelOptions(ChannelOptions.DEFAULT.withHistory(100_000, Duration.ofMinutes(5))));
    Channel ch = server.channel("race");
    int publishers = 3;
    int perPublisher = 3_000;
    CountDownLatch go = new CountDownLatch(1);
    AtomicBoolean failed = new AtomicBoolean();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < publishers; t++) {
      Thread th = new Thread(() -> {
        try {
          go.await();
          for (int i = 0; i < perPublisher; i++) {
            ch.publish("e", i);
          }
        } catch (Throwable e) {
          failed.set(true);
        }
      });
      th.start();
      threads.add(th);
    }
    go.countDown();
    // Subscribers that resume from wherever the stream is right now, while it moves.
    List<Peer> peers = new ArrayList<>();
    List<Long> starts = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      long from = Math.max(0, ch.offset() - i);
      Peer p = connect();
      JsonObject r = subscribe(p, "race", since(from, ch.epoch()));
      assertTrue(r.get("recovered").getAsBoolean());
      peers.add(p);
      starts.add(from);
    }
    for (Thread th : threads) {
      th.join(60_000);
    }
    assertFalse(failed.get());
    long total = (long) publishers * perPublisher;
    for (int i = 0; i < peers.size(); i++) {
      assertOffsets(peers.get(i), starts.get(i) + 1, total);
      assertTrue(peers.get(i).idle(), "no duplicates after the last");
    }
  }
}
