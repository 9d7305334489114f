package dev.pushline.client;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.pushline.ClientInfo;
import dev.pushline.Publication;
import dev.pushline.PushException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client against a scripted server ({@link FakeServer}): what a real server cannot easily be made to
 * do, such as never answering, answering out of order, or fragmenting its messages.
 */
class PushClientProtocolTest {

  private FakeServer fake;
  private final Recorder recorder = new Recorder();
  private final List<PushClient> clients = new ArrayList<>();

  @BeforeEach
  void startFake() throws IOException {
    fake = new FakeServer();
  }

  @AfterEach
  void closeEverything() throws IOException {
    clients.forEach(PushClient::close);
    fake.close();
  }

  private PushClient.Builder clientBuilder() {
    return PushClient.builder().uri(fake.uri()).listener(recorder)
        .reconnectDelay(Duration.ofMillis(1), Duration.ofMillis(5));
  }

  private PushClient track(PushClient client) {
    clients.add(client);
    return client;
  }

  /** Connects a new client to the fake and returns the server side, welcome sent. */
  private FakeServer.Peer connect(PushClient client) throws Exception {
    CompletableFuture<Void> connected = client.connect();
    FakeServer.Peer peer = fake.accept();
    peer.sendWelcome();
    connected.get(10, SECONDS);
    recorder.next(Recorder.Connecting.class);
    recorder.next(Recorder.Open.class);
    return peer;
  }

  private static PushException failure(Future<?> future) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(10, SECONDS));
    return assertInstanceOf(PushException.class, e.getCause());
  }

  @Test
  void requestsFailWithATimeoutWhenTheServerNeverAnswers() throws Exception {
    PushClient client = track(clientBuilder().requestTimeout(Duration.ofMillis(200)).build());
    FakeServer.Peer peer = connect(client);

    CompletableFuture<PushClient.StreamPosition> subscribed = client.subscribe("silence", p -> {});
    CompletableFuture<Long> published = client.publish("silence", "e", 1);

    assertEquals("subscribe", peer.readRequest().get("type").getAsString());
    assertEquals("publish", peer.readRequest().get("type").getAsString());
    PushException s = failure(subscribed);
    assertNull(s.code());
    assertInstanceOf(TimeoutException.class, s.getCause());
    assertInstanceOf(TimeoutException.class, failure(published).getCause());
    assertEquals(Set.of("silence"), client.channels(), "a subscription that timed out is kept");
    assertEquals(PushClient.State.CONNECTED, client.state());
  }

  @Test
  void aLateSubscribedReplyStillActivatesTheSubscription() throws Exception {
    PushClient client = track(clientBuilder().requestTimeout(Duration.ofMillis(100)).build());
    FakeServer.Peer peer = connect(client);
    BlockingQueue<Publication> received = new LinkedBlockingQueue<>();
    CompletableFuture<PushClient.StreamPosition> subscribed = client.subscribe("slow", received::add);
    long id = peer.readRequest().get("id").getAsLong();
    assertInstanceOf(TimeoutException.class, failure(subscribed).getCause());

    peer.send("{\"type\":\"subscribed\",\"id\":" + id + ",\"channel\":\"slow\",\"offset\":4,\"epoch\":\"e1\"}");
    peer.send("{\"type\":\"publication\",\"channel\":\"slow\",\"offset\":5,\"event\":\"x\",\"data\":null}");

    Publication p = received.poll(10, SECONDS);
    assertNotNull(p);
    assertEquals(5, p.offset());
    assertEquals(new PushClient.StreamPosition(5, "e1"), client.position("slow").orElseThrow());
  }

  @Test
  void anOpeningWithoutWelcomeTimesOutAndIsRetried() throws Exception {
    PushClient client = track(clientBuilder().connectTimeout(Duration.ofMillis(200)).build());
    CompletableFuture<Void> connected = client.connect();
    FakeServer.Peer silent = fake.accept(); // upgraded, but no welcome
    assertEquals(new Recorder.Connecting(1), recorder.next(Recorder.Connecting.class));

    Recorder.Disconnected lost = recorder.next(Recorder.Disconnected.class);

    assertEquals(1006, lost.code());
    assertInstanceOf(TimeoutException.class, assertInstanceOf(PushException.class, lost.failure()).getCause());
    assertEquals(new Recorder.Connecting(2), recorder.next(Recorder.Connecting.class));
    assertFalse(connected.isDone());
    assertThrows(IOException.class, silent::read, "the attempt that timed out was aborted");
  }

  @Test
  void repliesAreMatchedByIdWhateverTheirOrder() throws Exception {
    PushClient client = track(clientBuilder().build());
    FakeServer.Peer peer = connect(client);

    CompletableFuture<Long> a = client.publish("c", "e", "a");
    CompletableFuture<Long> b = client.publish("c", "e", "b");
    CompletableFuture<Long> c = client.publish("c", "e", "c");
    long[] ids = new long[3];
    for (int i = 0; i < 3; i++) {
      JsonObject request = peer.readRequest();
      ids[i] = request.get("id").getAsLong();
      assertEquals("publish", request.get("type").getAsString());
      assertEquals(String.valueOf((char) ('a' + i)), request.get("data").getAsString());
    }
    assertTrue(ids[0] < ids[1] && ids[1] < ids[2], "ids increase: " + ids[0] + ", " + ids[1] + ", " + ids[2]);
    peer.send("{\"type\":\"published\",\"id\":" + ids[2] + ",\"channel\":\"c\",\"offset\":30}");
    peer.send("{\"type\":\"error\",\"id\":" + ids[0] + ",\"code\":\"forbidden\",\"message\":\"no\"}");
    peer.send("{\"type\":\"published\",\"id\":" + ids[1] + ",\"channel\":\"c\",\"offset\":20}");

    assertEquals(30, c.get(10, SECONDS));
    assertEquals(20, b.get(10, SECONDS));
    assertEquals("forbidden", failure(a).code());
  }

  @Test
  void fragmentedMessagesAreReassembledAndUnknownFramesIgnored() throws Exception {
    PushClient client = track(clientBuilder().build());
    CompletableFuture<Void> connected = client.connect();
    FakeServer.Peer peer = fake.accept();
    peer.sendFragmented("{\"type\":\"wel", "come\",\"client\":\"c-9\",\"protocol\":1,",
        "\"maxMessageBytes\":65536,\"maxSubscriptions\":8,\"future\":{\"field\":true}}");
    connected.get(10, SECONDS);
    recorder.next(Recorder.Connecting.class);
    assertEquals(new Recorder.Open("c-9"), recorder.next(Recorder.Open.class));
    BlockingQueue<Publication> received = new LinkedBlockingQueue<>();
    CompletableFuture<PushClient.StreamPosition> subscribed = client.subscribe("news", received::add);
    long id = peer.readRequest().get("id").getAsLong();

    peer.send("{\"type\":\"presence\",\"who\":[\"ann\"]}"); // a frame type from the future
    peer.send("not json at all");
    peer.send("[\"an array\"]");
    peer.send("{\"type\":\"subscribed\",\"id\":" + id + ",\"channel\":\"news\",\"offset\":0,\"epoch\":\"ep\","
        + "\"recovered\":false}");
    peer.sendFragmented("{\"type\":\"publication\",\"channel\":\"news\",", "\"offset\":1,\"event\":\"headline\",",
        "\"data\":{\"title\":\"" + "é".repeat(40_000) + "\"},\"tags\":[\"extra\"]}");
    peer.sendFragmented("{\"type\":\"message\",\"event\":\"notice\",", "\"data\":\"hello\"}");

    assertEquals(new PushClient.StreamPosition(0, "ep"), subscribed.get(10, SECONDS));
    Publication p = received.poll(10, SECONDS);
    assertNotNull(p);
    assertEquals(1, p.offset());
    assertEquals("é".repeat(40_000), p.data().getAsJsonObject().get("title").getAsString());
    Recorder.Message m = recorder.next(Recorder.Message.class);
    assertEquals("notice", m.event());
    assertEquals("hello", m.data().getAsString());
    assertEquals(PushClient.State.CONNECTED, client.state());
  }

  @Test
  void closeFailsPendingFuturesAndDoesNotReconnect() throws Exception {
    PushClient client = track(clientBuilder().build()); // request timeout 10 s: only close() can end them
    FakeServer.Peer peer = connect(client);
    CompletableFuture<Long> published = client.publish("c", "e", 1);
    CompletableFuture<PushClient.StreamPosition> subscribed = client.subscribe("c", p -> {});
    peer.readRequest();
    peer.readRequest();

    client.close();

    PushException p = failure(published);
    assertFalse(p.getCause() instanceof TimeoutException);
    failure(subscribed);
    FakeServer.Frame close = peer.read();
    assertEquals(0x8, close.opcode());
    assertEquals(1000, close.closeCode());
    peer.sendClose(1000, "");
    assertEquals(new Recorder.Closed(1000, "closed by the client"), recorder.next(Recorder.Closed.class));
    assertEquals(PushClient.State.CLOSED, client.state());
    // The reconnect delay is 1..5 ms: a client that wanted to come back would have done so.
    assertFalse(fake.connectionArrivesWithin(300), "the client reconnected after close()");
    recorder.assertSilentFor(Duration.ofMillis(1));
    assertTrue(client.position("c").isEmpty(), "never confirmed, so no position");
  }

  @Test
  void aWaitingPublishIsSentOnceConnected() throws Exception {
    PushClient client = track(clientBuilder().build());
    CompletableFuture<Long> published = client.publish("c", "e", 1); // before connect(): waits
    CompletableFuture<Void> connected = client.connect();
    FakeServer.Peer peer = fake.accept();
    peer.sendWelcome();
    connected.get(10, SECONDS);

    JsonObject request = peer.readRequest();
    peer.send("{\"type\":\"published\",\"id\":" + request.get("id") + ",\"channel\":\"c\",\"offset\":7}");

    assertEquals(7, published.get(10, SECONDS));
  }

  @Test
  void aPublishOverTheServersLimitFailsWithoutBeingSent() throws Exception {
    PushClient client = track(clientBuilder().build());
    CompletableFuture<Void> connected = client.connect();
    FakeServer.Peer peer = fake.accept();
    peer.send("{\"type\":\"welcome\",\"client\":\"x\",\"protocol\":1,\"maxMessageBytes\":300,"
        + "\"maxSubscriptions\":1}");
    connected.get(10, SECONDS);

    PushException tooBig = failure(client.publish("c", "e", "x".repeat(300)));
    CompletableFuture<Long> small = client.publish("c", "e", "fits");

    assertNull(tooBig.code());
    assertTrue(tooBig.getMessage().contains("300"), tooBig.getMessage());
    JsonObject request = peer.readRequest(); // the first request on the wire is the small one
    assertEquals("fits", request.get("data").getAsString());
    peer.send("{\"type\":\"published\",\"id\":" + request.get("id") + ",\"channel\":\"c\",\"offset\":1}");
    assertEquals(1, small.get(10, SECONDS));
  }

  @Test
  void aLostConnectionFailsInFlightRequestsAndRenewsSubscriptions() throws Exception {
    PushClient client = track(clientBuilder().build());
    FakeServer.Peer first = connect(client);
    BlockingQueue<Publication> received = new LinkedBlockingQueue<>();
    CompletableFuture<PushClient.StreamPosition> subscribed = client.subscribe("keep", received::add);
    long subscribeId = first.readRequest().get("id").getAsLong();
    first.send("{\"type\":\"subscribed\",\"id\":" + subscribeId + ",\"channel\":\"keep\",\"offset\":3,"
        + "\"epoch\":\"e\"}");
    assertEquals(new PushClient.StreamPosition(3, "e"), subscribed.get(10, SECONDS));
    CompletableFuture<Long> published = client.publish("keep", "e", 1);
    first.readRequest();

    first.sendClose(1001, "restarting");

    PushException lost = failure(published);
    assertNull(lost.code());
    assertTrue(lost.getMessage().contains("1001"), lost.getMessage());
    Recorder.Disconnected d = recorder.next(Recorder.Disconnected.class);
    assertEquals(1001, d.code());
    assertEquals("restarting", d.reason());
    assertNull(d.failure());
    assertEquals(new Recorder.Connecting(1), recorder.next(Recorder.Connecting.class));
    FakeServer.Peer second = fake.accept();
    second.sendWelcome();
    recorder.next(Recorder.Open.class);
    JsonObject renewed = second.readRequest();
    assertEquals("subscribe", renewed.get("type").getAsString());
    assertEquals("keep", renewed.get("channel").getAsString());
    assertTrue(renewed.get("id").getAsLong() > subscribeId, "ids keep growing across connections");
    assertEquals(new PushClient.StreamPosition(3, "e"), client.position("keep").orElseThrow(),
        "the position survives the reconnect until the server answers");
    second.send("{\"type\":\"subscribed\",\"id\":" + renewed.get("id") + ",\"channel\":\"keep\","
        + "\"offset\":5,\"epoch\":\"e\"}");
    second.send("{\"type\":\"publication\",\"channel\":\"keep\",\"offset\":6,\"event\":\"x\"}");

    Publication p = received.poll(10, SECONDS);
    assertNotNull(p);
    assertEquals(6, p.offset());
    assertTrue(p.data().isJsonNull(), "a publication without data has JSON null");
    assertEquals(new PushClient.StreamPosition(6, "e"), client.position("keep").orElseThrow());
  }

  @Test
  void reconnectDelaysFollowTheBackoffWithTheInjectedRandomSource() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort(); // nothing listens here once closed: every attempt is refused
    }
    PushClient client = track(PushClient.builder()
        .uri("ws://127.0.0.1:" + closedPort + "/pushline")
        .reconnectDelay(Duration.ofMillis(8), Duration.ofMillis(20))
        .random(() -> 0.5)
        .listener(recorder)
        .build());

    client.connect();

    // Equal jitter with r = 0.5: three quarters of the ceiling; ceilings 8, 16, 20 (capped), 20 ms.
    long[] expectedMicros = {6_000, 12_000, 15_000, 15_000};
    for (int i = 0; i < expectedMicros.length; i++) {
      assertEquals(new Recorder.Connecting(i + 1), recorder.next(Recorder.Connecting.class));
      Recorder.Disconnected d = recorder.next(Recorder.Disconnected.class);
      assertEquals(1006, d.code());
      assertNotNull(d.failure());
      assertEquals(Duration.ofNanos(expectedMicros[i] * 1_000), d.reconnectDelay(), "delay " + (i + 1));
    }
  }

  // --- dead-server detection ---------------------------------------------------------------------

  @Test
  void aServerThatFallsSilentIsDroppedAndTheClientReconnects() throws Exception {
    PushClient client = track(clientBuilder().build());
    CompletableFuture<Void> connected = client.connect();
    FakeServer.Peer silent = fake.accept();
    silent.sendWelcome(20); // pings every 20 ms, it says; then it sends nothing at all
    connected.get(10, SECONDS);
    recorder.next(Recorder.Connecting.class);
    recorder.next(Recorder.Open.class);

    Recorder.Disconnected lost = recorder.next(Recorder.Disconnected.class);

    assertEquals(1006, lost.code());
    PushException failure = assertInstanceOf(PushException.class, lost.failure());
    assertInstanceOf(TimeoutException.class, failure.getCause());
    assertThrows(IOException.class, silent::read, "the silent connection was aborted");
    assertEquals(new Recorder.Connecting(1), recorder.next(Recorder.Connecting.class));
    FakeServer.Peer next = fake.accept();
    next.sendWelcome();
    recorder.next(Recorder.Open.class);
    assertEquals(PushClient.State.CONNECTED, client.state());
  }

  @Test
  void pingsFromTheServerAreAnsweredAndKeepTheConnectionOpen() throws Exception {
    PushClient client = track(clientBuilder().build());
    CompletableFuture<Void> connected = client.connect();
    FakeServer.Peer peer = fake.accept();
    peer.sendWelcome(40); // silence for over 330 ms would count as a dead server
    connected.get(10, SECONDS);
    recorder.next(Recorder.Connecting.class);
    recorder.next(Recorder.Open.class);

    // About a second in all, only pings from the server: each is answered, and none is silence.
    for (int i = 0; i < 25; i++) {
      peer.sendPing("p" + i);
      FakeServer.Frame pong = peer.readAny();
      assertEquals(0xA, pong.opcode(), "a pong");
      assertEquals("p" + i, pong.text(), "the pong echoes the ping");
      recorder.assertSilentFor(Duration.ofMillis(40));
    }

    assertEquals(PushClient.State.CONNECTED, client.state());
  }

  // --- resume --------------------------------------------------------------------------------------

  @Test
  void aRenewedSubscriptionResumesFromTheLastDeliveredPosition() throws Exception {
    PushClient client = track(clientBuilder().build());
    FakeServer.Peer first = connect(client);
    SubscriptionRecorder feed = new SubscriptionRecorder();
    CompletableFuture<PushClient.StreamPosition> subscribed =
        client.subscribe("feed", PushClient.SubscribeOptions.DEFAULT.withHistory(3), feed);

    JsonObject fresh = first.readRequest();
    assertFalse(fresh.has("since"), "a first subscription has nothing to resume from: " + fresh);
    assertEquals(3, fresh.get("history").getAsInt());
    first.send("{\"type\":\"subscribed\",\"id\":" + fresh.get("id") + ",\"channel\":\"feed\",\"offset\":10,"
        + "\"epoch\":\"e1\"}");
    for (int offset = 8; offset <= 11; offset++) { // the last 3, then a live one
      first.send(publication("feed", offset));
    }
    assertEquals(new PushClient.StreamPosition(10, "e1"), subscribed.get(10, SECONDS));
    assertEquals(new SubscriptionRecorder.Subscribed("feed", new PushClient.StreamPosition(10, "e1"),
        PushClient.Recovery.FRESH), feed.subscribed("feed"));
    feed.publications("feed", 8, 11);

    first.sendClose(1001, "restarting");
    FakeServer.Peer second = fake.accept();
    second.sendWelcome();
    JsonObject renewed = second.readRequest();

    JsonObject since = renewed.getAsJsonObject("since");
    assertEquals(11, since.get("offset").getAsLong());
    assertEquals("e1", since.get("epoch").getAsString());
    assertEquals(3, renewed.get("history").getAsInt(), "in case the resume fails");
    second.send("{\"type\":\"subscribed\",\"id\":" + renewed.get("id") + ",\"channel\":\"feed\","
        + "\"offset\":13,\"epoch\":\"e1\",\"recovered\":true}");
    for (int offset = 12; offset <= 14; offset++) { // the replay, then a live one
      second.send(publication("feed", offset));
    }
    assertEquals(PushClient.Recovery.RECOVERED, feed.subscribed("feed").recovery());
    feed.publications("feed", 12, 14);
    assertEquals(new PushClient.StreamPosition(14, "e1"), client.position("feed").orElseThrow());
  }

  @Test
  void noOffsetIsDeliveredTwiceOrOutOfOrderWithinAnEpochAndANewEpochStartsAgain() throws Exception {
    PushClient client = track(clientBuilder().build());
    FakeServer.Peer first = connect(client);
    SubscriptionRecorder feed = new SubscriptionRecorder();
    client.subscribe("feed", feed);
    long id = first.readRequest().get("id").getAsLong();
    first.send("{\"type\":\"subscribed\",\"id\":" + id + ",\"channel\":\"feed\",\"offset\":4,\"epoch\":\"e1\"}");
    for (int offset : new int[] {3, 4, 5, 5, 7, 6, 7, 8}) {
      first.send(publication("feed", offset));
    }
    feed.subscribed("feed");
    assertEquals(5, feed.next(SubscriptionRecorder.Received.class).publication().offset());
    assertEquals(7, feed.next(SubscriptionRecorder.Received.class).publication().offset(), "a gap is let through");
    assertEquals(8, feed.next(SubscriptionRecorder.Received.class).publication().offset(), "6 came too late");

    // A server that claims recovery in another epoch is not believed: its offsets are another stream's.
    first.sendClose(1001, "restarting");
    FakeServer.Peer second = fake.accept();
    second.sendWelcome();
    JsonObject renewed = second.readRequest();
    assertEquals("e1", renewed.getAsJsonObject("since").get("epoch").getAsString());
    second.send("{\"type\":\"subscribed\",\"id\":" + renewed.get("id") + ",\"channel\":\"feed\","
        + "\"offset\":1,\"epoch\":\"e2\",\"recovered\":true}");
    second.send(publication("feed", 1));
    second.send(publication("feed", 2));

    assertEquals(new SubscriptionRecorder.Subscribed("feed", new PushClient.StreamPosition(1, "e2"),
        PushClient.Recovery.NOT_RECOVERED), feed.subscribed("feed"));
    feed.publications("feed", 2, 2);
    assertEquals(new PushClient.StreamPosition(2, "e2"), client.position("feed").orElseThrow());
  }

  // --- unavailable and cancelled -----------------------------------------------------------------

  @Test
  void anUnavailableRenewalIsRetriedWithTheSamePositionAndNotSentTwiceAfterAReconnect() throws Exception {
    PushClient client = track(clientBuilder().build());
    FakeServer.Peer first = connect(client);
    SubscriptionRecorder feed = new SubscriptionRecorder();
    CompletableFuture<PushClient.StreamPosition> subscribed = client.subscribe("feed", feed);
    JsonObject request = first.readRequest();
    first.send(error(request, "unavailable"));
    assertEquals("unavailable", feed.next(SubscriptionRecorder.SubscribeFailed.class).failure().code());
    assertFalse(subscribed.isDone(), "the future waits for a retry");
    JsonObject retry = first.readRequest();
    assertEquals("subscribe", retry.get("type").getAsString());
    assertFalse(retry.has("since"), "nothing to resume from yet: " + retry);
    first.send("{\"type\":\"subscribed\",\"id\":" + retry.get("id") + ",\"channel\":\"feed\",\"offset\":4,"
        + "\"epoch\":\"e\"}");
    first.send(publication("feed", 5));
    assertEquals(new PushClient.StreamPosition(4, "e"), subscribed.get(10, SECONDS));
    feed.subscribed("feed");
    feed.publications("feed", 5, 5);

    first.sendClose(1001, "restarting");
    FakeServer.Peer second = fake.accept();
    second.sendWelcome();
    JsonObject renewed = second.readRequest();
    second.send(error(renewed, "unavailable"));
    assertEquals("unavailable", feed.next(SubscriptionRecorder.SubscribeFailed.class).failure().code());
    JsonObject retried = second.readRequest();
    assertEquals(renewed.get("since"), retried.get("since"), "the retry resumes from the same position");
    assertEquals(5, retried.getAsJsonObject("since").get("offset").getAsLong());
    assertEquals(new PushClient.StreamPosition(5, "e"), client.position("feed").orElseThrow());
    second.send(error(retried, "unavailable")); // and the connection drops while the retry waits
    feed.next(SubscriptionRecorder.SubscribeFailed.class);
    second.sendClose(1001, "restarting");

    FakeServer.Peer third = fake.accept();
    third.sendWelcome();
    JsonObject once = third.readRequest();
    assertEquals(5, once.getAsJsonObject("since").get("offset").getAsLong());
    assertTrue(third.quietFor(300), "the retry due on the lost connection is not sent as well");
    third.send("{\"type\":\"subscribed\",\"id\":" + once.get("id") + ",\"channel\":\"feed\",\"offset\":5,"
        + "\"epoch\":\"e\",\"recovered\":true}");
    assertEquals(PushClient.Recovery.RECOVERED, feed.subscribed("feed").recovery());
  }

  @Test
  void anUnsubscribeWhileARetryWaitsCancelsTheRetry() throws Exception {
    // The reconnect backoff, with the jitter's random source pinned: the first delay is exactly 1 s.
    PushClient client = track(clientBuilder().reconnectDelay(Duration.ofSeconds(2), Duration.ofSeconds(2))
        .random(() -> 0.0).build());
    FakeServer.Peer peer = connect(client);
    SubscriptionRecorder feed = new SubscriptionRecorder();
    CompletableFuture<PushClient.StreamPosition> subscribed = client.subscribe("feed", feed);
    peer.send(error(peer.readRequest(), "unavailable"));
    assertEquals(Duration.ofSeconds(1), feed.next(SubscriptionRecorder.SubscribeFailed.class).retryDelay());

    client.unsubscribe("feed").get(10, SECONDS); // not on the wire: completes at once, nothing sent

    assertEquals("cancelled", failure(subscribed).code());
    assertTrue(peer.quietFor(1_500), "no retry after unsubscribe");
    assertEquals(Set.of(), client.channels());
  }

  @Test
  void anUnsubscribeThatOvertakesThePendingSubscribeFailsItWithCancelled() throws Exception {
    PushClient client = track(clientBuilder().build());
    FakeServer.Peer peer = connect(client);
    SubscriptionRecorder feed = new SubscriptionRecorder();
    CompletableFuture<PushClient.StreamPosition> subscribed = client.subscribe("feed", feed);
    JsonObject subscribe = peer.readRequest();

    CompletableFuture<Void> unsubscribed = client.unsubscribe("feed");

    assertEquals("cancelled", failure(subscribed).code());
    JsonObject unsubscribe = peer.readRequest();
    assertEquals("unsubscribe", unsubscribe.get("type").getAsString());
    peer.send(error(subscribe, "cancelled")); // what the server answers the overtaken subscribe
    peer.send("{\"type\":\"unsubscribed\",\"id\":" + unsubscribe.get("id") + ",\"channel\":\"feed\"}");
    unsubscribed.get(10, SECONDS);
    feed.assertSilentFor(Duration.ofMillis(50));
    assertTrue(peer.quietFor(100), "a cancelled subscribe is not retried");
  }

  @Test
  void aCancelledReplyToASubscribeStillOnTheWireFailsItWithTheCode() throws Exception {
    PushClient client = track(clientBuilder().build());
    FakeServer.Peer peer = connect(client);
    CompletableFuture<PushClient.StreamPosition> subscribed = client.subscribe("feed", p -> {});

    peer.send(error(peer.readRequest(), "cancelled"));

    assertEquals("cancelled", failure(subscribed).code());
    assertEquals(Set.of(), client.channels(), "only unavailable is retried");
  }

  private static String error(JsonObject request, String code) {
    return "{\"type\":\"error\",\"id\":" + request.get("id") + ",\"code\":\"" + code
        + "\",\"message\":\"m\"}";
  }

  // --- join and leave ----------------------------------------------------------------------------

  @Test
  void joinLeaveEventsAreDeliveredInOrderWithPublicationsAndAskedForOnEveryRenewal() throws Exception {
    PushClient client = track(clientBuilder().build());
    FakeServer.Peer first = connect(client);
    SubscriptionRecorder room = new SubscriptionRecorder();
    client.subscribe("room", PushClient.SubscribeOptions.DEFAULT.withHistory(2).withJoinLeave(room), room);
    JsonObject request = first.readRequest();
    assertTrue(request.get("joinLeave").getAsBoolean(), request.toString());
    assertEquals(2, request.get("history").getAsInt(), "withJoinLeave keeps the history asked for");
    first.send(join("join", "room", "early")); // before the subscribed reply: not delivered
    first.send("{\"type\":\"subscribed\",\"id\":" + request.get("id") + ",\"channel\":\"room\",\"offset\":0,"
        + "\"epoch\":\"e\"}");
    first.send(publication("room", 1));
    first.send(join("join", "room", "alice"));
    first.send(join("join", "other", "x")); // a channel this client is not subscribed to
    first.send("{\"type\":\"join\",\"channel\":\"room\",\"client\":{\"user\":\"no id\"}}"); // malformed
    first.send(publication("room", 2));
    first.send(join("leave", "room", "alice"));

    room.subscribed("room");
    room.publications("room", 1, 1);
    ClientInfo alice = new ClientInfo("alice", "u-alice", JsonNull.INSTANCE);
    assertEquals(new SubscriptionRecorder.Joined("room", alice),
        room.next(SubscriptionRecorder.Joined.class));
    room.publications("room", 2, 2);
    assertEquals(new SubscriptionRecorder.Left("room", alice), room.next(SubscriptionRecorder.Left.class));

    first.sendClose(3000, "continuity lost on room"); // RECONNECT: the server lost the channel's continuity
    FakeServer.Peer second = fake.accept();
    second.sendWelcome();
    JsonObject renewed = second.readRequest();
    assertTrue(renewed.get("joinLeave").getAsBoolean(), "asked again on renewal: " + renewed);
    assertEquals(2, renewed.getAsJsonObject("since").get("offset").getAsLong(), "resumes: " + renewed);
  }

  @Test
  void aSubscriptionWithoutJoinLeaveDoesNotAskAndIgnoresEvents() throws Exception {
    PushClient client = track(clientBuilder().build());
    FakeServer.Peer peer = connect(client);
    SubscriptionRecorder room = new SubscriptionRecorder();
    client.subscribe("room", room);
    JsonObject request = peer.readRequest();
    assertFalse(request.has("joinLeave"), request.toString());
    peer.send("{\"type\":\"subscribed\",\"id\":" + request.get("id") + ",\"channel\":\"room\",\"offset\":0,"
        + "\"epoch\":\"e\"}");
    peer.send(join("join", "room", "alice"));
    peer.send(publication("room", 1));

    room.subscribed("room");
    room.publications("room", 1, 1);
  }

  private static String join(String type, String channel, String client) {
    return "{\"type\":\"" + type + "\",\"channel\":\"" + channel + "\",\"client\":{\"client\":\"" + client
        + "\",\"user\":\"u-" + client + "\",\"info\":null}}";
  }

  private static String publication(String channel, long offset) {
    return "{\"type\":\"publication\",\"channel\":\"" + channel + "\",\"offset\":" + offset
        + ",\"event\":\"e\",\"data\":" + offset + "}";
  }
}
