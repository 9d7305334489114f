package dev.pushline.client;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonNull;
import dev.pushline.Channel;
import dev.pushline.ChannelOptions;
import dev.pushline.ClientInfo;
import dev.pushline.PushException;
import dev.pushline.PushServer;
import dev.pushline.client.SubscriptionRecorder.Joined;
import dev.pushline.client.SubscriptionRecorder.Left;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Presence, join and leave events against a real {@link PushServer} on 127.0.0.1 with presence on. */
class PushClientPresenceTest {

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeEverything() throws Exception {
    // Clients first, so that they do not reconnect to servers being closed.
    for (int i = toClose.size() - 1; i >= 0; i--) {
      if (toClose.get(i) instanceof PushClient c) {
        c.close();
      }
    }
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  // --- helpers -----------------------------------------------------------------------------------

  private PushServer startServer(PushServer.Builder builder) {
    PushServer server = builder.host("127.0.0.1").port(0).build().start();
    toClose.add(server);
    return server;
  }

  /** A server with presence on for every channel but those of namespace {@code plain}. */
  private PushServer startPresenceServer() {
    return startServer(PushServer.builder()
        .channelOptions(ChannelOptions.DEFAULT.withPresence(true))
        .channelOptions("plain", ChannelOptions.DEFAULT));
  }

  /** A connected client and the connection id the server gave it. */
  private record Connected(PushClient client, String id) {}

  private Connected connect(PushServer server) throws Exception {
    Recorder recorder = new Recorder();
    PushClient client = PushClient.builder()
        .uri("ws://127.0.0.1:" + server.port() + server.path())
        .reconnectDelay(Duration.ofMillis(10), Duration.ofMillis(200))
        .listener(recorder)
        .build();
    toClose.add(client);
    client.connect().get(10, SECONDS);
    recorder.next(Recorder.Connecting.class);
    return new Connected(client, recorder.next(Recorder.Open.class).connectionId());
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.get(10, SECONDS);
  }

  private static PushException failure(Future<?> future) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(10, SECONDS));
    return assertInstanceOf(PushException.class, e.getCause());
  }

  /**
   * Asks {@code client} for {@code channel}'s presence until it lists exactly {@code ids} (a subscriber is
   * listed once its subscription is live, a moment after the reply), for at most 10 s.
   */
  private static List<ClientInfo> presenceOf(PushClient client, String channel, Set<String> ids)
      throws Exception {
    long deadline = System.nanoTime() + SECONDS.toNanos(10);
    for (;;) {
      List<ClientInfo> clients = await(client.presence(channel));
      Set<String> seen = clients.stream().map(ClientInfo::clientId).collect(Collectors.toSet());
      if (seen.equals(ids) && clients.size() == ids.size()) {
        return clients;
      }
      assertTrue(System.nanoTime() < deadline,
          "presence of " + channel + " is " + clients + "; expected " + ids);
    }
  }

  // --- presence ----------------------------------------------------------------------------------

  @Test
  void presenceListsEverySubscriberWithItsUserAndInfo() throws Exception {
    PushServer server = startPresenceServer();
    Connected alice = connect(server);
    Connected bob = connect(server);
    await(alice.client().subscribe("room", p -> {}));
    await(bob.client().subscribe("room", p -> {}));

    List<ClientInfo> clients = presenceOf(alice.client(), "room", Set.of(alice.id(), bob.id()));

    for (ClientInfo c : clients) {
      assertEquals("", c.userId(), "anonymous connections have an empty user id");
      assertEquals(JsonNull.INSTANCE, c.info());
    }
    presenceOf(bob.client(), "room", Set.of(alice.id(), bob.id()));

    await(bob.client().unsubscribe("room"));
    presenceOf(alice.client(), "room", Set.of(alice.id()));
  }

  @Test
  void presenceOfAChannelWithoutPresenceFailsWithPresenceDisabled() throws Exception {
    PushServer server = startPresenceServer();
    PushClient client = connect(server).client();
    await(client.subscribe("plain:feed", p -> {}));

    PushException e = failure(client.presence("plain:feed"));

    assertEquals("presence_disabled", e.code());
    assertEquals(PushClient.State.CONNECTED, client.state(), "an error reply leaves the connection open");
  }

  @Test
  void presenceOfAChannelThisClientIsNotSubscribedToFailsWithNotSubscribed() throws Exception {
    PushServer server = startPresenceServer();
    Connected alice = connect(server);
    Connected bob = connect(server);
    await(alice.client().subscribe("room", p -> {}));

    assertEquals("not_subscribed", failure(bob.client().presence("room")).code());
    await(bob.client().subscribe("room", p -> {}));
    presenceOf(bob.client(), "room", Set.of(alice.id(), bob.id()));
  }

  @Test
  void presenceAskedBeforeConnectingWaitsForTheConnectionAndFollowsTheSubscription() throws Exception {
    PushServer server = startPresenceServer();
    PushClient client = PushClient.builder().uri("ws://127.0.0.1:" + server.port() + server.path()).build();
    toClose.add(client);
    var subscribed = client.subscribe("room", p -> {});
    var presence = client.presence("room");

    client.connect();

    await(subscribed);
    await(presence); // sent after the subscription on the same connection: not refused as not_subscribed
  }

  // --- join and leave ----------------------------------------------------------------------------

  @Test
  void joinAndLeaveEventsArriveInOrderWithPublicationsOwnJoinIncluded() throws Exception {
    PushServer server = startPresenceServer();
    Channel room = server.channel("room");
    Connected alice = connect(server);
    Connected bob = connect(server);
    SubscriptionRecorder aliceHears = new SubscriptionRecorder();
    await(alice.client().subscribe("room", PushClient.SubscribeOptions.DEFAULT.withJoinLeave(aliceHears),
        aliceHears));
    aliceHears.subscribed("room");
    assertEquals(new Joined("room", new ClientInfo(alice.id(), "", JsonNull.INSTANCE)),
        aliceHears.next(Joined.class), "a subscriber hears its own join");
    room.publish("e", 1);
    aliceHears.publications("room", 1, 1);

    await(bob.client().subscribe("room", p -> {}));
    assertEquals(bob.id(), aliceHears.next(Joined.class).client().clientId());
    room.publish("e", 2);
    aliceHears.publications("room", 2, 2);
    await(bob.client().unsubscribe("room"));
    assertEquals(bob.id(), aliceHears.next(Left.class).client().clientId());
    await(bob.client().subscribe("room", p -> {}));
    assertEquals(bob.id(), aliceHears.next(Joined.class).client().clientId());
    bob.client().close();
    assertEquals(bob.id(), aliceHears.next(Left.class).client().clientId(), "a disconnect is a leave");

    await(alice.client().unsubscribe("room"));
    room.publish("e", 3);
    aliceHears.assertSilentFor(Duration.ofMillis(100)); // not even its own leave, once unsubscribed
  }

  @Test
  void aSubscriptionWithoutJoinLeaveHearsNoEvents() throws Exception {
    PushServer server = startPresenceServer();
    Channel room = server.channel("room");
    Connected alice = connect(server);
    Connected bob = connect(server);
    SubscriptionRecorder aliceHears = new SubscriptionRecorder();
    await(alice.client().subscribe("room", aliceHears));
    aliceHears.subscribed("room");
    await(bob.client().subscribe("room", p -> {}));
    presenceOf(alice.client(), "room", Set.of(alice.id(), bob.id())); // bob is live, his join went out

    room.publish("e", 1);

    aliceHears.publications("room", 1, 1); // no join before it
  }

  @Test
  void joinLeaveIsAskedAgainWhenTheSubscriptionIsRenewedAfterAReconnect() throws Exception {
    PushServer server = startPresenceServer();
    Connected alice = connect(server);
    SubscriptionRecorder aliceHears = new SubscriptionRecorder();
    await(alice.client().subscribe("room", PushClient.SubscribeOptions.DEFAULT.withJoinLeave(aliceHears),
        aliceHears));
    aliceHears.subscribed("room");
    assertEquals(alice.id(), aliceHears.next(Joined.class).client().clientId());

    alice.client().abortConnection();

    assertEquals(PushClient.Recovery.RECOVERED, aliceHears.subscribed("room").recovery());
    // The renewed subscription asked for events again: it hears its new connection's own join (and
    // perhaps, before or after it, the old connection's leave, depending on when the server noticed).
    String newId = null;
    for (int i = 0; i < 2 && newId == null; i++) {
      SubscriptionRecorder.Event e = aliceHears.next(SubscriptionRecorder.Event.class);
      if (e instanceof Joined j) {
        newId = j.client().clientId();
      } else {
        assertEquals(new Left("room", new ClientInfo(alice.id(), "", JsonNull.INSTANCE)), e);
      }
    }
    assertNotNull(newId, "no join of the renewed subscription");
    assertNotEquals(alice.id(), newId, "a new connection has a new id");
  }

  // --- unavailable -------------------------------------------------------------------------------

  @Test
  void aSubscribeTheBrokerCannotServeIsRetriedWithBackoffUntilItSucceeds() throws Exception {
    FlakyBroker broker = new FlakyBroker();
    PushServer server = startServer(PushServer.builder().broker(broker));
    PushClient client = connect(server).client();
    SubscriptionRecorder feed = new SubscriptionRecorder();
    broker.failNextHistoryReads(2);

    var subscribed = client.subscribe("feed", feed);

    for (int i = 0; i < 2; i++) {
      SubscriptionRecorder.SubscribeFailed failed = feed.next(SubscriptionRecorder.SubscribeFailed.class);
      assertEquals("unavailable", failed.failure().code());
      assertTrue(failed.retryDelay().compareTo(Duration.ofMillis(200)) <= 0, "the client's backoff");
    }
    assertEquals(PushClient.Recovery.FRESH, feed.subscribed("feed").recovery());
    assertEquals(new PushClient.StreamPosition(0, server.channel("feed").epoch()), await(subscribed),
        "the future waits for the retry that succeeded");
    assertEquals(2, broker.failedReads());
    server.channel("feed").publish("e", 1);
    feed.publications("feed", 1, 1);
    assertEquals(Set.of("feed"), client.channels());
  }

  @Test
  void aRenewalTheBrokerCannotServeIsRetriedFromTheSamePositionAndRecovers() throws Exception {
    FlakyBroker broker = new FlakyBroker();
    PushServer server = startServer(PushServer.builder().broker(broker));
    Channel feed = server.channel("feed");
    PushClient client = connect(server).client();
    SubscriptionRecorder handler = new SubscriptionRecorder();
    await(client.subscribe("feed", handler));
    handler.subscribed("feed");
    feed.publish("e", 1);
    feed.publish("e", 2);
    handler.publications("feed", 1, 2);
    broker.failNextHistoryReads(2);

    client.abortConnection();

    assertEquals("unavailable", handler.next(SubscriptionRecorder.SubscribeFailed.class).failure().code());
    feed.publish("e", 3); // after a failed renewal: replayed by the retry that succeeds, or live after it
    feed.publish("e", 4);
    assertEquals("unavailable", handler.next(SubscriptionRecorder.SubscribeFailed.class).failure().code());
    assertEquals(PushClient.Recovery.RECOVERED, handler.subscribed("feed").recovery(),
        "the retry resumed from the position the client had");
    handler.publications("feed", 3, 4);
    feed.publish("e", 5);
    handler.publications("feed", 5, 5);
  }
}
