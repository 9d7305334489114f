package dev.pushline.client;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.pushline.ClientConnection;
import dev.pushline.CloseCodes;
import dev.pushline.ConnectionListener;
import dev.pushline.Publication;
import dev.pushline.PushException;
import dev.pushline.PushServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The client against a real {@link PushServer} on 127.0.0.1, over real sockets. */
class PushClientTest {

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final BlockingQueue<ClientConnection> opened = new LinkedBlockingQueue<>();
  private final Recorder recorder = new Recorder();

  @AfterEach
  void closeEverything() throws Exception {
    // Clients first, so that they do not reconnect to servers being closed.
    for (int i = toClose.size() - 1; i >= 0; i--) {
      if (toClose.get(i) instanceof PushClient c) {
        c.close();
      }
    }
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  // --- helpers -----------------------------------------------------------------------------------

  private PushServer startServer(PushServer.Builder builder) {
    PushServer server = builder.host("127.0.0.1").connectionListener(new ConnectionListener() {
      @Override
      public void onOpen(ClientConnection connection) {
        opened.add(connection);
      }
    }).build().start();
    toClose.add(server);
    return server;
  }

  private PushServer startServer() {
    return startServer(PushServer.builder().port(0));
  }

  private PushClient.Builder clientFor(PushServer server) {
    return PushClient.builder()
        .uri("ws://127.0.0.1:" + server.port() + server.path())
        .reconnectDelay(Duration.ofMillis(10), Duration.ofMillis(200))
        .listener(recorder);
  }

  private PushClient track(PushClient client) {
    toClose.add(client);
    return client;
  }

  private PushClient connected(PushServer server) throws Exception {
    PushClient client = track(clientFor(server).build());
    client.connect().get(10, SECONDS);
    assertEquals(new Recorder.Connecting(1), recorder.next(Recorder.Connecting.class));
    recorder.next(Recorder.Open.class);
    return client;
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.get(10, SECONDS);
  }

  /** The failure of {@code future}, which must be a {@link PushException}. */
  private static PushException failure(Future<?> future) throws Exception {
    ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(10, SECONDS));
    return assertInstanceOf(PushException.class, e.getCause());
  }

  private static Publication next(BlockingQueue<Publication> queue) throws InterruptedException {
    Publication p = queue.poll(10, SECONDS);
    assertNotNull(p, "no publication within 10 s");
    return p;
  }

  private static ClientConnection poll(BlockingQueue<ClientConnection> queue) throws InterruptedException {
    ClientConnection c = queue.poll(10, SECONDS);
    assertNotNull(c, "no connection within 10 s");
    return c;
  }

  /**
   * Returns once the server has handled every request this client sent before: requests are handled in
   * order, so the reply to a fresh subscribe comes after theirs.
   */
  private static void barrier(PushClient client) throws Exception {
    String channel = "barrier-" + System.nanoTime();
    await(client.subscribe(channel, p -> {}));
    await(client.unsubscribe(channel));
  }

  // --- the tests ---------------------------------------------------------------------------------

  @Test
  void receivesPublicationsInOrderWithTheirOffsets() throws Exception {
    PushServer server = startServer();
    server.channel("logs").publish("line", "before the subscription");
    PushClient client = connected(server);
    assertEquals(PushClient.State.CONNECTED, client.state());
    BlockingQueue<Publication> received = new LinkedBlockingQueue<>();

    PushClient.StreamPosition at = await(client.subscribe("logs", received::add));

    assertEquals(1, at.offset());
    assertEquals(server.channel("logs").epoch(), at.epoch());
    for (int i = 0; i < 20; i++) {
      server.channel("logs").publish("line", Map.of("n", i));
    }
    for (int i = 0; i < 20; i++) {
      Publication p = next(received);
      assertEquals("logs", p.channel());
      assertEquals(i + 2, p.offset());
      assertEquals("line", p.event());
      assertEquals(i, p.data().getAsJsonObject().get("n").getAsInt());
    }
    assertEquals(new PushClient.StreamPosition(21, at.epoch()), client.position("logs").orElseThrow());
    assertEquals(Set.of("logs"), client.channels());
  }

  @Test
  void subscribeToAnInvalidChannelFailsWithInvalidChannel() throws Exception {
    PushServer server = startServer();
    PushClient client = connected(server);

    PushException e = failure(client.subscribe("no spaces allowed", p -> {}));

    assertEquals("invalid_channel", e.code());
    assertFalse(client.channels().contains("no spaces allowed"), "a refused subscription is forgotten");
    assertTrue(client.position("no spaces allowed").isEmpty());
    await(client.subscribe("fine", p -> {})); // the connection is still good
  }

  @Test
  void subscribingTwiceFailsWithAlreadySubscribed() throws Exception {
    PushServer server = startServer();
    PushClient client = connected(server);
    BlockingQueue<Publication> first = new LinkedBlockingQueue<>();
    await(client.subscribe("news", first::add));

    PushException e = failure(client.subscribe("news", p -> {}));

    assertEquals("already_subscribed", e.code());
    server.channel("news").publish("headline", "still subscribed once");
    assertEquals(1, next(first).offset());
    assertEquals(1, server.channel("news").subscriberCount());
  }

  @Test
  void unsubscribeStopsDelivery() throws Exception {
    PushServer server = startServer();
    PushClient client = connected(server);
    BlockingQueue<Publication> a = new LinkedBlockingQueue<>();
    BlockingQueue<Publication> b = new LinkedBlockingQueue<>();
    await(client.subscribe("a", a::add));
    await(client.subscribe("b", b::add));
    server.channel("a").publish("e", 1);
    assertEquals(1, next(a).offset());

    await(client.unsubscribe("a"));

    assertEquals(0, server.channel("a").subscriberCount());
    server.channel("a").publish("e", 2);
    server.channel("b").publish("e", 3);
    // One connection delivers in order: had "a" been delivered, it would have come before "b".
    assertEquals("b", next(b).channel());
    assertNull(a.poll(), "a publication of an unsubscribed channel was delivered");
    assertEquals(Set.of("b"), client.channels());
    assertEquals("not_subscribed", failure(client.unsubscribe("a")).code());
  }

  @Test
  void publishIsRefusedWithForbiddenByDefault() throws Exception {
    PushServer server = startServer();
    PushClient client = connected(server);

    PushException e = failure(client.publish("chat", "message", Map.of("text", "hi")));

    assertEquals("forbidden", e.code());
    assertEquals(0, server.channel("chat").offset());
  }

  @Test
  void publishReturnsTheOffsetWhereClientsMayPublish() throws Exception {
    PushServer server = startServer(PushServer.builder().port(0).allowClientPublish());
    PushClient publisher = connected(server);
    PushClient subscriber = connected(server);
    BlockingQueue<Publication> received = new LinkedBlockingQueue<>();
    await(subscriber.subscribe("chat", received::add));

    long first = await(publisher.publish("chat", "message", Map.of("text", "hi")));
    long second = await(publisher.publish("chat", "message", null));

    assertEquals(1, first);
    assertEquals(2, second);
    Publication p = next(received);
    assertEquals(1, p.offset());
    assertEquals("hi", p.data().getAsJsonObject().get("text").getAsString());
    assertTrue(next(received).data().isJsonNull());
    assertEquals("bad_request", failure(publisher.publish("chat", "", 1)).code());
  }

  @Test
  void reconnectsAndResubscribesWhenTheServerAsksToReconnect() throws Exception {
    PushServer server = startServer();
    PushClient client = connected(server);
    ClientConnection first = poll(opened);
    BlockingQueue<Publication> received = new LinkedBlockingQueue<>();
    await(client.subscribe("feed", received::add));
    server.channel("feed").publish("e", "before");
    assertEquals(1, next(received).offset());

    first.close(CloseCodes.RECONNECT, "rebalancing");

    Recorder.Disconnected lost = recorder.next(Recorder.Disconnected.class);
    assertEquals(CloseCodes.RECONNECT, lost.code());
    assertEquals("rebalancing", lost.reason());
    assertNull(lost.failure());
    assertEquals(new Recorder.Connecting(1), recorder.next(Recorder.Connecting.class));
    Recorder.Open open = recorder.next(Recorder.Open.class);
    ClientConnection second = poll(opened);
    assertEquals(second.id(), open.connectionId());
    assertNotEquals(first.id(), second.id());
    assertEquals(PushClient.State.CONNECTED, client.state());
    barrier(client);
    assertEquals(Set.of("feed"), second.channels());

    server.channel("feed").publish("e", "after");

    Publication after = next(received);
    assertEquals(2, after.offset());
    assertEquals("after", after.data().getAsString());
  }

  @Test
  void staysClosedWhenTheServerDisconnectsForGood() throws Exception {
    PushServer server = startServer();
    PushClient client = connected(server);
    await(client.subscribe("feed", p -> {}));

    poll(opened).close("account suspended");

    assertEquals(new Recorder.Closed(CloseCodes.DISCONNECT, "account suspended"),
        recorder.next(Recorder.Closed.class));
    assertEquals(PushClient.State.CLOSED, client.state());
    assertNull(failure(client.subscribe("other", p -> {})).code());
    assertNull(failure(client.publish("feed", "e", 1)).code());
    recorder.assertSilentFor(Duration.ofMillis(300)); // the reconnect delay is 10..200 ms
    assertNull(opened.poll());
  }

  @Test
  void applicationCloseCodesAboveFourThousandFiveHundredAreFinalToo() throws Exception {
    PushServer server = startServer();
    connected(server);

    poll(opened).close(4501, "go away");

    assertEquals(new Recorder.Closed(4501, "go away"), recorder.next(Recorder.Closed.class));
  }

  @Test
  void comesBackWhenTheServerRestartsOnTheSamePort() throws Exception {
    PushServer first = startServer();
    int port = first.port();
    PushClient client = connected(first);
    BlockingQueue<Publication> received = new LinkedBlockingQueue<>();
    PushClient.StreamPosition before = await(client.subscribe("feed", received::add));
    first.channel("feed").publish("e", 1);
    assertEquals(1, next(received).offset());

    first.close();

    Recorder.Disconnected lost = recorder.next(Recorder.Disconnected.class);
    assertEquals(CloseCodes.GOING_AWAY, lost.code());
    PushServer second = startServer(PushServer.builder().port(port));
    recorder.skipUntil(Recorder.Open.class); // attempts may fail (refused) until the new server listens
    barrier(client);
    second.channel("feed").publish("e", 2);

    Publication p = next(received);
    assertEquals(1, p.offset(), "the new server's stream starts again");
    PushClient.StreamPosition now = client.position("feed").orElseThrow();
    assertNotEquals(before.epoch(), now.epoch());
    assertEquals(new PushClient.StreamPosition(1, second.channel("feed").epoch()), now);
  }

  @Test
  void subscriptionsMadeBeforeConnectingAreSentOnceConnected() throws Exception {
    PushServer server = startServer();
    PushClient client = track(clientFor(server).build());
    BlockingQueue<Publication> received = new LinkedBlockingQueue<>();
    CompletableFuture<PushClient.StreamPosition> subscribed = client.subscribe("early", received::add);
    assertFalse(subscribed.isDone());
    assertEquals(PushClient.State.NEW, client.state());

    client.connect();

    assertEquals(0, await(subscribed).offset());
    server.channel("early").publish("e", 1);
    assertEquals(1, next(received).offset());
  }

  @Test
  void largePublicationsArriveWhole() throws Exception {
    PushServer server = startServer();
    PushClient client = connected(server);
    BlockingQueue<Publication> received = new LinkedBlockingQueue<>();
    await(client.subscribe("big", received::add));
    String large = "x".repeat(700_000) + "é€😀";

    server.channel("big").publish("blob", large);
    server.channel("big").publish("small", "after");

    assertEquals(large, next(received).data().getAsString());
    assertEquals("after", next(received).data().getAsString());
  }

  @Test
  void messagesToThisClientReachTheListener() throws Exception {
    PushServer server = startServer();
    connected(server);

    poll(opened).send("notice", Map.of("text", "maintenance at 22:00"));

    Recorder.Message m = recorder.next(Recorder.Message.class);
    assertEquals("notice", m.event());
    assertEquals("maintenance at 22:00", ((JsonObject) m.data()).get("text").getAsString());
  }

  @Test
  void aHandlerThatThrowsDoesNotStopDelivery() throws Exception {
    PushServer server = startServer();
    PushClient client = connected(server);
    BlockingQueue<Publication> received = new LinkedBlockingQueue<>();
    Consumer<Publication> handler = p -> {
      received.add(p);
      if (p.offset() == 1) {
        throw new IllegalStateException("handler bug (expected by the test)");
      }
    };
    await(client.subscribe("flaky", handler));

    server.channel("flaky").publish("e", 1);
    server.channel("flaky").publish("e", 2);

    assertEquals(1, next(received).offset());
    assertEquals(2, next(received).offset());
    assertEquals(PushClient.State.CONNECTED, client.state());
  }

  @Test
  void aListenerThatThrowsDoesNotStopTheClient() throws Exception {
    PushServer server = startServer();
    BlockingQueue<String> heard = new LinkedBlockingQueue<>();
    PushClient client = track(clientFor(server).listener(new PushClient.Listener() {
      @Override
      public void onOpen(PushClient c, String id) {
        heard.add("open");
        throw new IllegalStateException("listener bug (expected by the test)");
      }

      @Override
      public void onDisconnected(PushClient c, int code, String reason, Throwable f, Duration d) {
        heard.add("disconnected");
        throw new IllegalStateException("listener bug (expected by the test)");
      }
    }).build());
    client.connect().get(10, SECONDS);
    assertEquals("open", heard.poll(10, SECONDS));

    poll(opened).close(CloseCodes.RECONNECT, "again");

    assertEquals("disconnected", heard.poll(10, SECONDS));
    assertEquals("open", heard.poll(10, SECONDS));
  }

  @Test
  void closeSaysGoodbyeWithNormalClosureAndStops() throws Exception {
    PushServer server = startServer();
    BlockingQueue<Integer> closeCodes = new LinkedBlockingQueue<>();
    PushServer observed = PushServer.builder().host("127.0.0.1").port(0)
        .connectionListener(new ConnectionListener() {
          @Override
          public void onClosed(ClientConnection connection, int code, String reason) {
            closeCodes.add(code);
          }
        }).build().start();
    toClose.add(observed);
    PushClient client = connected(observed);

    client.close();

    assertEquals(new Recorder.Closed(1000, "closed by the client"), recorder.next(Recorder.Closed.class));
    assertEquals(1000, closeCodes.poll(10, SECONDS));
    assertEquals(PushClient.State.CLOSED, client.state());
    recorder.assertSilentFor(Duration.ofMillis(300));
    assertEquals(0, server.connectionCount());
  }
}
