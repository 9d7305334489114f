package dev.pushline.client;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonPrimitive;
import dev.pushline.ClientConnection;
import dev.pushline.CloseCodes;
import dev.pushline.ConnectionListener;
import dev.pushline.Publication;
import dev.pushline.PushException;
import dev.pushline.PushServer;
import dev.pushline.RpcException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link PushClient#rpc} against a real {@link PushServer} on 127.0.0.1, over real sockets. */
class RpcClientTest {

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final BlockingQueue<ClientConnection> opened = new LinkedBlockingQueue<>();
  private final Recorder recorder = new Recorder();
  /** Futures handed out by the {@code wait} method, in call order; the test completes them. */
  private final BlockingQueue<CompletableFuture<Object>> waiting = new LinkedBlockingQueue<>();

  @AfterEach
  void closeEverything() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      if (toClose.get(i) instanceof PushClient c) {
        c.close();
      }
    }
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  record Order(String item, int quantity) {}

  record Receipt(String item, int quantity, long total) {}

  /** A server with the methods the tests call. */
  private PushServer startServer(PushServer.Builder builder) {
    PushServer server = builder.host("127.0.0.1").port(0)
        .connectionListener(new ConnectionListener() {
          @Override
          public void onOpen(ClientConnection connection) {
            opened.add(connection);
          }
        })
        .rpc("add", call -> {
          int[] terms = call.dataAs(int[].class);
          return terms[0] + terms[1];
        })
        .rpc("orders.place", call -> {
          Order o = call.dataAs(Order.class);
          return new Receipt(o.item(), o.quantity(), o.quantity() * 250L);
        })
        .rpc("nothing", call -> null)
        .rpc("wait", call -> {
          CompletableFuture<Object> f = new CompletableFuture<>();
          waiting.add(f);
          return f;
        })
        .rpc("orders.cancel", call -> {
          throw new RpcException("order_not_found", "no order " + call.data());
        })
        .rpc("boom", call -> {
          throw new IllegalStateException("connection string with a password");
        })
        .build().start();
    toClose.add(server);
    return server;
  }

  private PushServer startServer() {
    return startServer(PushServer.builder());
  }

  private PushClient.Builder clientFor(PushServer server) {
    return PushClient.builder()
        .uri("ws://127.0.0.1:" + server.port() + server.path())
        .reconnectDelay(Duration.ofMillis(10), Duration.ofMillis(200))
        .listener(recorder);
  }

  private PushClient connected(PushServer server) throws Exception {
    PushClient client = clientFor(server).build();
    toClose.add(client);
    client.connect().get(10, SECONDS);
    recorder.next(Recorder.Connecting.class);
    recorder.next(Recorder.Open.class);
    return client;
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.get(10, SECONDS);
  }

  private static PushException failure(Future<?> future) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(10, SECONDS));
    return assertInstanceOf(PushException.class, e.getCause());
  }

  private CompletableFuture<Object> nextWaiting() throws InterruptedException {
    CompletableFuture<Object> f = waiting.poll(10, SECONDS);
    assertNotNull(f, "the handler did not run within 10 s");
    return f;
  }

  @Test
  void theRequestIsTheProtocolsRpcFrame() {
    assertEquals("{\"type\":\"rpc\",\"id\":7,\"method\":\"orders.get\",\"data\":{\"id\":42}}",
        Frames.rpc(7, Frames.rpcBody("orders.get", Frames.toJson(Map.of("id", 42)))));
    assertEquals("{\"type\":\"rpc\",\"id\":8,\"method\":\"m\",\"data\":null}",
        Frames.rpc(8, Frames.rpcBody("m", Frames.toJson(null))));
  }

  // --- results -----------------------------------------------------------------------------------

  @Test
  void aSynchronousHandlersResultIsTheFuturesValue() throws Exception {
    PushClient client = connected(startServer());

    JsonElement sum = await(client.rpc("add", new int[] {2, 3}));

    assertEquals(new JsonPrimitive(5), sum);
  }

  @Test
  void anAsynchronousHandlersResultArrivesWhenItCompletes() throws Exception {
    PushClient client = connected(startServer());

    CompletableFuture<JsonElement> call = client.rpc("wait", null);
    CompletableFuture<Object> handler = nextWaiting();
    assertFalse(call.isDone());
    handler.complete(Map.of("status", "shipped"));

    assertEquals("shipped", await(call).getAsJsonObject().get("status").getAsString());
  }

  @Test
  void aNullResultIsJsonNull() throws Exception {
    PushClient client = connected(startServer());

    assertEquals(JsonNull.INSTANCE, await(client.rpc("nothing", Map.of("ignored", true))));
    assertNull(await(client.rpc("nothing", null, Receipt.class)));
  }

  @Test
  void recordsGoBothWays() throws Exception {
    PushClient client = connected(startServer());

    Receipt receipt = await(client.rpc("orders.place", new Order("tea", 4), Receipt.class));

    assertEquals(new Receipt("tea", 4, 1000), receipt);
  }

  @Test
  void aResultThatDoesNotFitTheTypeFailsLocally() throws Exception {
    PushClient client = connected(startServer());

    PushException e = failure(client.rpc("add", new int[] {2, 3}, Receipt.class));

    assertNull(e.code());
    assertTrue(e.getMessage().contains("\"add\""), e.getMessage());
  }

  // --- errors ------------------------------------------------------------------------------------

  @Test
  void anUnknownMethodFailsWithMethodNotFound() throws Exception {
    PushClient client = connected(startServer());

    PushException e = failure(client.rpc("orders.gte", 1));

    assertEquals("method_not_found", e.code());
    assertTrue(e.getMessage().contains("orders.gte"), e.getMessage());
  }

  @Test
  void dataThatDoesNotFitTheMethodFailsWithBadRequest() throws Exception {
    PushClient client = connected(startServer());

    assertEquals("bad_request", failure(client.rpc("orders.place", "a cup of tea")).code());
  }

  @Test
  void anApplicationErrorKeepsItsCodeAndMessage() throws Exception {
    PushClient client = connected(startServer());

    PushException e = failure(client.rpc("orders.cancel", 42));

    assertEquals("order_not_found", e.code());
    assertEquals("order_not_found: no order 42", e.getMessage());
  }

  @Test
  void aHandlerThatThrowsFailsWithInternalAndTheConnectionCarriesOn() throws Exception {
    PushServer server = startServer(PushServer.builder().allowClientPublish());
    PushClient client = connected(server);
    ClientConnection connection = opened.poll(10, SECONDS);

    PushException e = failure(client.rpc("boom", null));

    assertEquals("internal", e.code());
    assertFalse(e.getMessage().contains("password"), e.getMessage());
    BlockingQueue<Publication> received = new LinkedBlockingQueue<>();
    await(client.subscribe("after", received::add));
    assertEquals(1L, await(client.publish("after", "e", "still here")));
    assertEquals("still here", received.poll(10, SECONDS).data().getAsString());
    assertEquals(new JsonPrimitive(3), await(client.rpc("add", new int[] {1, 2})));
    assertTrue(connection.isOpen());
    assertSame(connection, server.connections().get(0), "the same connection");
    assertEquals(PushClient.State.CONNECTED, client.state());
  }

  @Test
  void aHandlerThatTakesTooLongFailsWithTimeout() throws Exception {
    PushClient client = connected(startServer(PushServer.builder().rpcTimeout(Duration.ofMillis(200))));

    PushException e = failure(client.rpc("wait", null));

    assertEquals("timeout", e.code());
    nextWaiting().complete("too late"); // dropped by the server
    assertEquals(new JsonPrimitive(3), await(client.rpc("add", new int[] {1, 2})));
  }

  @Test
  void aServerThatDoesNotAnswerInTimeFailsTheCallLocally() throws Exception {
    PushServer server = startServer();
    PushClient client = clientFor(server).requestTimeout(Duration.ofMillis(200)).build();
    toClose.add(client);
    await(client.connect());

    PushException e = failure(client.rpc("wait", null));

    assertNull(e.code());
    assertInstanceOf(TimeoutException.class, e.getCause());
  }

  @Test
  void callsPastThirtyTwoWaitingFailWithLimitExceeded() throws Exception {
    PushClient client = connected(startServer());
    List<CompletableFuture<JsonElement>> calls = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      calls.add(client.rpc("wait", i));
    }

    assertEquals("limit_exceeded", failure(client.rpc("wait", 32)).code());

    for (int i = 0; i < 32; i++) {
      nextWaiting().complete(i);
    }
    for (int i = 0; i < 32; i++) {
      assertEquals(new JsonPrimitive(i), await(calls.get(i)));
    }
    assertEquals(new JsonPrimitive(3), await(client.rpc("add", new int[] {1, 2})));
  }

  // --- connection ----------------------------------------------------------------------------------

  @Test
  void aCallMadeBeforeConnectingIsSentOnceConnected() throws Exception {
    PushServer server = startServer();
    PushClient client = clientFor(server).build();
    toClose.add(client);
    CompletableFuture<JsonElement> early = client.rpc("add", new int[] {20, 22});
    assertEquals(PushClient.State.NEW, client.state());
    assertFalse(early.isDone());

    client.connect();

    assertEquals(new JsonPrimitive(42), await(early));
  }

  @Test
  void aCallWhoseConnectionDropsFailsAndIsNotSentAgain() throws Exception {
    PushServer server = startServer();
    PushClient client = connected(server);
    ClientConnection first = opened.poll(10, SECONDS);
    CompletableFuture<JsonElement> call = client.rpc("wait", null);
    nextWaiting();

    first.close(CloseCodes.RECONNECT, "test");

    PushException e = failure(call);
    assertNull(e.code());
    recorder.skipUntil(Recorder.Open.class);
    assertEquals(new JsonPrimitive(3), await(client.rpc("add", new int[] {1, 2})));
    assertNull(waiting.poll(), "the call was not sent again after the reconnect");
  }

  @Test
  void aClosedClientRefusesCalls() throws Exception {
    PushClient client = connected(startServer());
    client.close();

    PushException e = failure(client.rpc("add", new int[] {1, 2}));

    assertEquals("the client is closed", e.getMessage());
  }

  @Test
  void misuseThrowsAtOnce() throws Exception {
    PushClient client = connected(startServer());

    assertThrows(NullPointerException.class, () -> client.rpc(null, 1));
    assertThrows(NullPointerException.class, () -> client.rpc("add", 1, null));
    assertThrows(IllegalArgumentException.class, () -> client.rpc("add\ud800", 1));
  }

  @Test
  void aClientSpammingFailingCallsDoesNotDisturbOtherSubscribers() throws Exception {
    PushServer server = startServer();
    PushClient subscriber = connected(server);
    PushClient spammer = connected(server);
    BlockingQueue<Publication> received = new LinkedBlockingQueue<>();
    await(subscriber.subscribe("feed", received::add));
    AtomicInteger sent = new AtomicInteger();

    // Waves of 30 failing calls (under the limit of 32 waiting calls; a few throw, which logs a WARN
    // each), while the server publishes.
    for (int wave = 0; wave < 10; wave++) {
      List<CompletableFuture<JsonElement>> calls = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        calls.add(spammer.rpc(i % 10 == 0 ? "boom" : i % 2 == 0 ? "orders.cancel" : "no.such.method", i));
        if (i % 2 == 0) {
          server.channel("feed").publish("tick", sent.incrementAndGet());
        }
      }
      for (int i = 0; i < calls.size(); i++) {
        String expected = i % 10 == 0 ? "internal" : i % 2 == 0 ? "order_not_found" : "method_not_found";
        assertEquals(expected, failure(calls.get(i)).code());
      }
    }

    for (int i = 1; i <= sent.get(); i++) {
      Publication p = received.poll(10, SECONDS);
      assertNotNull(p, "publication " + i + " within 10 s");
      assertEquals(i, p.offset());
      assertEquals(i, p.data().getAsInt());
    }
    assertEquals(PushClient.State.CONNECTED, spammer.state());
    assertEquals(PushClient.State.CONNECTED, subscriber.state());
  }
}
