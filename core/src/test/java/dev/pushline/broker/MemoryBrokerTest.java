package dev.pushline.broker;

import dev.pushline.MutableClock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonNull;
import com.google.gson.JsonPrimitive;
import dev.pushline.ClientInfo;
import dev.pushline.Publication;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** What only {@link MemoryBroker} promises: synchronous delivery, expiry by its clock, its bounds, lifecycle. */
class MemoryBrokerTest {

  private static final StreamOptions OPTIONS =
      new StreamOptions(100, Duration.ofSeconds(10), Duration.ofSeconds(60));

  private final MutableClock clock = new MutableClock();
  private final MemoryBroker broker = new MemoryBroker(clock);
  private final BrokerContractTest.Recorder recorder = new BrokerContractTest.Recorder("");

  @AfterEach
  void close() {
    broker.close();
  }

  private MemoryBroker started() {
    broker.start(recorder);
    return broker;
  }

  /** The broker is synchronous, so every future is done when it is returned. */
  private static <T> T now(CompletableFuture<T> future) {
    assertTrue(future.isDone(), "future not completed on return");
    return future.join();
  }

  private StreamPosition publish(String channel) {
    return now(broker.publish(channel, "e", JsonNull.INSTANCE, OPTIONS));
  }

  private HistoryResult read(String channel, HistoryQuery query) {
    return now(broker.history(channel, query, OPTIONS));
  }

  private static List<Long> offsets(HistoryResult result) {
    return result.publications().stream().map(Publication::offset).collect(Collectors.toList());
  }

  @Test
  void publishHandsThePublicationToTheHandlerBeforeItReturns() {
    started();
    StreamPosition position = publish("ch");
    BrokerContractTest.Delivery d = recorder.publications.poll();
    assertNotNull(d, "not delivered before publish returned");
    assertEquals(position.offset(), d.publication().offset());
    assertEquals(position.epoch(), d.epoch());
  }

  @Test
  void publicationOfAChannelNobodySubscribedToStillReachesTheHandler() {
    started();
    publish("never-subscribed");
    assertEquals("never-subscribed", recorder.publications.poll().publication().channel());
  }

  @Test
  void epochIsSixteenHexCharacters() {
    started();
    assertTrue(publish("ch").epoch().matches("[0-9a-f]{16}"), publish("ch").epoch());
  }

  @Test
  void historyIsEvictedOnceOlderThanHistoryTtl() {
    started();
    String epoch = publish("ch").epoch();
    clock.advance(Duration.ofSeconds(6));
    publish("ch");
    clock.advance(Duration.ofSeconds(4)); // the first is exactly 10 s old: kept
    assertEquals(List.of(1L, 2L), offsets(read("ch", HistoryQuery.latest(10))));

    clock.advance(Duration.ofMillis(1));
    assertEquals(List.of(2L), offsets(read("ch", HistoryQuery.latest(10))));
    assertEquals(List.of(2L), offsets(read("ch", HistoryQuery.after(0, 10))), "the gap shows as a later start");

    clock.advance(Duration.ofSeconds(6));
    HistoryResult empty = read("ch", HistoryQuery.latest(10));
    assertEquals(List.of(), empty.publications());
    assertEquals(new StreamPosition(2, epoch), empty.position(), "the position outlives the history");
  }

  @Test
  void streamIdleForMetaTtlIsForgottenAndStartsANewEpoch() {
    started();
    String epoch = publish("ch").epoch();
    clock.advance(Duration.ofSeconds(60)); // exactly metaTtl since the publish: kept
    broker.sweep();
    assertEquals(new StreamPosition(1, epoch), read("ch", HistoryQuery.positionOnly()).position());

    clock.advance(Duration.ofSeconds(60)); // exactly metaTtl since that read, which counted as a use
    broker.sweep();
    assertEquals(1, broker.streamCount());

    clock.advance(Duration.ofMillis(1));
    broker.sweep();
    assertEquals(0, broker.streamCount());
    HistoryResult again = read("ch", HistoryQuery.positionOnly());
    assertEquals(0, again.position().offset());
    assertNotEquals(epoch, again.position().epoch());
  }

  @Test
  void streamIdleForMetaTtlStartsANewEpochEvenBeforeASweep() {
    started();
    String epoch = publish("ch").epoch();
    clock.advance(Duration.ofSeconds(61));
    StreamPosition next = publish("ch");
    assertEquals(1, next.offset());
    assertNotEquals(epoch, next.epoch());
  }

  @Test
  void streamWithHistoryIsKeptPastMetaTtlOfItsLastPublication() {
    started();
    StreamOptions longHistory = new StreamOptions(100, Duration.ofSeconds(120), Duration.ofSeconds(120));
    String epoch = now(broker.publish("ch", "e", JsonNull.INSTANCE, longHistory)).epoch();
    clock.advance(Duration.ofSeconds(100));
    broker.sweep();
    HistoryResult result = now(broker.history("ch", HistoryQuery.latest(10), longHistory));
    assertEquals(new StreamPosition(1, epoch), result.position());
    assertEquals(List.of(1L), offsets(result));
  }

  @Test
  void pastTenThousandStreamsASweepForgetsEveryStreamWithEmptyHistory() {
    started();
    String idleEpoch = read("idle", HistoryQuery.positionOnly()).position().epoch();
    String keptEpoch = publish("with-history").epoch();
    for (int i = 2; i < MemoryBroker.MAX_STREAMS_FOR_IDLE_GRACE; i++) {
      read("reader-" + i, HistoryQuery.positionOnly());
    }
    assertEquals(MemoryBroker.MAX_STREAMS_FOR_IDLE_GRACE, broker.streamCount());
    broker.sweep();
    assertEquals(MemoryBroker.MAX_STREAMS_FOR_IDLE_GRACE, broker.streamCount(), "at the bound, idle grace holds");
    assertEquals(idleEpoch, read("idle", HistoryQuery.positionOnly()).position().epoch());

    read("one-too-many", HistoryQuery.positionOnly());
    broker.sweep();
    assertEquals(1, broker.streamCount(), "only the stream with history is left");
    HistoryResult kept = read("with-history", HistoryQuery.latest(10));
    assertEquals(new StreamPosition(1, keptEpoch), kept.position());
    assertEquals(List.of(1L), offsets(kept));
    assertNotEquals(idleEpoch, read("idle", HistoryQuery.positionOnly()).position().epoch());
  }

  @Test
  void presenceEntryExpiresAfterItsTtlUnlessAddedAgain() {
    started();
    ClientInfo a = new ClientInfo("a", "", null);
    ClientInfo b = new ClientInfo("b", "", null);
    now(broker.addPresence("ch", a, Duration.ofSeconds(10)));
    now(broker.addPresence("ch", b, Duration.ofSeconds(10)));
    clock.advance(Duration.ofSeconds(8));
    now(broker.addPresence("ch", b, Duration.ofSeconds(10))); // refreshed
    clock.advance(Duration.ofSeconds(2)); // a is exactly 10 s old: kept
    assertEquals(Set.of(a, b), Set.copyOf(now(broker.presence("ch"))));

    clock.advance(Duration.ofMillis(1));
    assertEquals(List.of(b), now(broker.presence("ch")));
    clock.advance(Duration.ofSeconds(8));
    assertEquals(List.of(), now(broker.presence("ch")));
  }

  @Test
  void sweepDropsExpiredPresenceAndEmptyChannels() {
    started();
    now(broker.addPresence("one", new ClientInfo("a", "", null), Duration.ofSeconds(10)));
    now(broker.addPresence("two", new ClientInfo("b", "", null), Duration.ofSeconds(10)));
    now(broker.addPresence("two", new ClientInfo("c", "", null), Duration.ofSeconds(30)));
    assertEquals(2, broker.presenceChannelCount());
    clock.advance(Duration.ofSeconds(11));
    broker.sweep();
    assertEquals(1, broker.presenceChannelCount());
    clock.advance(Duration.ofSeconds(20));
    broker.sweep();
    assertEquals(0, broker.presenceChannelCount());
  }

  @Test
  void removingTheLastPresenceEntryDropsTheChannel() {
    started();
    now(broker.addPresence("ch", new ClientInfo("a", "", null), Duration.ofSeconds(10)));
    now(broker.removePresence("ch", "a"));
    assertEquals(0, broker.presenceChannelCount());
  }

  @Test
  void handlerThatThrowsDoesNotFailThePublish() {
    broker.start(new BrokerHandlerAdapter() {
      @Override
      public void onPublication(Publication publication, String epoch) {
        throw new IllegalStateException("handler bug");
      }
    });
    assertEquals(1, publish("ch").offset());
    assertEquals(2, publish("ch").offset());
    assertEquals(List.of(1L, 2L), offsets(read("ch", HistoryQuery.latest(10))));
  }

  @Test
  void callsBeforeStartThrowIllegalState() {
    List<Executable> calls = List.of(
        () -> broker.publish("ch", "e", JsonNull.INSTANCE, OPTIONS),
        () -> broker.history("ch", HistoryQuery.positionOnly(), OPTIONS),
        () -> broker.subscribe("ch"),
        () -> broker.unsubscribe("ch"),
        () -> broker.addPresence("ch", new ClientInfo("a", "", null), Duration.ofSeconds(1)),
        () -> broker.removePresence("ch", "a"),
        () -> broker.presence("ch"),
        () -> broker.publishJoin("ch", new ClientInfo("a", "", null)),
        () -> broker.publishLeave("ch", new ClientInfo("a", "", null)));
    for (Executable call : calls) {
      IllegalStateException e = assertThrows(IllegalStateException.class, call);
      assertTrue(e.getMessage().contains("start(handler)"), e.getMessage());
    }
  }

  @Test
  void startIsAllowedOnceAndNotAfterClose() {
    started();
    assertThrows(IllegalStateException.class, () -> broker.start(recorder));
    MemoryBroker closed = new MemoryBroker(clock);
    closed.close();
    assertThrows(IllegalStateException.class, () -> closed.start(recorder));
  }

  @Test
  void everyCallAfterCloseFailsWithBrokerException() {
    started();
    broker.close();
    ClientInfo a = new ClientInfo("a", "", null);
    List<CompletableFuture<?>> futures = List.of(
        broker.publish("ch", "e", JsonNull.INSTANCE, OPTIONS),
        broker.history("ch", HistoryQuery.positionOnly(), OPTIONS),
        broker.subscribe("ch"),
        broker.unsubscribe("ch"),
        broker.addPresence("ch", a, Duration.ofSeconds(1)),
        broker.removePresence("ch", "a"),
        broker.presence("ch"),
        broker.publishJoin("ch", a),
        broker.publishLeave("ch", a));
    for (CompletableFuture<?> f : futures) {
      assertTrue(f.isCompletedExceptionally());
      Throwable cause = assertThrows(Exception.class, f::join).getCause();
      assertTrue(cause instanceof BrokerException, String.valueOf(cause));
      assertEquals("broker closed", cause.getMessage());
    }
    assertTrue(recorder.joins.isEmpty() && recorder.leaves.isEmpty() && recorder.publications.isEmpty());
  }

  @Test
  void nullArgumentsAreRejectedByName() {
    started();
    ClientInfo a = new ClientInfo("a", "", null);
    JsonNull data = JsonNull.INSTANCE;
    assertNpe("channel", () -> broker.publish(null, "e", data, OPTIONS));
    assertNpe("event", () -> broker.publish("ch", null, data, OPTIONS));
    assertNpe("data", () -> broker.publish("ch", "e", null, OPTIONS));
    assertNpe("options", () -> broker.publish("ch", "e", data, null));
    assertNpe("query", () -> broker.history("ch", null, OPTIONS));
    assertNpe("options", () -> broker.history("ch", HistoryQuery.positionOnly(), null));
    assertNpe("channel", () -> broker.subscribe(null));
    assertNpe("client", () -> broker.addPresence("ch", null, Duration.ofSeconds(1)));
    assertNpe("ttl", () -> broker.addPresence("ch", a, null));
    assertNpe("clientId", () -> broker.removePresence("ch", null));
    assertNpe("channel", () -> broker.presence(null));
    assertNpe("client", () -> broker.publishJoin("ch", null));
    assertNpe("handler", () -> new MemoryBroker(clock).start(null));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> broker.addPresence("ch", a, Duration.ZERO));
    assertTrue(e.getMessage().contains("PT0S"), e.getMessage());
  }

  private static void assertNpe(String name, Executable call) {
    assertEquals(name, assertThrows(NullPointerException.class, call).getMessage());
  }

  @Test
  void startRunsOneDaemonSweepThreadThatCloseEnds() throws InterruptedException {
    started();
    List<Thread> sweepers = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("pushline-memory-broker"))
        .filter(Thread::isAlive)
        .collect(Collectors.toList());
    assertEquals(1, sweepers.size(), "sweep threads: " + sweepers);
    Thread sweeper = sweepers.get(0);
    assertTrue(sweeper.isDaemon());
    broker.close();
    sweeper.join(10_000);
    assertFalse(sweeper.isAlive(), "sweep thread still alive after close");
  }

  @Test
  void historyReadTakesTheRequestedRangeFromEitherEnd() {
    started();
    for (int i = 1; i <= 50; i++) {
      now(broker.publish("ch", "e", new JsonPrimitive(i), OPTIONS));
    }
    Function<HistoryQuery, List<Long>> offsetsOf = q -> offsets(read("ch", q));
    assertEquals(List.of(2L, 3L), offsetsOf.apply(HistoryQuery.after(1, 2))); // near the head
    assertEquals(List.of(48L, 49L), offsetsOf.apply(HistoryQuery.after(47, 2))); // near the tail
    assertEquals(List.of(26L), offsetsOf.apply(HistoryQuery.after(25, 1)));
    assertEquals(List.of(50L), offsetsOf.apply(HistoryQuery.latest(1)));
    for (HistoryQuery q : List.of(HistoryQuery.after(10, 5), HistoryQuery.after(40, 7))) {
      List<Long> got = offsetsOf.apply(q);
      for (int i = 0; i < got.size(); i++) {
        assertEquals(q.after() + 1 + i, got.get(i));
      }
    }
  }

  /** A handler that does nothing, for tests that override one method. */
  private static class BrokerHandlerAdapter implements BrokerHandler {

    @Override
    public void onPublication(Publication publication, String epoch) {}

    @Override
    public void onJoin(String channel, ClientInfo client) {}

    @Override
    public void onLeave(String channel, ClientInfo client) {}

    @Override
    public void onDeliveryInterrupted() {}
  }
}
