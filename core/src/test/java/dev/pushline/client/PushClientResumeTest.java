package dev.pushline.client;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pushline.Channel;
import dev.pushline.ChannelOptions;
import dev.pushline.ClientConnection;
import dev.pushline.CloseCodes;
import dev.pushline.ConnectionListener;
import dev.pushline.Publication;
import dev.pushline.PushServer;
import dev.pushline.client.PushClient.Recovery;
import dev.pushline.client.PushClient.StreamPosition;
import dev.pushline.client.SubscriptionRecorder.Subscribed;
import dev.pushline.client.SubscriptionRecorder.Unsubscribed;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Resume, recovery and server-side subscriptions against a real {@link PushServer} on 127.0.0.1. Where a
 * test needs publications made while the client is certainly away, a {@link TcpProxy} holds its
 * reconnection back until they are made.
 */
class PushClientResumeTest {

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final BlockingQueue<ClientConnection> opened = new LinkedBlockingQueue<>();
  private final BlockingQueue<ClientConnection> closed = new LinkedBlockingQueue<>();
  private final Recorder recorder = new Recorder();

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
    PushServer server = builder.host("127.0.0.1").connectionListener(new ConnectionListener() {
      @Override
      public void onOpen(ClientConnection connection) {
        opened.add(connection);
      }

      @Override
      public void onClosed(ClientConnection connection, int code, String reason) {
        closed.add(connection);
      }
    }).build().start();
    toClose.add(server);
    return server;
  }

  private TcpProxy proxyTo(PushServer server) throws Exception {
    TcpProxy proxy = new TcpProxy(server.port());
    toClose.add(proxy);
    return proxy;
  }

  private PushClient connectedVia(URI uri, PushClient.Builder builder) throws Exception {
    PushClient client = builder.uri(uri).reconnectDelay(Duration.ofMillis(10), Duration.ofMillis(200))
        .listener(recorder).build();
    toClose.add(client);
    client.connect().get(10, SECONDS);
    recorder.next(Recorder.Connecting.class);
    recorder.next(Recorder.Open.class);
    return client;
  }

  private static URI uriOf(PushServer server) {
    return URI.create("ws://127.0.0.1:" + server.port() + server.path());
  }

  private static ClientConnection poll(BlockingQueue<ClientConnection> queue) throws InterruptedException {
    ClientConnection c = queue.poll(10, SECONDS);
    assertNotNull(c, "no connection event within 10 s");
    return c;
  }

  private static void publish(Channel channel, int count) {
    for (int i = 0; i < count; i++) {
      channel.publish("e", channel.offset() + 1);
    }
  }

  /**
   * Closes the client's connection server-side with RECONNECT and publishes {@code missed} publications
   * once the server has forgotten the connection, while the proxy holds the client's next connection
   * back; then lets it through.
   */
  private void closeAndPublishWhileAway(TcpProxy proxy, Channel channel, int missed) throws Exception {
    proxy.hold();
    ClientConnection first = poll(opened);
    first.close(CloseCodes.RECONNECT, "rebalancing");
    assertSame(first, poll(closed), "the server has forgotten the connection");
    assertEquals(CloseCodes.RECONNECT, recorder.next(Recorder.Disconnected.class).code());
    publish(channel, missed);
    proxy.release();
    recorder.skipUntil(Recorder.Open.class);
  }

  // --- the tests ---------------------------------------------------------------------------------

  @Test
  void resumeAfterAServerSideCloseReplaysWhatWasMissedInOrderExactlyOnce() throws Exception {
    PushServer server = startServer(PushServer.builder().port(0));
    TcpProxy proxy = proxyTo(server);
    Channel feed = server.channel("feed");
    PushClient client = connectedVia(proxy.uri(server.path()), PushClient.builder());
    SubscriptionRecorder handler = new SubscriptionRecorder();
    client.subscribe("feed", handler).get(10, SECONDS);
    assertEquals(new Subscribed("feed", new StreamPosition(0, feed.epoch()), Recovery.FRESH),
        handler.subscribed("feed"));
    publish(feed, 3);
    handler.publications("feed", 1, 3);

    closeAndPublishWhileAway(proxy, feed, 5);

    assertEquals(new Subscribed("feed", new StreamPosition(8, feed.epoch()), Recovery.RECOVERED),
        handler.subscribed("feed"));
    handler.publications("feed", 4, 8);
    publish(feed, 1);
    handler.publications("feed", 9, 9); // one connection, in order: a duplicate would have come before
    assertEquals(new StreamPosition(9, feed.epoch()), client.position("feed").orElseThrow());
    assertEquals(1, server.stats().resumesRecovered());
  }

  @Test
  void resumeReportsNotRecoveredWhenHistoryIsOffAndPublicationsWereMissed() throws Exception {
    PushServer server = startServer(PushServer.builder().port(0).channelOptions(ChannelOptions.noHistory()));
    TcpProxy proxy = proxyTo(server);
    Channel feed = server.channel("feed");
    PushClient client = connectedVia(proxy.uri(server.path()), PushClient.builder());
    SubscriptionRecorder handler = new SubscriptionRecorder();
    client.subscribe("feed", handler).get(10, SECONDS);
    assertEquals(Recovery.FRESH, handler.subscribed("feed").recovery());
    publish(feed, 2);
    handler.publications("feed", 1, 2);

    closeAndPublishWhileAway(proxy, feed, 4);

    assertEquals(new Subscribed("feed", new StreamPosition(6, feed.epoch()), Recovery.NOT_RECOVERED),
        handler.subscribed("feed"));
    publish(feed, 1);
    handler.publications("feed", 7, 7); // 3..6 are gone; the handler was told
    assertEquals(1, server.stats().resumesNotRecovered());
  }

  @Test
  void resumeReportsNotRecoveredAfterTheServerRestartedOnTheSamePort() throws Exception {
    PushServer first = startServer(PushServer.builder().port(0));
    int port = first.port();
    PushClient client = connectedVia(uriOf(first), PushClient.builder());
    SubscriptionRecorder handler = new SubscriptionRecorder();
    client.subscribe("feed", handler).get(10, SECONDS);
    handler.subscribed("feed");
    publish(first.channel("feed"), 5);
    handler.publications("feed", 1, 5);
    String oldEpoch = first.channel("feed").epoch();

    first.close();
    PushServer second = startServer(PushServer.builder().port(port));

    Subscribed again = handler.subscribed("feed");
    assertEquals(Recovery.NOT_RECOVERED, again.recovery());
    assertEquals(new StreamPosition(0, second.channel("feed").epoch()), again.position());
    assertNotEquals(oldEpoch, again.position().epoch());
    publish(second.channel("feed"), 3);
    handler.publications("feed", 1, 3); // a new stream: its offsets are delivered though lower than 5
  }

  @Test
  void historyOnAFreshSubscriptionDeliversTheLastPublicationsFirst() throws Exception {
    PushServer server = startServer(PushServer.builder().port(0));
    Channel chat = server.channel("chat");
    publish(chat, 10);
    PushClient client = connectedVia(uriOf(server), PushClient.builder());
    SubscriptionRecorder handler = new SubscriptionRecorder();

    StreamPosition at = client.subscribe("chat", PushClient.SubscribeOptions.DEFAULT.withHistory(3), handler)
        .get(10, SECONDS);

    assertEquals(new StreamPosition(10, chat.epoch()), at);
    assertEquals(new Subscribed("chat", at, Recovery.FRESH), handler.subscribed("chat"));
    handler.publications("chat", 8, 10);
    publish(chat, 1);
    handler.publications("chat", 11, 11);
  }

  @Test
  void aSlowConsumerIsDisconnectedAndResumesWithoutLosingAnything() throws Exception {
    PushServer server = startServer(PushServer.builder().port(0).maxQueuedBytes(64 * 1024)
        .channelOptions(ChannelOptions.DEFAULT.withHistory(20_000, Duration.ofMinutes(5))));
    Channel feed = server.channel("feed");
    PushClient client = connectedVia(uriOf(server), PushClient.builder());
    SubscriptionRecorder handler = new SubscriptionRecorder();
    CountDownLatch unblock = new CountDownLatch(1);
    client.subscribe("feed", new PushClient.SubscriptionHandler() {
      @Override
      public void onSubscribed(String channel, StreamPosition position, Recovery recovery) {
        handler.onSubscribed(channel, position, recovery);
      }

      @Override
      public void onPublication(Publication publication) {
        handler.onPublication(publication);
        if (publication.offset() == 1) {
          try {
            // Stop reading, as a stalled consumer would, until the server gave up on this client.
            assertTrue(unblock.await(30, SECONDS), "the server never found the client slow");
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }
    }).get(10, SECONDS);
    assertEquals(Recovery.FRESH, handler.subscribed("feed").recovery());

    String payload = "x".repeat(4_000);
    int published = 0;
    while (server.stats().slowConsumerDisconnects() == 0 && published < 10_000) {
      feed.publish("e", payload);
      published++;
    }
    assertEquals(1, server.stats().slowConsumerDisconnects(), "no slow consumer after " + published);
    unblock.countDown();

    assertEquals(CloseCodes.SLOW_CONSUMER, recorder.skipUntil(Recorder.Disconnected.class).code());
    handler.publications("feed", 1, 1);
    for (long offset = 2; ; offset++) {
      SubscriptionRecorder.Event e = handler.next(SubscriptionRecorder.Event.class);
      if (e instanceof Subscribed s) {
        assertEquals(Recovery.RECOVERED, s.recovery());
        handler.publications("feed", offset, published);
        break;
      }
      assertEquals(offset, ((SubscriptionRecorder.Received) e).publication().offset());
    }
    publish(feed, 1);
    handler.publications("feed", published + 1, published + 1);
  }

  @Test
  void serverSideSubscriptionsReachTheServerSubscriptionHandlerAndEndWithTheirConnection() throws Exception {
    PushServer server = startServer(PushServer.builder().port(0));
    Channel user = server.channel("user:42");
    publish(user, 2);
    SubscriptionRecorder handler = new SubscriptionRecorder();
    PushClient client = connectedVia(uriOf(server), PushClient.builder().serverSubscriptionHandler(handler));
    ClientConnection connection = poll(opened);

    assertTrue(user.subscribe(connection));

    assertEquals(new Subscribed("user:42", new StreamPosition(2, user.epoch()), Recovery.FRESH),
        handler.subscribed("user:42"));
    publish(user, 1);
    handler.publications("user:42", 3, 3);
    assertEquals(Set.of(), client.channels(), "server-side subscriptions are the server's");
    assertTrue(client.position("user:42").isEmpty());

    assertTrue(user.unsubscribe(connection));
    assertEquals(new Unsubscribed("user:42"), handler.next(Unsubscribed.class));
    publish(user, 1); // offset 4: not delivered
    assertTrue(user.subscribe(connection));
    assertEquals(new StreamPosition(4, user.epoch()), handler.subscribed("user:42").position());
    publish(user, 1);
    handler.publications("user:42", 5, 5);

    connection.close(CloseCodes.RECONNECT, "moving");
    assertEquals(new Unsubscribed("user:42"), handler.next(Unsubscribed.class));
    recorder.skipUntil(Recorder.Open.class);
    assertTrue(user.subscribe(poll(opened)), "the host subscribes the new connection, as it would in onOpen");
    assertEquals(new Subscribed("user:42", new StreamPosition(5, user.epoch()), Recovery.FRESH),
        handler.subscribed("user:42"));
  }

  @Test
  void theServerEndingAClientSubscriptionIsToldAndItIsNotRenewed() throws Exception {
    PushServer server = startServer(PushServer.builder().port(0));
    Channel feed = server.channel("feed");
    PushClient client = connectedVia(uriOf(server), PushClient.builder());
    ClientConnection connection = poll(opened);
    SubscriptionRecorder handler = new SubscriptionRecorder();
    client.subscribe("feed", handler).get(10, SECONDS);
    handler.subscribed("feed");
    publish(feed, 1);

    assertTrue(feed.unsubscribe(connection));

    handler.publications("feed", 1, 1);
    assertEquals(new Unsubscribed("feed"), handler.next(Unsubscribed.class));
    assertFalse(client.channels().contains("feed"));
    connection.close(CloseCodes.RECONNECT, "again");
    recorder.skipUntil(Recorder.Open.class);
    ClientConnection second = poll(opened);
    client.subscribe("barrier", p -> {}).get(10, SECONDS); // requests are handled in order
    assertEquals(Set.of("barrier"), second.channels(), "the ended subscription was not renewed");
  }
}
