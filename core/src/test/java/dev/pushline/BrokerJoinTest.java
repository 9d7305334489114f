package dev.pushline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pushline.transport.MemoryTransport;
import dev.pushline.transport.MemoryTransport.Peer;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How the engine joins subscribers to a broker that answers late, delivers late, loses a delivery or fails:
 * what a networked broker (Redis) does, played by {@link ScriptedBroker} so that every interleaving is
 * reached on purpose. In each, every subscriber sees its reply, then each publication once in offset order,
 * or is told to reconnect (close 3000) and resumes without a gap.
 */
class BrokerJoinTest {

  private final MemoryTransport transport = new MemoryTransport();
  private final ScriptedBroker broker = new ScriptedBroker();
  private PushServer server;
  private Channel feed;

  @BeforeEach
  void start() {
    server = PushServer.builder().transport(transport).broker(broker)
        .channelOptions(ChannelOptions.DEFAULT.withPresence(true)).build().start();
    feed = server.channel("feed");
  }

  @AfterEach
  void close() {
    server.close();
  }

  private static JsonObject next(Peer p) {
    return JsonParser.parseString(p.next()).getAsJsonObject();
  }

  private Peer connect() {
    Peer p = transport.connect();
    assertEquals("welcome", next(p).get("type").getAsString());
    return p;
  }

  private static void send(Peer p, String json) {
    p.send(json);
  }

  private static JsonObject expect(Peer p, String type) {
    JsonObject m = next(p);
    assertEquals(type, m.get("type").getAsString(), m.toString());
    return m;
  }

  private static void assertOffsets(Peer p, long from, long to) {
    for (long o = from; o <= to; o++) {
      JsonObject pub = expect(p, "publication");
      assertEquals(o, pub.get("offset").getAsLong(), pub.toString());
    }
  }

  /** A subscriber whose subscription is live, at the channel's current position. */
  private Peer live() throws InterruptedException {
    Peer p = connect();
    send(p, "{\"type\":\"subscribe\",\"id\":1,\"channel\":\"feed\"}");
    expect(p, "subscribed");
    return p;
  }

  @Test
  void aJoinerWhoseReadSawMoreThanHasArrivedLiveWaitsForLiveDeliveryToCatchUp() throws Exception {
    Peer x = live();
    String epoch = feed.epoch();
    broker.holdLive(true);
    for (int i = 1; i <= 3; i++) {
      feed.publish("n", i); // in history at once, delivered live only when released
    }
    broker.holdReads(true);
    Peer y = connect();
    send(y, "{\"type\":\"subscribe\",\"id\":7,\"channel\":\"feed\",\"since\":{\"offset\":0,\"epoch\":\"" + epoch
        + "\"}}");
    broker.releaseRead(); // the read saw offsets 1..3; live delivery is still at 0
    assertTrue(y.idle(), "no reply before live delivery reaches what the read saw");
    broker.releaseLive();
    JsonObject reply = expect(y, "subscribed");
    assertEquals(3, reply.get("offset").getAsLong());
    assertTrue(reply.get("recovered").getAsBoolean());
    assertOffsets(y, 1, 3); // from history, once: the same three that arrived live are not sent again
    assertOffsets(x, 1, 3);
    broker.holdLive(false);
    feed.publish("n", 4);
    assertOffsets(y, 4, 4);
    assertOffsets(x, 4, 4);
    assertTrue(y.idle() && x.idle(), "nothing more: no duplicate");
  }

  @Test
  void publicationsThatArriveLiveWhileTheReadIsInFlightFollowTheReply() throws Exception {
    Peer x = live();
    broker.holdReads(true);
    Peer y = connect();
    send(y, "{\"type\":\"subscribe\",\"id\":7,\"channel\":\"feed\"}");
    feed.publish("n", 1); // after the read's snapshot (offset 0): live, buffered for y
    feed.publish("n", 2);
    assertOffsets(x, 1, 2);
    assertTrue(y.idle());
    broker.releaseRead();
    assertEquals(0, expect(y, "subscribed").get("offset").getAsLong());
    assertOffsets(y, 1, 2);
    feed.publish("n", 3);
    assertOffsets(y, 3, 3);
    assertTrue(y.idle());
  }

  @Test
  void lateLiveDeliveriesOfWhatTheFirstReadAlreadyCoveredAreNotSentTwice() throws Exception {
    broker.holdLive(true);
    feed.publish("n", 1);
    feed.publish("n", 2);
    Peer y = connect();
    send(y, "{\"type\":\"subscribe\",\"id\":7,\"channel\":\"feed\",\"history\":5}");
    JsonObject reply = expect(y, "subscribed");
    assertEquals(2, reply.get("offset").getAsLong());
    assertOffsets(y, 1, 2); // the last 5 asked for: both
    broker.releaseLive(); // 1 and 2 arrive live now: seen already
    broker.holdLive(false);
    feed.publish("n", 3);
    assertOffsets(y, 3, 3);
    assertTrue(y.idle());
  }

  @Test
  void aLostLiveDeliveryClosesSubscribersWith3000AndTheyResumeWithoutAGap() throws Exception {
    Peer x = live();
    String epoch = feed.epoch();
    feed.publish("n", 1);
    assertOffsets(x, 1, 1);
    broker.dropNextLive();
    feed.publish("n", 2); // lost on its way to this node; it is in history
    feed.publish("n", 3); // follows 1: a gap
    assertEquals(CloseCodes.RECONNECT, x.awaitClose());
    assertTrue(x.closeReason().contains("continuity"), x.closeReason());
    assertEquals(1, server.stats().continuityLosses());

    Peer again = connect();
    send(again, "{\"type\":\"subscribe\",\"id\":2,\"channel\":\"feed\",\"since\":{\"offset\":1,\"epoch\":\""
        + epoch + "\"}}");
    assertTrue(expect(again, "subscribed").get("recovered").getAsBoolean());
    assertOffsets(again, 2, 3);
    feed.publish("n", 4);
    assertOffsets(again, 4, 4);
  }

  @Test
  void anInterruptedDeliveryClosesEverySubscriberWith3000() throws Exception {
    Peer x = live();
    Peer y = live();
    broker.interrupt();
    assertEquals(CloseCodes.RECONNECT, x.awaitClose());
    assertEquals(CloseCodes.RECONNECT, y.awaitClose());
  }

  @Test
  void aFailedReadIsAnUnavailableErrorAndTheClientMaySubscribeAgain() throws Exception {
    broker.failReads(true);
    Peer p = connect();
    send(p, "{\"type\":\"subscribe\",\"id\":3,\"channel\":\"feed\"}");
    JsonObject error = expect(p, "error");
    assertEquals("unavailable", error.get("code").getAsString());
    assertEquals(3, error.get("id").getAsLong());
    assertEquals(0, server.stats().channels(), "nothing left behind for the failed subscription");
    broker.failReads(false);
    send(p, "{\"type\":\"subscribe\",\"id\":4,\"channel\":\"feed\"}");
    assertEquals(4, expect(p, "subscribed").get("id").getAsLong());
    feed.publish("n", 1);
    assertOffsets(p, 1, 1);
  }

  @Test
  void anUnsubscribeThatOvertakesAPendingSubscribeCancelsIt() throws Exception {
    broker.holdReads(true);
    Peer p = connect();
    send(p, "{\"type\":\"subscribe\",\"id\":5,\"channel\":\"feed\"}");
    send(p, "{\"type\":\"unsubscribe\",\"id\":6,\"channel\":\"feed\"}");
    JsonObject cancelled = expect(p, "error");
    assertEquals("cancelled", cancelled.get("code").getAsString());
    assertEquals(5, cancelled.get("id").getAsLong());
    assertEquals(6, expect(p, "unsubscribed").get("id").getAsLong());
    broker.releaseRead(); // answers a subscription that no longer exists: nothing is sent
    feed.publish("n", 1);
    assertTrue(p.idle(), "not subscribed");
    assertEquals(0, server.stats().channels());
  }

  @Test
  void presenceListsLiveSubscribersAndJoinLeaveEventsGoToThoseWhoAsked() throws Exception {
    Peer watcher = connect();
    send(watcher, "{\"type\":\"subscribe\",\"id\":1,\"channel\":\"feed\",\"joinLeave\":true}");
    expect(watcher, "subscribed");
    JsonObject own = expect(watcher, "join");
    String watcherId = own.getAsJsonObject("client").get("client").getAsString();
    Peer quiet = live(); // did not ask for events
    JsonObject join = expect(watcher, "join");
    String quietId = join.getAsJsonObject("client").get("client").getAsString();
    assertEquals("", join.getAsJsonObject("client").get("user").getAsString(), "anonymous");

    List<String> ids = feed.presence().stream().map(ClientInfo::clientId).sorted().toList();
    assertEquals(java.util.stream.Stream.of(watcherId, quietId).sorted().toList(), ids);
    send(watcher, "{\"type\":\"presence\",\"id\":9,\"channel\":\"feed\"}");
    JsonObject reply = expect(watcher, "presence");
    assertEquals(2, reply.getAsJsonArray("clients").size());

    quiet.disconnect(1000);
    JsonObject leave = expect(watcher, "leave");
    assertEquals(quietId, leave.getAsJsonObject("client").get("client").getAsString());
    assertEquals(List.of(watcherId), feed.presence().stream().map(ClientInfo::clientId).toList());
    assertTrue(quiet.idle());
  }

  @Test
  void presenceIsRefusedWhereTheClientIsNotSubscribed() throws Exception {
    Peer p = connect();
    send(p, "{\"type\":\"presence\",\"id\":2,\"channel\":\"feed\"}");
    assertEquals("not_subscribed", expect(p, "error").get("code").getAsString());
  }

  @Test
  void presenceIsRefusedWhereItIsOff() throws Exception {
    MemoryTransport other = new MemoryTransport();
    try (PushServer plain = PushServer.builder().transport(other).build().start()) {
      assertThrowsIllegalState(() -> plain.channel("feed").presence());
      Peer p = other.connect();
      next(p); // welcome
      send(p, "{\"type\":\"subscribe\",\"id\":1,\"channel\":\"feed\"}");
      expect(p, "subscribed");
      send(p, "{\"type\":\"presence\",\"id\":2,\"channel\":\"feed\"}");
      assertEquals("presence_disabled", expect(p, "error").get("code").getAsString());
    }
  }

  private static void assertThrowsIllegalState(Runnable r) {
    try {
      r.run();
    } catch (IllegalStateException expected) {
      assertTrue(expected.getMessage().contains("presence is off"), expected.getMessage());
      return;
    }
    throw new AssertionError("no IllegalStateException");
  }

  @Test
  void aLocalSubscriberReceivesWhatIsPublishedAfterSubscribeReturns() throws Exception {
    BlockingQueue<Publication> got = new LinkedBlockingQueue<>();
    Subscriber subscriber = got::add;
    assertTrue(feed.subscribe(subscriber));
    assertFalse(feed.subscribe(subscriber), "subscribed already");
    feed.publish("n", 1);
    Publication p = got.poll(5, TimeUnit.SECONDS);
    assertEquals(1, p.offset());
    assertNull(got.poll(0, TimeUnit.SECONDS));
  }
}
