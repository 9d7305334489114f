package dev.pushline.broker;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonPrimitive;
import dev.pushline.ClientInfo;
import dev.pushline.Publication;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link Broker} must do, run against each implementation: extend it and return a new broker
 * from {@link #newBroker()}. Other modules get it from {@code pushline-core}'s test jar
 * ({@code <type>test-jar</type>}).
 *
 * <p>Each test starts its broker with a {@link Recorder} and closes it afterwards. Channel names carry a
 * random prefix per test, so a broker on a shared backend (a Redis that other tests use) needs no flushing
 * and sees none of the other tests' channels. Brokers may be asynchronous: every future is awaited with a
 * bounded {@code get}, every handler event with a bounded {@code poll}; nothing sleeps to synchronise.
 */
public abstract class BrokerContractTest {

  /** How long any single future or handler event may take. */
  protected static final long TIMEOUT_SECONDS = 10;

  private static final SecureRandom RANDOM = new SecureRandom();

  /** The broker under test, started with {@link #recorder}. */
  protected Broker broker;
  /** Records what {@link #broker} hands to its node, for this test's channels only. */
  protected Recorder recorder;
  private String prefix;

  /**
   * A new, not yet started broker. It may share its backend with other brokers: the tests use channel
   * names no other test uses.
   */
  protected abstract Broker newBroker() throws Exception;

  @BeforeEach
  public void startBroker() throws Exception {
    byte[] b = new byte[6];
    RANDOM.nextBytes(b);
    prefix = "contract-" + HexFormat.of().formatHex(b) + "-";
    recorder = new Recorder(prefix);
    broker = newBroker();
    broker.start(recorder);
  }

  @AfterEach
  public void closeBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  /** A channel name unique to this test. */
  protected String channel(String name) {
    return prefix + name;
  }

  /** Options with room for everything a test publishes and nothing expiring during a test. */
  protected static StreamOptions options(int historySize) {
    return new StreamOptions(historySize, Duration.ofMinutes(5), Duration.ofMinutes(10));
  }

  protected static <T> T await(CompletableFuture<T> future) throws Exception {
    return future.get(TIMEOUT_SECONDS, SECONDS);
  }

  protected StreamPosition publish(String channel, int n) throws Exception {
    return await(broker.publish(channel, "e", new JsonPrimitive(n), options(100)));
  }

  protected HistoryResult history(String channel, HistoryQuery query) throws Exception {
    return await(broker.history(channel, query, options(100)));
  }

  protected static List<Long> offsets(HistoryResult result) {
    return result.publications().stream().map(Publication::offset).collect(Collectors.toList());
  }

  private static ClientInfo client(String id) {
    return new ClientInfo(id, "user-" + id, new JsonPrimitive("info of " + id));
  }

  // ---- offsets, epochs and delivery

  @Test
  public void publishAssignsOffsetsOneTwoThreeInOneEpoch() throws Exception {
    String ch = channel("offsets");
    StreamPosition p1 = publish(ch, 1);
    StreamPosition p2 = publish(ch, 2);
    StreamPosition p3 = publish(ch, 3);
    assertEquals(List.of(1L, 2L, 3L), List.of(p1.offset(), p2.offset(), p3.offset()));
    assertEquals(p1.epoch(), p2.epoch());
    assertEquals(p1.epoch(), p3.epoch());
    assertFalse(p1.epoch().isEmpty(), "epoch is empty");
    assertEquals(new StreamPosition(3, p1.epoch()), history(ch, HistoryQuery.positionOnly()).position());
  }

  @Test
  public void publicationAfterSubscribeReachesTheHandlerWithItsPosition() throws Exception {
    String ch = channel("delivered");
    await(broker.subscribe(ch));
    StreamPosition position = await(broker.publish(ch, "greeting", new JsonPrimitive("hello"), options(10)));

    Delivery d = recorder.nextPublication();
    assertEquals(ch, d.publication().channel());
    assertEquals(position.offset(), d.publication().offset());
    assertEquals(position.epoch(), d.epoch());
    assertEquals("greeting", d.publication().event());
    assertEquals(new JsonPrimitive("hello"), d.publication().data());
  }

  @Test
  public void publicationWithoutDataReachesTheHandlerAsJsonNull() throws Exception {
    String ch = channel("null-data");
    await(broker.subscribe(ch));
    await(broker.publish(ch, "e", JsonNull.INSTANCE, options(10)));
    assertEquals(JsonNull.INSTANCE, recorder.nextPublication().publication().data());
    assertEquals(JsonNull.INSTANCE, history(ch, HistoryQuery.latest(1)).publications().get(0).data());
  }

  @Test
  public void subscribeAfterUnsubscribeLeavesTheNodeSubscribed() throws Exception {
    String ch = channel("resubscribed");
    await(broker.subscribe(ch));
    await(broker.unsubscribe(ch));
    await(broker.subscribe(ch));
    StreamPosition position = publish(ch, 1);
    assertEquals(position.offset(), recorder.nextPublication().publication().offset());
  }

  @Test
  public void concurrentPublishersGetDistinctConsecutiveOffsetsDeliveredInOrderOnce() throws Exception {
    String ch = channel("concurrent");
    await(broker.subscribe(ch));
    int threads = 4;
    int each = 250;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<List<StreamPosition>>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        results.add(pool.submit(() -> {
          assertTrue(go.await(TIMEOUT_SECONDS, SECONDS));
          List<CompletableFuture<StreamPosition>> futures = new ArrayList<>();
          for (int i = 0; i < each; i++) {
            futures.add(broker.publish(ch, "e", new JsonPrimitive(thread * each + i), options(2_000)));
          }
          List<StreamPosition> positions = new ArrayList<>();
          for (CompletableFuture<StreamPosition> f : futures) {
            positions.add(await(f));
          }
          return positions;
        }));
      }
      go.countDown();

      Set<Long> returned = new HashSet<>();
      Set<String> epochs = new HashSet<>();
      for (Future<List<StreamPosition>> r : results) {
        for (StreamPosition p : r.get(TIMEOUT_SECONDS * 3, SECONDS)) {
          assertTrue(returned.add(p.offset()), "offset " + p.offset() + " returned twice");
          epochs.add(p.epoch());
        }
      }
      int total = threads * each;
      assertEquals(total, returned.size());
      assertEquals(1L, returned.stream().mapToLong(Long::longValue).min().orElseThrow());
      assertEquals(total, returned.stream().mapToLong(Long::longValue).max().orElseThrow());
      assertEquals(1, epochs.size(), "epochs " + epochs);

      Set<JsonElement> payloads = new HashSet<>();
      for (long expected = 1; expected <= total; expected++) {
        Delivery d = recorder.nextPublication();
        assertEquals(expected, d.publication().offset(), "publications out of order or missing");
        assertEquals(epochs.iterator().next(), d.epoch());
        assertTrue(payloads.add(d.publication().data()), "payload delivered twice: " + d.publication());
      }
      // Publications arrive in offset order, so if the next one is this sentinel nothing was delivered twice.
      StreamPosition sentinel = publish(ch, -1);
      assertEquals(total + 1, sentinel.offset());
      assertEquals(total + 1, recorder.nextPublication().publication().offset());
      assertEquals(0, recorder.overlappingDeliveries.get(), "a channel's publications were delivered concurrently");
    } finally {
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(TIMEOUT_SECONDS, SECONDS));
    }
  }

  @Test
  public void channelsAreIndependent() throws Exception {
    String a = channel("a");
    String b = channel("b");
    await(broker.subscribe(a));
    await(broker.subscribe(b));
    publish(a, 1);
    publish(a, 2);
    StreamPosition firstOfB = publish(b, 1);
    assertEquals(1, firstOfB.offset());

    assertEquals(List.of(1L, 2L), offsets(history(a, HistoryQuery.latest(10))));
    assertEquals(List.of(1L), offsets(history(b, HistoryQuery.latest(10))));
    // Order across channels is not part of the contract; each channel's own order is.
    List<Long> ofA = new ArrayList<>();
    List<Long> ofB = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Publication p = recorder.nextPublication().publication();
      (p.channel().equals(a) ? ofA : ofB).add(p.offset());
    }
    assertEquals(List.of(1L, 2L), ofA);
    assertEquals(List.of(1L), ofB);
  }

  // ---- history

  @Test
  public void historyAfterAnOffsetReturnsTheOldestFirstUpToTheLimit() throws Exception {
    String ch = channel("after");
    String epoch = null;
    for (int i = 1; i <= 5; i++) {
      epoch = publish(ch, i).epoch();
    }
    HistoryResult all = history(ch, HistoryQuery.after(2, 10));
    assertEquals(List.of(3L, 4L, 5L), offsets(all));
    assertEquals(new StreamPosition(5, epoch), all.position());
    assertEquals(new JsonPrimitive(3), all.publications().get(0).data());
    assertEquals(ch, all.publications().get(0).channel());
    assertEquals("e", all.publications().get(0).event());

    assertEquals(List.of(2L, 3L), offsets(history(ch, HistoryQuery.after(1, 2))));
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), offsets(history(ch, HistoryQuery.after(0, 100))));
    assertEquals(List.of(), offsets(history(ch, HistoryQuery.after(5, 10))));
  }

  @Test
  public void historyAfterAnOffsetBeyondTheStreamReturnsNoPublications() throws Exception {
    String ch = channel("beyond");
    StreamPosition last = null;
    for (int i = 1; i <= 3; i++) {
      last = publish(ch, i);
    }
    HistoryResult result = history(ch, HistoryQuery.after(9, 10));
    assertEquals(List.of(), result.publications());
    assertEquals(last, result.position());
  }

  @Test
  public void historyLatestReturnsTheNewestOldestFirst() throws Exception {
    String ch = channel("latest");
    for (int i = 1; i <= 5; i++) {
      publish(ch, i);
    }
    assertEquals(List.of(4L, 5L), offsets(history(ch, HistoryQuery.latest(2))));
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), offsets(history(ch, HistoryQuery.latest(10))));
  }

  @Test
  public void limitZeroReadsOnlyThePosition() throws Exception {
    String ch = channel("position-only");
    StreamPosition last = null;
    for (int i = 1; i <= 4; i++) {
      last = publish(ch, i);
    }
    HistoryResult positionOnly = history(ch, HistoryQuery.positionOnly());
    assertEquals(last, positionOnly.position());
    assertEquals(List.of(), positionOnly.publications());
    assertEquals(List.of(), history(ch, HistoryQuery.after(1, 0)).publications());
  }

  @Test
  public void historySizeKeepsTheLatestAndAReadAfterAnEvictedOffsetShowsTheGap() throws Exception {
    String ch = channel("evicted");
    StreamOptions three = options(3);
    for (int i = 1; i <= 10; i++) {
      await(broker.publish(ch, "e", new JsonPrimitive(i), three));
    }
    assertEquals(List.of(8L, 9L, 10L), offsets(await(broker.history(ch, HistoryQuery.latest(10), three))));
    HistoryResult afterTwo = await(broker.history(ch, HistoryQuery.after(2, 10), three));
    assertEquals(List.of(8L, 9L, 10L), offsets(afterTwo), "a read after 2 starts at 8: the caller sees the gap");
    assertEquals(10, afterTwo.position().offset());
    assertEquals(List.of(8L), offsets(await(broker.history(ch, HistoryQuery.after(2, 1), three))));
  }

  @Test
  public void historySizeZeroKeepsNothingButOffsetsStillCount() throws Exception {
    String ch = channel("no-history");
    StreamOptions none = options(0);
    await(broker.subscribe(ch));
    List<Long> offsets = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      offsets.add(await(broker.publish(ch, "e", new JsonPrimitive(i), none)).offset());
    }
    assertEquals(List.of(1L, 2L, 3L), offsets);
    HistoryResult result = await(broker.history(ch, HistoryQuery.latest(10), none));
    assertEquals(List.of(), result.publications());
    assertEquals(3, result.position().offset());
    for (long expected = 1; expected <= 3; expected++) {
      assertEquals(expected, recorder.nextPublication().publication().offset());
    }
  }

  @Test
  public void readingAnUnknownChannelCreatesItsStreamAtOffsetZeroInAStableEpoch() throws Exception {
    String ch = channel("unknown");
    HistoryResult first = history(ch, HistoryQuery.latest(10));
    assertEquals(0, first.position().offset());
    assertFalse(first.position().epoch().isEmpty(), "epoch is empty");
    assertEquals(List.of(), first.publications());
    assertEquals(first.position(), history(ch, HistoryQuery.positionOnly()).position());
    assertEquals(new StreamPosition(1, first.position().epoch()), publish(ch, 1));
  }

  // ---- presence

  @Test
  public void presenceAddsRefreshesAndRemoves() throws Exception {
    String ch = channel("presence");
    Duration ttl = Duration.ofMinutes(1);
    await(broker.addPresence(ch, client("c1"), ttl));
    await(broker.addPresence(ch, client("c2"), ttl));
    assertEquals(Set.of(client("c1"), client("c2")), Set.copyOf(await(broker.presence(ch))));

    ClientInfo replaced = new ClientInfo("c1", "user-c1", new JsonPrimitive("new info"));
    await(broker.addPresence(ch, replaced, ttl));
    assertEquals(Set.of(replaced, client("c2")), Set.copyOf(await(broker.presence(ch))));

    await(broker.removePresence(ch, "c1"));
    assertEquals(List.of(client("c2")), await(broker.presence(ch)));
    await(broker.removePresence(ch, "absent"));
    await(broker.removePresence(ch, "c2"));
    assertEquals(List.of(), await(broker.presence(ch)));
    assertEquals(List.of(), await(broker.presence(channel("other"))));
  }

  /**
   * A real broker's presence expires by the wall clock (a Redis key's TTL), so this test has to let real
   * time pass: it polls {@link Broker#presence} until the short-lived entry is gone, with a deadline. The
   * state it waits for is checked each time; the pause between checks only keeps the loop from spinning.
   */
  @Test
  public void presenceEntryExpiresUnlessAddedAgain() throws Exception {
    String ch = channel("expiry");
    await(broker.addPresence(ch, client("short"), Duration.ofSeconds(1)));
    await(broker.addPresence(ch, client("long"), Duration.ofMinutes(5)));
    awaitTrue(() -> {
      try {
        return await(broker.presence(ch)).equals(List.of(client("long")));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }, "the 1 s entry to expire");
  }

  @Test
  public void joinAndLeaveReachTheHandler() throws Exception {
    String ch = channel("members");
    await(broker.subscribe(ch));
    await(broker.publishJoin(ch, client("c1")));
    await(broker.publishLeave(ch, client("c1")));
    assertEquals(new MemberEvent(ch, client("c1")), recorder.poll(recorder.joins, "join"));
    assertEquals(new MemberEvent(ch, client("c1")), recorder.poll(recorder.leaves, "leave"));
  }

  // ---- lifecycle

  @Test
  public void publishAfterCloseFailsWithBrokerException() throws Exception {
    String ch = channel("closed");
    publish(ch, 1);
    broker.close();
    broker.close(); // idempotent
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> broker.publish(ch, "e", JsonNull.INSTANCE, options(10)).get(TIMEOUT_SECONDS, SECONDS));
    assertInstanceOf(BrokerException.class, e.getCause());
    ExecutionException read = assertThrows(ExecutionException.class,
        () -> broker.history(ch, HistoryQuery.latest(1), options(10)).get(TIMEOUT_SECONDS, SECONDS));
    assertInstanceOf(BrokerException.class, read.getCause());
  }

  /**
   * Waits until {@code condition} holds, checking every 20 ms, for at most {@link #TIMEOUT_SECONDS}. Only
   * for what a broker does by the wall clock (expiry); everything else is awaited through futures and the
   * recorder.
   */
  protected static void awaitTrue(Supplier<Boolean> condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + SECONDS.toNanos(TIMEOUT_SECONDS);
    while (!condition.get()) {
      if (System.nanoTime() > deadline) {
        fail("timed out after " + TIMEOUT_SECONDS + " s waiting for " + what);
      }
      Thread.sleep(20); // a polling pause, not synchronisation: the condition is re-checked
    }
  }

  /** A publication as the handler received it. */
  public record Delivery(Publication publication, String epoch) {}

  /** A join or leave as the handler received it. */
  public record MemberEvent(String channel, ClientInfo client) {}

  /**
   * A {@link BrokerHandler} that queues what it receives for channels with the test's prefix, and counts
   * deliveries of one channel that overlapped in time (there must be none). Thread-safe.
   */
  public static final class Recorder implements BrokerHandler {

    public final BlockingQueue<Delivery> publications = new LinkedBlockingQueue<>();
    public final BlockingQueue<MemberEvent> joins = new LinkedBlockingQueue<>();
    public final BlockingQueue<MemberEvent> leaves = new LinkedBlockingQueue<>();
    public final AtomicInteger interruptions = new AtomicInteger();
    public final AtomicInteger overlappingDeliveries = new AtomicInteger();
    private final ConcurrentHashMap<String, AtomicInteger> delivering = new ConcurrentHashMap<>();
    private final String prefix;

    public Recorder(String prefix) {
      this.prefix = prefix;
    }

    @Override
    public void onPublication(Publication publication, String epoch) {
      if (!publication.channel().startsWith(prefix)) {
        return; // another test's channel on a shared backend
      }
      AtomicInteger inFlight = delivering.computeIfAbsent(publication.channel(), c -> new AtomicInteger());
      if (inFlight.incrementAndGet() > 1) {
        overlappingDeliveries.incrementAndGet();
      }
      publications.add(new Delivery(publication, epoch));
      inFlight.decrementAndGet();
    }

    @Override
    public void onJoin(String channel, ClientInfo client) {
      if (channel.startsWith(prefix)) {
        joins.add(new MemberEvent(channel, client));
      }
    }

    @Override
    public void onLeave(String channel, ClientInfo client) {
      if (channel.startsWith(prefix)) {
        leaves.add(new MemberEvent(channel, client));
      }
    }

    @Override
    public void onDeliveryInterrupted() {
      interruptions.incrementAndGet();
    }

    /** The next publication, waiting at most {@link #TIMEOUT_SECONDS}. */
    public Delivery nextPublication() throws InterruptedException {
      return poll(publications, "publication");
    }

    public <T> T poll(BlockingQueue<T> queue, String what) throws InterruptedException {
      T next = queue.poll(TIMEOUT_SECONDS, SECONDS);
      assertNotNull(next, "no " + what + " within " + TIMEOUT_SECONDS + " s");
      return next;
    }
  }
}
