package dev.pushline.broker;

import com.google.gson.JsonElement;
import dev.pushline.ClientInfo;
import dev.pushline.Publication;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default {@link Broker}: streams, history and presence in this JVM's memory, shared with no other
 * node. Everything is lost when the broker closes; a stream created again afterwards starts a new epoch,
 * so resuming clients are told they cannot be recovered.
 *
 * <h2>Synchronous</h2>
 * Every method does its work on the caller's thread and returns an already completed future.
 * {@link #publish} calls {@link BrokerHandler#onPublication} before it returns, while holding the channel's
 * lock: a channel's publications reach the handler one at a time, in offset order. {@link #publishJoin}
 * and {@link #publishLeave} call the handler before they return, holding no lock.
 *
 * <h2>Subscriptions</h2>
 * There is only this node, so the handler receives every channel's publications: {@link #subscribe} and
 * {@link #unsubscribe} do nothing. The node ignores publications of channels that have no local
 * subscribers (see {@link BrokerHandler#onPublication}).
 *
 * <h2>Bounds</h2>
 * <ul>
 *   <li>History keeps at most {@link StreamOptions#historySize()} publications; a publication older than
 *       {@link StreamOptions#historyTtl()} is evicted (one exactly that old is still kept).
 *   <li>A stream whose history is empty and that was last used (published to or read) more than
 *       {@link StreamOptions#metaTtl()} ago is forgotten: its epoch ends, and the next publish or read
 *       starts a new one, whether or not a sweep came by in between.
 *   <li>When more than {@value #MAX_STREAMS_FOR_IDLE_GRACE} streams exist, a {@link #sweep} forgets every
 *       stream whose history is empty, however recently used, so memory stays bounded whatever names
 *       clients read.
 *   <li>A presence entry is dropped once more than its ttl has passed since it was last added.
 * </ul>
 * Expired entries are dropped when a stream or a channel's presence is touched, and by a sweep that runs
 * every 5 seconds on the daemon thread {@code pushline-memory-broker} from {@link #start} to
 * {@link #close}. Time comes from the {@link Clock} given to the constructor.
 *
 * <h2>Lifecycle</h2>
 * Calls before {@link #start} throw {@link IllegalStateException}. After {@link #close}, every call returns
 * a future failed with a {@link BrokerException}, and no handler call starts once {@code close} returns.
 *
 * <p>Thread-safe.
 */
public final class MemoryBroker implements Broker {

  /** Past this many streams, a sweep forgets streams with empty history without waiting for metaTtl. */
  static final int MAX_STREAMS_FOR_IDLE_GRACE = 10_000;

  private static final long SWEEP_INTERVAL_SECONDS = 5;
  private static final Logger log = LoggerFactory.getLogger(MemoryBroker.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Clock clock;
  private final ConcurrentHashMap<String, Stream> streams = new ConcurrentHashMap<>();
  /**
   * Channel → client id → entry. An inner map is created and removed only inside {@code compute} on the
   * outer map, so an add never lands in a map that a sweep has just dropped.
   */
  private final ConcurrentHashMap<String, ConcurrentHashMap<String, PresenceEntry>> presence =
      new ConcurrentHashMap<>();
  /** Read-held around join / leave handler calls; write-held once by {@link #close} to wait for them. */
  private final ReentrantReadWriteLock memberEvents = new ReentrantReadWriteLock();
  private final Object lifecycle = new Object();
  /** Set once by {@link #start} under {@link #lifecycle}. */
  private volatile BrokerHandler handler;
  /** Set once by {@link #close} under {@link #lifecycle}; read under stream locks by publishers. */
  private volatile boolean closed;
  /** Guarded by {@link #lifecycle}. */
  private ScheduledExecutorService sweeper;
  /** The sweeper's thread, joined by close(): an executor terminates just before its thread has ended. */
  private final java.util.Set<Thread> sweeperThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** A broker on the system clock (UTC). */
  public MemoryBroker() {
    this(Clock.systemUTC());
  }

  /** A broker whose history, stream and presence expiry follow {@code clock}. */
  public MemoryBroker(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Starts the periodic {@link #sweep}. Never calls {@code handler} before it returns.
   *
   * @throws IllegalStateException if the broker was started or closed already
   */
  @Override
  public void start(BrokerHandler handler) {
    Objects.requireNonNull(handler, "handler");
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException("broker is closed; a closed broker cannot start again");
      }
      if (this.handler != null) {
        throw new IllegalStateException("broker is started already; start(handler) is called once");
      }
      sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(() -> {
          try {
            r.run();
          } finally {
            sweeperThreads.remove(Thread.currentThread());
          }
        }, "pushline-memory-broker");
        t.setDaemon(true);
        sweeperThreads.add(t);
        return t;
      });
      sweeper.scheduleWithFixedDelay(this::sweepLogged, SWEEP_INTERVAL_SECONDS, SWEEP_INTERVAL_SECONDS,
          TimeUnit.SECONDS);
      this.handler = handler;
    }
    log.debug("memory broker started");
  }

  @Override
  public CompletableFuture<StreamPosition> publish(String channel, String event, JsonElement data,
      StreamOptions options) {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(options, "options");
    BrokerHandler h = requireStarted();
    if (closed) {
      return closedFuture();
    }
    long now = clock.millis();
    Stream s = lockedStream(channel, now, options);
    try {
      // Checked under the stream lock: close() passes every stream's lock after setting the flag, so no
      // handler call starts after close() returns.
      if (closed) {
        return closedFuture();
      }
      s.restartIfIdle(now);
      s.options = options;
      s.lastUseMillis = now;
      long offset = s.offset + 1;
      s.offset = offset;
      Publication publication = new Publication(channel, offset, event, data);
      if (options.historySize() > 0) {
        s.history.addLast(new Entry(publication, now));
      }
      s.evict(now);
      try {
        h.onPublication(publication, s.epoch);
      } catch (RuntimeException e) {
        // The publication is appended and was handed over: publish succeeded. The handler's failure is its
        // own bug, reported here once.
        log.warn("broker handler failed on publication {} of channel {}", offset, channel, e);
      }
      return CompletableFuture.completedFuture(new StreamPosition(offset, s.epoch));
    } finally {
      s.lock.unlock();
    }
  }

  @Override
  public CompletableFuture<HistoryResult> history(String channel, HistoryQuery query, StreamOptions options) {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(query, "query");
    Objects.requireNonNull(options, "options");
    requireStarted();
    if (closed) {
      return closedFuture();
    }
    long now = clock.millis();
    Stream s = lockedStream(channel, now, options);
    try {
      if (closed) {
        return closedFuture();
      }
      s.restartIfIdle(now);
      s.options = options;
      s.lastUseMillis = now;
      s.evict(now);
      return CompletableFuture.completedFuture(
          new HistoryResult(new StreamPosition(s.offset, s.epoch), s.read(query)));
    } finally {
      s.lock.unlock();
    }
  }

  /** Does nothing: this node receives every channel's publications (see the class documentation). */
  @Override
  public CompletableFuture<Void> subscribe(String channel) {
    Objects.requireNonNull(channel, "channel");
    return done();
  }

  /** Does nothing: this node receives every channel's publications (see the class documentation). */
  @Override
  public CompletableFuture<Void> unsubscribe(String channel) {
    Objects.requireNonNull(channel, "channel");
    return done();
  }

  @Override
  public CompletableFuture<Void> addPresence(String channel, ClientInfo client, Duration ttl) {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(ttl, "ttl");
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("presence ttl is " + ttl + "; it must be positive");
    }
    requireStarted();
    if (closed) {
      return closedFuture();
    }
    PresenceEntry entry = new PresenceEntry(client, clock.millis() + ttl.toMillis());
    presence.compute(channel, (k, clients) -> {
      ConcurrentHashMap<String, PresenceEntry> m = clients == null ? new ConcurrentHashMap<>() : clients;
      m.put(client.clientId(), entry);
      return m;
    });
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Void> removePresence(String channel, String clientId) {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(clientId, "clientId");
    requireStarted();
    if (closed) {
      return closedFuture();
    }
    presence.computeIfPresent(channel, (k, clients) -> {
      clients.remove(clientId);
      return clients.isEmpty() ? null : clients;
    });
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<List<ClientInfo>> presence(String channel) {
    Objects.requireNonNull(channel, "channel");
    requireStarted();
    if (closed) {
      return closedFuture();
    }
    Map<String, PresenceEntry> clients = presence.get(channel);
    if (clients == null) {
      return CompletableFuture.completedFuture(List.of());
    }
    long now = clock.millis();
    List<ClientInfo> out = new ArrayList<>(clients.size());
    for (Map.Entry<String, PresenceEntry> e : clients.entrySet()) {
      PresenceEntry entry = e.getValue();
      if (entry.expired(now)) {
        clients.remove(e.getKey(), entry); // only this entry: a refresh that just replaced it stays
      } else {
        out.add(entry.client());
      }
    }
    return CompletableFuture.completedFuture(List.copyOf(out));
  }

  @Override
  public CompletableFuture<Void> publishJoin(String channel, ClientInfo client) {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(client, "client");
    return memberEvent(channel, client, true);
  }

  @Override
  public CompletableFuture<Void> publishLeave(String channel, ClientInfo client) {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(client, "client");
    return memberEvent(channel, client, false);
  }

  private CompletableFuture<Void> memberEvent(String channel, ClientInfo client, boolean join) {
    BrokerHandler h = requireStarted();
    memberEvents.readLock().lock();
    try {
      if (closed) {
        return closedFuture();
      }
      try {
        if (join) {
          h.onJoin(channel, client);
        } else {
          h.onLeave(channel, client);
        }
      } catch (RuntimeException e) {
        log.warn("broker handler failed on {} of client {} in channel {}", join ? "join" : "leave",
            client.clientId(), channel, e);
      }
      return CompletableFuture.completedFuture(null);
    } finally {
      memberEvents.readLock().unlock();
    }
  }

  /**
   * Drops expired history and presence, and forgets the streams that may be forgotten (see the class
   * documentation). Runs every 5 seconds once started; public so that tests that move an injected clock
   * need not wait for it. Callable at any time, also before start and after close.
   */
  public void sweep() {
    long now = clock.millis();
    boolean crowded = streams.size() > MAX_STREAMS_FOR_IDLE_GRACE;
    for (Map.Entry<String, Stream> e : streams.entrySet()) {
      Stream s = e.getValue();
      boolean forgettable;
      if (!s.lock.tryLock()) {
        continue; // in use right now, so not idle
      }
      try {
        s.evict(now);
        forgettable = s.forgettable(now, crowded);
      } finally {
        s.lock.unlock();
      }
      if (forgettable) {
        streams.computeIfPresent(e.getKey(),
            (k, current) -> current == s && s.forget(now, crowded) ? null : current);
      }
    }
    for (String channel : presence.keySet()) {
      presence.computeIfPresent(channel, (k, clients) -> {
        clients.values().removeIf(entry -> entry.expired(now));
        return clients.isEmpty() ? null : clients;
      });
    }
  }

  /**
   * Stops the sweep and drops every stream and presence entry. Waits for publications and join / leave
   * events being handed to the handler; none starts after it returns. Idempotent.
   */
  @Override
  public void close() {
    ScheduledExecutorService toStop;
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
      toStop = sweeper;
      sweeper = null;
    }
    // Publishers check the flag under their stream's lock; passing every lock waits for those in progress.
    // A stream removed from the map meanwhile was forgotten: its publishers retry on a new one and see the
    // flag there.
    for (Stream s : streams.values()) {
      s.lock.lock();
      s.lock.unlock();
    }
    memberEvents.writeLock().lock();
    memberEvents.writeLock().unlock();
    if (toStop != null) {
      toStop.shutdownNow();
      try {
        if (!toStop.awaitTermination(10, TimeUnit.SECONDS)) {
          log.warn("memory broker sweep still running 10 s after close");
        }
        for (Thread t : java.util.List.copyOf(sweeperThreads)) {
          t.join(5_000);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // close() still returns; the caller sees the interrupt
      }
    }
    streams.clear();
    presence.clear();
    log.debug("memory broker closed");
  }

  /** How many streams are held; for tests of the bounds. */
  int streamCount() {
    return streams.size();
  }

  /** How many channels have presence entries held (expired ones included until swept); for tests. */
  int presenceChannelCount() {
    return presence.size();
  }

  private void sweepLogged() {
    try {
      sweep();
    } catch (RuntimeException e) {
      log.error("memory broker sweep failed; it runs again in {} s", SWEEP_INTERVAL_SECONDS, e);
    }
  }

  /** The handler; throws if the broker was never started. */
  private BrokerHandler requireStarted() {
    BrokerHandler h = handler;
    if (h == null && !closed) {
      throw new IllegalStateException("broker is not started; call start(handler) first");
    }
    return h;
  }

  /**
   * Channel {@code channel}'s stream, created if absent, with its lock held by the caller. A stream the
   * sweep forgot between the lookup and the lock is skipped, so no publication goes to a forgotten stream.
   */
  private Stream lockedStream(String channel, long now, StreamOptions options) {
    while (true) {
      Stream s = streams.computeIfAbsent(channel, k -> new Stream(newEpoch(), now, options));
      s.lock.lock();
      if (!s.forgotten) {
        return s;
      }
      s.lock.unlock();
    }
  }

  private static <T> CompletableFuture<T> closedFuture() {
    return CompletableFuture.failedFuture(new BrokerException("broker closed"));
  }

  private CompletableFuture<Void> done() {
    requireStarted();
    return closed ? closedFuture() : CompletableFuture.completedFuture(null);
  }

  private static String newEpoch() {
    byte[] b = new byte[8];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** One publication kept in history, with when it was published (clock millis). */
  private record Entry(Publication publication, long timeMillis) {}

  /** One client in a channel's presence, until {@code expiresAtMillis}. */
  private record PresenceEntry(ClientInfo client, long expiresAtMillis) {

    boolean expired(long nowMillis) {
      return nowMillis > expiresAtMillis;
    }
  }

  /**
   * One channel's stream. Every field but {@link #lock} is guarded by it. History holds
   * consecutive offsets, the newest being {@link #offset}: every publication is appended (unless
   * historySize is 0, which also empties it) and only the oldest are evicted.
   */
  private static final class Stream {

    final ReentrantLock lock = new ReentrantLock();
    String epoch;
    final ArrayDeque<Entry> history = new ArrayDeque<>();
    long offset;
    long lastUseMillis;
    /** The options of the latest call; the sweep evicts and forgets by them. */
    StreamOptions options;
    /** Removed from the map: callers that still hold it take a new stream instead. */
    boolean forgotten;

    Stream(String epoch, long nowMillis, StreamOptions options) {
      this.epoch = epoch;
      this.lastUseMillis = nowMillis;
      this.options = options;
    }

    void evict(long nowMillis) {
      while (history.size() > options.historySize()) {
        history.pollFirst();
      }
      long oldestKept = nowMillis - options.historyTtl().toMillis();
      while (!history.isEmpty() && history.peekFirst().timeMillis() < oldestKept) {
        history.pollFirst();
      }
    }

    /**
     * Starts a new epoch at offset 0 if the stream should have been forgotten already (empty history, idle
     * longer than metaTtl) but no sweep came by: its expiry does not depend on when the sweep runs.
     */
    void restartIfIdle(long nowMillis) {
      evict(nowMillis);
      if (forgettable(nowMillis, false)) {
        epoch = newEpoch();
        offset = 0;
      }
    }

    /** Whether the stream may be forgotten; call after {@link #evict}. */
    boolean forgettable(long nowMillis, boolean crowded) {
      if (!history.isEmpty()) {
        return false;
      }
      return crowded || nowMillis - lastUseMillis > options.metaTtl().toMillis();
    }

    /**
     * Marks the stream forgotten if it still may be; called inside the map's {@code computeIfPresent}.
     * Does not wait for the lock: a stream in use is not idle.
     */
    boolean forget(long nowMillis, boolean crowded) {
      if (!lock.tryLock()) {
        return false;
      }
      try {
        evict(nowMillis);
        if (forgettable(nowMillis, crowded)) {
          forgotten = true;
          return true;
        }
        return false;
      } finally {
        lock.unlock();
      }
    }

    /**
     * The publications {@code query} asks for, oldest first. Walks the deque from whichever end is nearer
     * the wanted range, so the cost follows what is returned rather than the history's size.
     */
    List<Publication> read(HistoryQuery query) {
      if (query.limit() == 0 || history.isEmpty() || (!query.isLatest() && query.after() >= offset)) {
        return List.of(); // position only, nothing kept, or nothing after 'after' (even beyond offset)
      }
      long first = history.peekFirst().publication().offset();
      long from;
      long to;
      if (query.isLatest()) {
        to = offset;
        from = Math.max(first, offset - query.limit() + 1);
      } else {
        // The oldest kept after 'after': when the next ones were evicted, the read starts later (a gap).
        from = Math.max(first, query.after() + 1);
        to = Math.min(offset, from + query.limit() - 1);
      }
      Publication[] out = new Publication[(int) (to - from + 1)];
      long skipFromHead = from - first;
      long skipFromTail = offset - to;
      if (skipFromHead <= skipFromTail) {
        Iterator<Entry> it = history.iterator();
        for (long i = 0; i < skipFromHead; i++) {
          it.next();
        }
        for (int i = 0; i < out.length; i++) {
          out[i] = it.next().publication();
        }
      } else {
        Iterator<Entry> it = history.descendingIterator();
        for (long i = 0; i < skipFromTail; i++) {
          it.next();
        }
        for (int i = out.length - 1; i >= 0; i--) {
          out[i] = it.next().publication();
        }
      }
      return Arrays.asList(out);
    }
  }
}
