package dev.pushline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pushline.auth.ConnectDecision;
import dev.pushline.auth.Principal;
import dev.pushline.transport.MemoryTransport;
import dev.pushline.transport.MemoryTransport.Peer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code rpc} request of protocol v1, frame by frame, through the in-memory transport. */
class RpcProtocolTest {

  private final MemoryTransport transport = new MemoryTransport();
  private final List<CountDownLatch> toRelease = new ArrayList<>();
  private PushServer server;

  @AfterEach
  void close() {
    toRelease.forEach(CountDownLatch::countDown); // no handler stays blocked on a callback thread
    if (server != null) {
      server.close();
    }
  }

  private PushServer start(PushServer.Builder builder) {
    server = builder.transport(transport).build().start();
    return server;
  }

  private static JsonObject json(String text) {
    return JsonParser.parseString(text).getAsJsonObject();
  }

  /** Connects and reads the welcome. */
  private Peer connect() {
    Peer peer = transport.connect();
    assertEquals("welcome", json(peer.next()).get("type").getAsString());
    return peer;
  }

  private static void assertError(String reply, long id, String code) {
    JsonObject o = json(reply);
    assertEquals("error", o.get("type").getAsString(), reply);
    assertEquals(id, o.get("id").getAsLong(), reply);
    assertEquals(code, o.get("code").getAsString(), reply);
    assertFalse(o.get("message").getAsString().isBlank(), reply);
  }

  private CountDownLatch latch() {
    CountDownLatch latch = new CountDownLatch(1);
    toRelease.add(latch);
    return latch;
  }

  private static void await(CountDownLatch latch) {
    try {
      assertTrue(latch.await(5, TimeUnit.SECONDS), "latch not released within 5 s");
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  record Sum(int a, int b) {}

  @Test
  void rpcRepliesWithTheHandlersResultAsData() {
    start(PushServer.builder().rpc("add", call -> {
      Sum s = call.dataAs(Sum.class);
      return s.a() + s.b();
    }));
    Peer peer = connect();

    peer.send("{\"type\":\"rpc\",\"id\":7,\"method\":\"add\",\"data\":{\"a\":1,\"b\":2}}");

    assertEquals("{\"type\":\"rpc\",\"id\":7,\"data\":3}", peer.next());
  }

  @Test
  void objectsMapsAndNullBecomeJson() {
    start(PushServer.builder()
        .rpc("record", call -> new Sum(4, 5))
        .rpc("map", call -> Map.of("echo", call.data()))
        .rpc("nothing", call -> null));
    Peer peer = connect();

    peer.send("{\"type\":\"rpc\",\"id\":1,\"method\":\"record\"}");
    assertEquals("{\"type\":\"rpc\",\"id\":1,\"data\":{\"a\":4,\"b\":5}}", peer.next());
    peer.send("{\"type\":\"rpc\",\"id\":2,\"method\":\"map\",\"data\":[1,\"x\"]}");
    assertEquals("{\"type\":\"rpc\",\"id\":2,\"data\":{\"echo\":[1,\"x\"]}}", peer.next());
    peer.send("{\"type\":\"rpc\",\"id\":3,\"method\":\"map\"}");
    assertEquals("{\"type\":\"rpc\",\"id\":3,\"data\":{\"echo\":null}}", peer.next());
    peer.send("{\"type\":\"rpc\",\"id\":4,\"method\":\"nothing\"}");
    assertEquals("{\"type\":\"rpc\",\"id\":4,\"data\":null}", peer.next());
  }

  @Test
  void theHandlerSeesTheCallersConnection() {
    BlockingQueue<RpcCall> calls = new LinkedBlockingQueue<>();
    start(PushServer.builder().rpc("who", call -> {
      calls.add(call);
      return call.connection().id();
    }));
    Peer peer = transport.connect();
    String clientId = json(peer.next()).get("client").getAsString();

    peer.send("{\"type\":\"rpc\",\"id\":1,\"method\":\"who\"}");

    assertEquals("{\"type\":\"rpc\",\"id\":1,\"data\":\"" + clientId + "\"}", peer.next());
    RpcCall call = calls.poll();
    assertNotNull(call);
    assertEquals("who", call.method());
    assertEquals(Principal.ANONYMOUS, call.connection().principal());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"type\":\"rpc\",\"id\":5}|bad_request",
      "{\"type\":\"rpc\",\"id\":5,\"method\":null}|bad_request",
      "{\"type\":\"rpc\",\"id\":5,\"method\":7}|bad_request",
      "{\"type\":\"rpc\",\"id\":5,\"method\":{\"name\":\"echo\"}}|bad_request",
      "{\"type\":\"rpc\",\"id\":5,\"method\":\"\"}|bad_request",
      "{\"type\":\"rpc\",\"id\":5,\"method\":\"nope\"}|method_not_found",
      "{\"type\":\"rpc\",\"id\":5,\"method\":\"ECHO\"}|method_not_found",
      "{\"type\":\"rpc\",\"id\":5,\"method\":\"echo \"}|method_not_found",
  })
  void malformedAndUnknownCallsGetErrorsWithTheirId(String request, String code) {
    AtomicInteger calls = new AtomicInteger();
    start(PushServer.builder().rpc("echo", call -> calls.incrementAndGet()));
    Peer peer = connect();

    peer.send(request);

    assertError(peer.next(), 5, code);
    peer.send("{\"type\":\"ping\",\"id\":6}");
    assertEquals("{\"type\":\"pong\",\"id\":6}", peer.next(), "the connection stays");
    assertEquals(0, calls.get());
  }

  @Test
  void aCallWithoutIdIsABadRequestWithoutId() {
    start(PushServer.builder().rpc("echo", call -> call.data()));
    Peer peer = connect();

    peer.send("{\"type\":\"rpc\",\"method\":\"echo\",\"data\":1}");

    JsonObject reply = json(peer.next());
    assertEquals("error", reply.get("type").getAsString());
    assertEquals("bad_request", reply.get("code").getAsString());
    assertFalse(reply.has("id"), reply.toString());
  }

  @Test
  void anRpcExceptionIsAnsweredWithItsOwnCodeAndMessage() {
    start(PushServer.builder().rpc("orders.cancel", call -> {
      throw new RpcException("order_not_found", "no such order");
    }));
    Peer peer = connect();

    peer.send("{\"type\":\"rpc\",\"id\":3,\"method\":\"orders.cancel\",\"data\":{\"id\":9}}");

    assertEquals("{\"type\":\"error\",\"id\":3,\"code\":\"order_not_found\",\"message\":\"no such order\"}",
        peer.next());
    assertEquals(0, server.stats().errors("order_not_found"), "application codes are not counted");
  }

  @Test
  void anyOtherExceptionIsAnsweredInternalWithoutItsText() {
    start(PushServer.builder()
        .rpc("sync", call -> {
          throw new IllegalStateException("secret database password");
        })
        .rpc("async", call -> CompletableFuture.failedFuture(new java.io.IOException("secret path"))));
    Peer peer = connect();

    peer.send("{\"type\":\"rpc\",\"id\":1,\"method\":\"sync\"}");
    String first = peer.next();
    peer.send("{\"type\":\"rpc\",\"id\":2,\"method\":\"async\"}");
    String second = peer.next();

    assertError(first, 1, "internal");
    assertError(second, 2, "internal");
    assertFalse(first.contains("secret") || second.contains("secret"), first + second);
    assertEquals(2, server.stats().errors("internal"));
  }

  @Test
  void aResultGsonCannotSerialiseIsAnsweredInternal() {
    start(PushServer.builder()
        .rpc("anonymous", call -> new Object() { final int x = 1; })
        .rpc("huge", call -> "x".repeat(70 * 1024)) // over maxQueuedBytes (64 KiB here)
        .maxQueuedBytes(64 * 1024));
    Peer peer = connect();

    peer.send("{\"type\":\"rpc\",\"id\":1,\"method\":\"anonymous\"}");
    assertError(peer.next(), 1, "internal");
    peer.send("{\"type\":\"rpc\",\"id\":2,\"method\":\"huge\"}");
    assertError(peer.next(), 2, "internal");
    peer.send("{\"type\":\"ping\",\"id\":3}");
    assertEquals("{\"type\":\"pong\",\"id\":3}", peer.next());
  }

  @Test
  void dataThatDoesNotFitTheHandlersTypeIsABadRequest() {
    start(PushServer.builder().rpc("add", call -> call.dataAs(Sum.class).a()));
    Peer peer = connect();

    peer.send("{\"type\":\"rpc\",\"id\":1,\"method\":\"add\",\"data\":\"one and two\"}");
    assertError(peer.next(), 1, "bad_request");
    peer.send("{\"type\":\"rpc\",\"id\":2,\"method\":\"add\",\"data\":{\"a\":\"x\"}}");
    assertError(peer.next(), 2, "bad_request");
  }

  @Test
  void repliesComeAsResultsCompleteNotInRequestOrder() {
    CompletableFuture<String> slow = new CompletableFuture<>();
    start(PushServer.builder()
        .rpc("slow", call -> slow)
        .rpc("fast", call -> "fast"));
    Peer peer = connect();

    peer.send("{\"type\":\"rpc\",\"id\":1,\"method\":\"slow\"}");
    peer.send("{\"type\":\"rpc\",\"id\":2,\"method\":\"fast\"}");
    assertEquals("{\"type\":\"rpc\",\"id\":2,\"data\":\"fast\"}", peer.next());
    slow.complete("slow");
    assertEquals("{\"type\":\"rpc\",\"id\":1,\"data\":\"slow\"}", peer.next());
  }

  @Test
  void aResultLaterThanTheTimeoutIsAnsweredTimeoutAndDropped() {
    CompletableFuture<String> never = new CompletableFuture<>();
    start(PushServer.builder().rpcTimeout(Duration.ofMillis(100)).rpc("slow", call -> never));
    Peer peer = connect();

    peer.send("{\"type\":\"rpc\",\"id\":4,\"method\":\"slow\"}");

    assertError(peer.next(), 4, "timeout");
    never.complete("late"); // would be sent on this thread, now, if it were not dropped
    peer.send("{\"type\":\"ping\",\"id\":5}");
    assertEquals("{\"type\":\"pong\",\"id\":5}", peer.next());
    assertEquals(1, server.stats().errors("timeout"));
  }

  @Test
  void aCallThatTimedOutWhileQueuedBehindABlockingHandlerIsNeverHandled() {
    CountDownLatch release = latch();
    CountDownLatch blocking = latch();
    AtomicInteger queuedCalls = new AtomicInteger();
    start(PushServer.builder().rpcTimeout(Duration.ofMillis(100))
        .rpc("block", call -> {
          blocking.countDown();
          await(release);
          return "done";
        })
        .rpc("queued", call -> queuedCalls.incrementAndGet()));
    Peer peer = connect();

    peer.send("{\"type\":\"rpc\",\"id\":1,\"method\":\"block\"}");
    await(blocking);
    peer.send("{\"type\":\"rpc\",\"id\":2,\"method\":\"queued\"}");
    List<String> replies = List.of(peer.next(), peer.next());
    assertError(replies.get(0), 1, "timeout");
    assertError(replies.get(1), 2, "timeout");

    release.countDown();
    peer.send("{\"type\":\"rpc\",\"id\":3,\"method\":\"queued\"}"); // runs after the two before it
    assertEquals("{\"type\":\"rpc\",\"id\":3,\"data\":1}", peer.next());
    assertEquals(1, queuedCalls.get(), "the call that timed out in the queue was not handled");
  }

  @Test
  void callsPastTheInFlightLimitAreRefusedAndTheConnectionStays() throws InterruptedException {
    BlockingQueue<CompletableFuture<String>> results = new LinkedBlockingQueue<>();
    start(PushServer.builder().rpc("wait", call -> {
      CompletableFuture<String> f = new CompletableFuture<>();
      results.add(f);
      return f;
    }));
    Peer peer = connect();

    for (int i = 1; i <= 32; i++) {
      peer.send("{\"type\":\"rpc\",\"id\":" + i + ",\"method\":\"wait\"}");
    }
    peer.send("{\"type\":\"rpc\",\"id\":33,\"method\":\"wait\"}");

    assertError(peer.next(), 33, "limit_exceeded");
    peer.send("{\"type\":\"ping\",\"id\":34}");
    assertEquals("{\"type\":\"pong\",\"id\":34}", peer.next());
    // A reply frees a place.
    next(results).complete("one");
    assertEquals("{\"type\":\"rpc\",\"id\":1,\"data\":\"one\"}", peer.next());
    peer.send("{\"type\":\"rpc\",\"id\":35,\"method\":\"wait\"}");
    for (int i = 2; i <= 32; i++) {
      next(results);
    }
    next(results).complete("again");
    assertEquals("{\"type\":\"rpc\",\"id\":35,\"data\":\"again\"}", peer.next());
  }

  /** The future the next handler call returned, once it has run on its callback thread. */
  private static CompletableFuture<String> next(BlockingQueue<CompletableFuture<String>> results)
      throws InterruptedException {
    CompletableFuture<String> f = results.poll(5, TimeUnit.SECONDS);
    assertNotNull(f, "no handler call within 5 s");
    return f;
  }

  @Test
  void callsOfAConnectionThatClosedAreNotHandledAndNotAnswered() {
    CountDownLatch release = latch();
    CountDownLatch blocking = latch();
    CountDownLatch closed = new CountDownLatch(1);
    AtomicInteger queuedCalls = new AtomicInteger();
    start(PushServer.builder()
        .connectionListener(new ConnectionListener() {
          @Override
          public void onClosed(ClientConnection connection, int code, String reason) {
            closed.countDown();
          }
        })
        .rpc("block", call -> {
          blocking.countDown();
          await(release);
          return "done";
        })
        .rpc("queued", call -> queuedCalls.incrementAndGet()));
    Peer peer = connect();

    peer.send("{\"type\":\"rpc\",\"id\":1,\"method\":\"block\"}");
    await(blocking);
    peer.send("{\"type\":\"rpc\",\"id\":2,\"method\":\"queued\"}");
    peer.disconnect(1001);
    release.countDown();

    await(closed); // onClosed runs on the connection's callback executor after both calls' tasks
    assertEquals(0, queuedCalls.get());
    assertTrue(peer.idle(), "nothing was sent after the close");
    assertEquals(0, server.stats().errors("timeout"));
  }

  @Test
  void rpcBeforeAuthenticatingIsRefusedLikeEveryOtherRequest() throws InterruptedException {
    AtomicInteger calls = new AtomicInteger();
    start(PushServer.builder()
        .authenticator(request -> request.token() == null
            ? ConnectDecision.reject("no token")
            : ConnectDecision.accept(Principal.user(request.token())))
        .rpc("echo", call -> calls.incrementAndGet()));
    Peer peer = transport.connect(); // no token: nothing is sent until a connect

    peer.send("{\"type\":\"rpc\",\"id\":1,\"method\":\"echo\"}");

    assertError(peer.next(), 1, "unauthorized");
    assertEquals(CloseCodes.UNAUTHORIZED, peer.awaitClose());
    assertEquals(0, calls.get());
  }

  @Test
  void anAuthenticatedCallerIsSeenByTheHandler() {
    start(PushServer.builder()
        .authenticator(request -> request.token() == null
            ? ConnectDecision.reject("no token")
            : ConnectDecision.accept(Principal.user(request.token())))
        .rpc("me", call -> call.connection().principal().userId()));
    Peer peer = transport.connect();
    peer.send("{\"type\":\"connect\",\"id\":1,\"token\":\"alice\"}");
    assertEquals("welcome", json(peer.next()).get("type").getAsString());

    peer.send("{\"type\":\"rpc\",\"id\":2,\"method\":\"me\"}");

    assertEquals("{\"type\":\"rpc\",\"id\":2,\"data\":\"alice\"}", peer.next());
  }
}
