package dev.pushline.broker.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.pushline.ClientInfo;
import dev.pushline.Publication;
import dev.pushline.broker.BrokerException;
import dev.pushline.broker.HistoryQuery;
import dev.pushline.broker.HistoryResult;
import dev.pushline.broker.StreamOptions;
import dev.pushline.broker.StreamPosition;
import dev.pushline.broker.redis.RecordingHandler.Interrupted;
import dev.pushline.broker.redis.RecordingHandler.Join;
import dev.pushline.broker.redis.RecordingHandler.Leave;
import dev.pushline.broker.redis.RecordingHandler.Pub;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What only a shared broker does: two brokers on one Redis behave as two nodes of one deployment. */
class RedisBrokerTest {

  private static final StreamOptions STREAM =
      new StreamOptions(10_000, Duration.ofMinutes(1), Duration.ofMinutes(5));
  private static final long WAIT_SECONDS = 10;

  private static TestRedis redis;

  private final List<RedisBroker> brokers = new ArrayList<>();
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8) + "-";

  @BeforeAll
  static void startRedis() {
    redis = TestRedis.start();
  }

  @AfterAll
  static void stopRedis() throws InterruptedException {
    if (redis != null) {
      redis.close();
    }
  }

  @AfterEach
  void closeBrokersAndCheckTheirThreadsAreGone() throws Exception {
    brokers.forEach(RedisBroker::close);
    awaitTrue(() -> Thread.getAllStackTraces().keySet().stream()
        .noneMatch(t -> t.isAlive() && t.getName().startsWith("lettuce-")),
        "Lettuce threads still running after close()");
  }

  @Test
  void publicationsFromConcurrentPublishersOnBothNodesReachBothNodesInOneOffsetOrder() throws Exception {
    RecordingHandler a = new RecordingHandler();
    RecordingHandler b = new RecordingHandler();
    RedisBroker nodeA = node(redis, a);
    RedisBroker nodeB = node(redis, b);
    String channel = prefix + "race";
    await(nodeA.subscribe(channel));
    await(nodeB.subscribe(channel));

    int threads = 4;
    int perThread = 250;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<List<StreamPosition>>> results = new ArrayList<>();
    try {
      for (int t = 0; t < threads; t++) {
        RedisBroker publisher = t % 2 == 0 ? nodeA : nodeB;
        int thread = t;
        results.add(pool.submit(() -> {
          List<CompletableFuture<StreamPosition>> sent = new ArrayList<>();
          for (int i = 0; i < perThread; i++) {
            sent.add(publisher.publish(channel, "e", new JsonPrimitive(thread + "/" + i), STREAM));
          }
          List<StreamPosition> positions = new ArrayList<>();
          for (CompletableFuture<StreamPosition> future : sent) {
            positions.add(await(future));
          }
          return positions;
        }));
      }
      Set<Long> offsets = new HashSet<>();
      Set<String> epochs = new HashSet<>();
      for (Future<List<StreamPosition>> result : results) {
        for (StreamPosition position : result.get(WAIT_SECONDS, TimeUnit.SECONDS)) {
          assertTrue(offsets.add(position.offset()), "offset " + position.offset() + " given twice");
          epochs.add(position.epoch());
        }
      }
      int total = threads * perThread;
      assertEquals(LongStream.rangeClosed(1, total).boxed().collect(Collectors.toSet()), offsets);
      assertEquals(1, epochs.size());
      String epoch = epochs.iterator().next();

      List<String> seenByA = new ArrayList<>();
      List<String> seenByB = new ArrayList<>();
      for (long offset = 1; offset <= total; offset++) {
        Pub fromA = a.nextPublication(channel, offset);
        Pub fromB = b.nextPublication(channel, offset);
        assertEquals(epoch, fromA.epoch());
        assertEquals(epoch, fromB.epoch());
        seenByA.add(fromA.publication().data().getAsString());
        seenByB.add(fromB.publication().data().getAsString());
      }
      assertEquals(seenByA, seenByB);
      a.assertNoMoreCalls();
      b.assertNoMoreCalls();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void joinAndLeaveReachEverySubscribedNodeOnce() throws Exception {
    RecordingHandler a = new RecordingHandler();
    RecordingHandler b = new RecordingHandler();
    RedisBroker nodeA = node(redis, a);
    RedisBroker nodeB = node(redis, b);
    String channel = prefix + "room";
    await(nodeA.subscribe(channel));
    await(nodeB.subscribe(channel));
    JsonObject info = new JsonObject();
    info.addProperty("name", "Ada");
    ClientInfo ada = new ClientInfo("c1", "u1", info);

    await(nodeA.publishJoin(channel, ada));
    await(nodeB.publishLeave(channel, ada));
    // A publication after both: once it arrives, any duplicate join or leave would have arrived before it.
    await(nodeA.publish(channel, "marker", JsonNull.INSTANCE, STREAM));

    for (RecordingHandler handler : List.of(a, b)) {
      assertEquals(new Join(channel, ada), handler.next(Join.class));
      assertEquals(new Leave(channel, ada), handler.next(Leave.class));
      handler.nextPublication(channel, 1);
      handler.assertNoMoreCalls();
    }
  }

  @Test
  void presenceIsSharedAndAnEntryExpiresUnlessRefreshed() throws Exception {
    RedisBroker nodeA = node(redis, new RecordingHandler());
    RedisBroker nodeB = node(redis, new RecordingHandler());
    String channel = prefix + "presence";
    ClientInfo shortLived = new ClientInfo("c1", "u1", JsonNull.INSTANCE);
    ClientInfo longLived = new ClientInfo("c2", "", new JsonPrimitive("guest"));

    await(nodeA.addPresence(channel, shortLived, Duration.ofMillis(500)));
    await(nodeB.addPresence(channel, longLived, Duration.ofMinutes(1)));
    assertEquals(Set.of(shortLived, longLived), Set.copyOf(await(nodeA.presence(channel))));
    assertEquals(Set.of(shortLived, longLived), Set.copyOf(await(nodeB.presence(channel))));

    awaitTrue(() -> await(nodeB.presence(channel)).equals(List.of(longLived)),
        "c1's presence entry did not expire");

    await(nodeA.removePresence(channel, "c2"));
    await(nodeA.removePresence(channel, "absent"));
    assertEquals(List.of(), await(nodeB.presence(channel)));
  }

  @Test
  void historyIsSharedBetweenNodes() throws Exception {
    RedisBroker nodeA = node(redis, new RecordingHandler());
    RedisBroker nodeB = node(redis, new RecordingHandler());
    String channel = prefix + "history";
    String epoch = null;
    for (int i = 1; i <= 5; i++) {
      epoch = await(nodeA.publish(channel, "e" + i, new JsonPrimitive(i), STREAM)).epoch();
    }

    HistoryResult latest = await(nodeB.history(channel, HistoryQuery.latest(3), STREAM));
    assertEquals(new StreamPosition(5, epoch), latest.position());
    assertEquals(List.of(3L, 4L, 5L), offsets(latest));
    assertEquals(new Publication(channel, 3, "e3", new JsonPrimitive(3)), latest.publications().get(0));

    assertEquals(List.of(2L, 3L), offsets(await(nodeB.history(channel, HistoryQuery.after(1, 2), STREAM))));
    assertEquals(List.of(), offsets(await(nodeB.history(channel, HistoryQuery.after(7, 2), STREAM))));
    HistoryResult position = await(nodeB.history(channel, HistoryQuery.positionOnly(), STREAM));
    assertEquals(new HistoryResult(new StreamPosition(5, epoch), List.of()), position);

    HistoryResult fresh = await(nodeB.history(prefix + "never-published", HistoryQuery.latest(10), STREAM));
    assertEquals(0, fresh.position().offset());
    assertEquals(fresh.position(),
        await(nodeA.history(prefix + "never-published", HistoryQuery.positionOnly(), STREAM)).position());
  }

  @Test
  void historyKeepsTheLatestHistorySizePublicationsAndDropsThoseOlderThanHistoryTtl() throws Exception {
    RedisBroker node = node(redis, new RecordingHandler());
    String channel = prefix + "bounded";
    StreamOptions small = new StreamOptions(2, Duration.ofMinutes(1), Duration.ofMinutes(5));
    for (int i = 1; i <= 3; i++) {
      await(node.publish(channel, "e", new JsonPrimitive(i), small));
    }
    assertEquals(List.of(2L, 3L), offsets(await(node.history(channel, HistoryQuery.latest(10), small))));
    // Publication 1 was evicted: a read after 0 starts later than asked, which is how a caller sees the gap.
    assertEquals(List.of(2L, 3L), offsets(await(node.history(channel, HistoryQuery.after(0, 10), small))));

    String shortChannel = prefix + "short";
    StreamOptions shortLived = new StreamOptions(10, Duration.ofMillis(300), Duration.ofMinutes(5));
    String epoch = await(node.publish(shortChannel, "e", JsonNull.INSTANCE, shortLived)).epoch();
    awaitTrue(() -> await(node.history(shortChannel, HistoryQuery.latest(10), shortLived)).publications().isEmpty(),
        "publication 1 stayed in history past its historyTtl");
    StreamPosition next = await(node.publish(shortChannel, "e", JsonNull.INSTANCE, shortLived));
    assertEquals(new StreamPosition(2, epoch), next, "the position outlives history (metaTtl)");
    assertEquals(List.of(2L), offsets(await(node.history(shortChannel, HistoryQuery.after(0, 10), shortLived))));

    StreamOptions none = new StreamOptions(0, Duration.ofMinutes(1), Duration.ofMinutes(5));
    String noHistory = prefix + "none";
    assertEquals(1, await(node.publish(noHistory, "e", JsonNull.INSTANCE, none)).offset());
    assertEquals(List.of(), offsets(await(node.history(noHistory, HistoryQuery.latest(10), none))));
  }

  @Test
  void subscribeThenReadHistoryMergedByOffsetMissesNothing() throws Exception {
    RedisBroker publisher = node(redis, new RecordingHandler());
    RecordingHandler handler = new RecordingHandler();
    RedisBroker reader = node(redis, handler);
    String channel = prefix + "merge";
    AtomicBoolean publishing = new AtomicBoolean(true);
    CompletableFuture<Long> last = new CompletableFuture<>();
    Thread thread = new Thread(() -> {
      long offset = 0;
      try {
        while (publishing.get() || offset < 50) {
          offset = await(publisher.publish(channel, "tick", JsonNull.INSTANCE, STREAM)).offset();
        }
        last.complete(offset);
      } catch (Throwable e) {
        last.completeExceptionally(e);
      }
    }, "merge-publisher");
    thread.start();
    try {
      awaitTrue(() -> await(reader.history(channel, HistoryQuery.positionOnly(), STREAM)).position().offset() > 10,
          "the publisher did not get going");
      await(reader.subscribe(channel));
      HistoryResult history = await(reader.history(channel, HistoryQuery.after(0, 100_000), STREAM));
      publishing.set(false);
      long lastOffset = last.get(WAIT_SECONDS, TimeUnit.SECONDS);

      TreeMap<Long, Publication> merged = new TreeMap<>();
      history.publications().forEach(p -> merged.put(p.offset(), p));
      while (merged.isEmpty() || merged.lastKey() < lastOffset) {
        Publication live = handler.next(Pub.class).publication();
        merged.put(live.offset(), live);
      }
      assertEquals(LongStream.rangeClosed(1, lastOffset).boxed().toList(), List.copyOf(merged.keySet()));
    } finally {
      publishing.set(false);
      thread.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
    }
  }

  @Test
  void redisRestartFailsPublishesThenResubscribesReportsTheInterruptionAndStartsANewEpoch() throws Exception {
    try (TestRedis own = TestRedis.start()) {
      own.assumeRestartable();
      RecordingHandler a = new RecordingHandler();
      RecordingHandler b = new RecordingHandler();
      RedisBroker nodeA = node(own, a);
      RedisBroker nodeB = node(own, b);
      String channel = prefix + "restart";
      await(nodeA.subscribe(channel));
      await(nodeB.subscribe(channel));
      String before = null;
      for (int i = 1; i <= 3; i++) {
        before = await(nodeA.publish(channel, "before", new JsonPrimitive(i), STREAM)).epoch();
      }
      for (RecordingHandler handler : List.of(a, b)) {
        for (int i = 1; i <= 3; i++) {
          handler.nextPublication(channel, i);
        }
      }

      own.kill();
      for (int i = 0; i < 3; i++) {
        ExecutionException failure = assertThrows(ExecutionException.class,
            () -> nodeA.publish(channel, "during", JsonNull.INSTANCE, STREAM).get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertInstanceOf(BrokerException.class, failure.getCause());
      }
      ExecutionException subscribeFailure = assertThrows(ExecutionException.class,
          () -> nodeB.subscribe(prefix + "other").get(WAIT_SECONDS, TimeUnit.SECONDS));
      assertInstanceOf(BrokerException.class, subscribeFailure.getCause());

      own.restart();
      a.next(Interrupted.class);
      b.next(Interrupted.class);

      StreamPosition after = publishWhenBack(nodeA, channel);
      assertEquals(1, after.offset(), "Redis restarted empty: the stream starts again");
      assertNotEquals(before, after.epoch(), "a stream that lost its history must change epoch");
      for (RecordingHandler handler : List.of(a, b)) {
        assertEquals(after.epoch(), handler.nextPublication(channel, 1).epoch());
        handler.assertNoMoreCalls();
      }
      nodeA.close(); // before their Redis goes away, so they do not start reconnecting
      nodeB.close();
    }
  }

  @Test
  void startThrowsBrokerExceptionWhenNothingListens() {
    RedisBroker broker = RedisBroker.builder()
        .uri("redis://127.0.0.1:" + TestRedis.freePort())
        .commandTimeout(Duration.ofSeconds(2))
        .build();
    BrokerException failure = assertThrows(BrokerException.class, () -> broker.start(new RecordingHandler()));
    assertTrue(failure.getMessage().contains("cannot connect to Redis at 127.0.0.1:"), failure.getMessage());
    broker.close();
  }

  @Test
  void builderRejectsBadSettingsNamingThem() {
    RedisBroker.Builder builder = RedisBroker.builder();
    assertTrue(assertThrows(IllegalArgumentException.class, () -> builder.uri("http://x"))
        .getMessage().contains("http://x"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> builder.keyPrefix("a{b}"))
        .getMessage().contains("keyPrefix is 'a{b}'"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> builder.commandTimeout(Duration.ZERO))
        .getMessage().contains("commandTimeout is PT0S"));
    assertThrows(NullPointerException.class, () -> builder.uri(null));
  }

  @Test
  void callsBeforeStartAreMisuseAndAfterCloseFail() throws Exception {
    RedisBroker broker = RedisBroker.builder().uri(redis.uri()).build();
    assertThrows(IllegalStateException.class, () -> broker.subscribe("x"));
    broker.start(new RecordingHandler());
    assertThrows(IllegalStateException.class, () -> broker.start(new RecordingHandler()));
    broker.close();
    broker.close();
    ExecutionException failure = assertThrows(ExecutionException.class,
        () -> broker.publish("x", "e", JsonNull.INSTANCE, STREAM).get(WAIT_SECONDS, TimeUnit.SECONDS));
    assertInstanceOf(BrokerException.class, failure.getCause());
  }

  private RedisBroker node(TestRedis where, RecordingHandler handler) {
    RedisBroker broker = RedisBroker.builder()
        .uri(where.uri())
        .keyPrefix("pushline-test")
        .commandTimeout(Duration.ofSeconds(2))
        .build();
    brokers.add(broker);
    broker.start(handler);
    return broker;
  }

  /** Publishes as soon as the command connection is back; every failure until then must be loud. */
  private static StreamPosition publishWhenBack(RedisBroker broker, String channel) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (true) {
      try {
        return broker.publish(channel, "after", JsonNull.INSTANCE, STREAM).get(WAIT_SECONDS, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        assertInstanceOf(BrokerException.class, e.getCause());
        if (System.nanoTime() > deadline) {
          fail("publishing still fails " + WAIT_SECONDS + " s after Redis came back", e);
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // poll interval while Lettuce reconnects
      }
    }
  }

  private static <T> T await(CompletableFuture<T> future) throws Exception {
    return future.get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  private interface Check {
    boolean holds() throws Exception;
  }

  /** Polls {@code check} until it holds, failing after the bounded wait. */
  private static void awaitTrue(Check check, String message) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (!check.holds()) {
      if (System.nanoTime() > deadline) {
        fail(message + " within " + WAIT_SECONDS + " s");
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // poll interval
    }
  }

  private static List<Long> offsets(HistoryResult result) {
    return result.publications().stream().map(Publication::offset).toList();
  }

}
