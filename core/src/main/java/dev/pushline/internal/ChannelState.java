package dev.pushline.internal;

import com.google.gson.JsonElement;
import dev.pushline.Channel;
import dev.pushline.ChannelOptions;
import dev.pushline.Publication;
import dev.pushline.Subscriber;
import dev.pushline.transport.OutboundMessage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One channel's stream and subscribers.
 *
 * <h2>Concurrency</h2>
 * {@link #lock} orders everything that touches the stream: offsets are assigned, frames enqueued to every
 * target, and subscribe / unsubscribe replies enqueued under it, so each subscriber sees its
 * {@code subscribed} reply, then publications in offset order, then its {@code unsubscribed} reply. Nothing
 * under the lock blocks or runs host code: remote targets enqueue to the transport, local targets to their
 * serial executor. {@link #targets} is copy-on-write: replaced under the lock, read without it.
 *
 * <h2>History</h2>
 * The last {@link ChannelOptions#historySize()} publications, none older than
 * {@link ChannelOptions#historyTtl()}, with the frame each was sent as, so a replay sends the same shared
 * bytes. Appended and evicted under the lock, so a subscribe that resumes from an offset sees exactly the
 * publications that its live subscription will not: no gap, no duplicate.
 *
 * <p>Thread-safe.
 */
final class ChannelState implements Channel {

  private static final Target[] NONE = new Target[0];

  private final Engine engine;
  private final String name;
  private final String epoch;
  private final ChannelOptions options;
  private final ReentrantLock lock = new ReentrantLock();
  private long offset; // guarded by lock
  private final ArrayDeque<HistoryEntry> history = new ArrayDeque<>(); // guarded by lock
  private volatile Target[] targets = NONE; // replaced under lock
  /** Kept for the server's lifetime because the host asked for it; set under the engine's map bin lock. */
  private volatile boolean retained;
  /** When the channel last published or lost its last subscriber (engine clock, ms). */
  private volatile long lastActiveMillis;

  ChannelState(Engine engine, String name, String epoch, ChannelOptions options) {
    this.engine = engine;
    this.name = name;
    this.epoch = epoch;
    this.options = options;
    this.lastActiveMillis = engine.nowMillis();
  }

  /** One publication kept for replay. */
  private record HistoryEntry(long offset, long timeMillis, OutboundMessage frame, Publication publication) {}

  @Override
  public String name() {
    return name;
  }

  @Override
  public String epoch() {
    return epoch;
  }

  @Override
  public long offset() {
    lock.lock();
    try {
      return offset;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public int subscriberCount() {
    return targets.length;
  }

  @Override
  public long publish(String event, Object data) {
    Names.requireEvent(event);
    JsonElement json = Codec.toJson(data);
    engine.requireRunning();
    long offset = publishJson(event, json);
    engine.metrics.hostPublications.increment();
    return offset;
  }

  /** Publishes already validated input. */
  long publishJson(String event, JsonElement data) {
    int queued = 0;
    OutboundMessage frame;
    long next;
    lock.lock();
    try {
      // Checked under the lock: Engine.stop() passes every channel's lock after clearing the flag, so no
      // publication is queued after the transport starts closing connections.
      engine.requireRunning();
      next = offset + 1;
      frame = engine.prepare(Codec.publication(name, next, event, data));
      offset = next;
      long now = engine.nowMillis();
      lastActiveMillis = now;
      Publication publication = new Publication(name, next, event, data);
      if (options.historySize() > 0) {
        history.addLast(new HistoryEntry(next, now, frame, publication));
        evictHistory();
      }
      // The hot loop: one iteration per recipient. It counts in a local and adds to the shared counters
      // once per publication, after the lock is released (see Metrics).
      for (Target target : targets) {
        if (target.deliver(this, frame, publication)) {
          queued++;
        }
      }
    } finally {
      lock.unlock();
    }
    engine.metrics.delivered(queued, frame.sizeBytes());
    return next;
  }

  @Override
  public boolean subscribe(Subscriber subscriber) {
    java.util.Objects.requireNonNull(subscriber, "subscriber");
    engine.requireRunning();
    if (subscriber instanceof Session session && session.belongsTo(engine)) {
      return session.subscribeServerSide(name);
    }
    return engine.subscribeLocal(this, subscriber);
  }

  @Override
  public boolean unsubscribe(Subscriber subscriber) {
    java.util.Objects.requireNonNull(subscriber, "subscriber");
    if (subscriber instanceof Session session && session.belongsTo(engine)) {
      return session.unsubscribeServerSide(name);
    }
    return engine.unsubscribeLocal(this, subscriber);
  }

  @Override
  public List<Publication> history() {
    lock.lock();
    try {
      evictHistory();
      List<Publication> out = new ArrayList<>(history.size());
      for (HistoryEntry e : history) {
        out.add(e.publication());
      }
      return out;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Adds {@code target} in one step with its {@code subscribed} reply and any replay, so that the target
   * sees the reply, then the replayed publications, then live ones: no gap, no duplicate.
   *
   * @param since where the subscriber left off, or null for a fresh subscription
   * @param last how many of the latest publications to replay when {@code since} is null or cannot be
   *     recovered; 0 for none
   * @param reply sent first; null for none (in-process subscribers)
   * @return false if the target's subscriber was subscribed already
   */
  boolean add(Target target, Since since, int last, Reply reply) {
    int replayed = 0;
    long replayedBytes = 0;
    lock.lock();
    try {
      if (indexOf(target.subscriber()) >= 0) {
        return false;
      }
      evictHistory();
      Boolean recovered = null;
      Iterator<HistoryEntry> replay = null;
      if (since != null) {
        recovered = recoverable(since);
        if (recovered) {
          replay = since.offset() < offset ? entriesAfter(since.offset()) : null;
        }
      }
      if (replay == null && !Boolean.TRUE.equals(recovered) && last > 0) {
        replay = entriesAfter(Math.max(0, offset - last));
      }
      if (reply != null) {
        reply.send(offset, epoch, recovered);
      }
      while (replay != null && replay.hasNext()) {
        HistoryEntry e = replay.next();
        if (target.deliver(this, e.frame(), e.publication())) {
          replayed++;
          replayedBytes += e.frame().sizeBytes();
        }
      }
      Target[] current = targets;
      Target[] next = Arrays.copyOf(current, current.length + 1);
      next[current.length] = target;
      targets = next;
    } finally {
      lock.unlock();
    }
    subscriptionsOf(target).increment();
    if (replayed > 0) {
      engine.metrics.deliveries.add(replayed);
      engine.metrics.bytesOut.add(replayedBytes);
    }
    return true;
  }

  /** The counter of subscriptions that {@code target} counts in. */
  private LongAdder subscriptionsOf(Target target) {
    return target instanceof Session ? engine.metrics.remoteSubscriptions : engine.metrics.inProcessSubscriptions;
  }

  /** Whether every publication after {@code since} can still be sent: same epoch and still in history. */
  private boolean recoverable(Since since) {
    if (!since.epoch().equals(epoch) || since.offset() > offset) {
      return false;
    }
    if (since.offset() == offset) {
      return true; // nothing missed
    }
    HistoryEntry oldest = history.peekFirst();
    return oldest != null && oldest.offset() <= since.offset() + 1;
  }

  /**
   * History entries with an offset above {@code after}, oldest first. History holds consecutive offsets up
   * to {@link #offset} (every publication is appended; only the oldest are evicted), so the wanted entries
   * are the newest {@code offset - after}: taken from the end, at a cost proportional to their number
   * rather than to the whole history.
   */
  private Iterator<HistoryEntry> entriesAfter(long after) {
    int wanted = (int) Math.min(history.size(), Math.max(0, offset - after));
    HistoryEntry[] out = new HistoryEntry[wanted];
    Iterator<HistoryEntry> newestFirst = history.descendingIterator();
    for (int i = wanted - 1; i >= 0; i--) {
      out[i] = newestFirst.next();
    }
    return Arrays.asList(out).iterator();
  }

  private void evictHistory() {
    while (history.size() > options.historySize()) {
      history.pollFirst();
    }
    long oldestAllowed = engine.nowMillis() - options.historyTtl().toMillis();
    while (!history.isEmpty() && history.peekFirst().timeMillis() < oldestAllowed) {
      history.pollFirst();
    }
  }

  /** Drops expired history; called by the engine's periodic sweep. */
  void expireHistory() {
    lock.lock();
    try {
      evictHistory();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Removes {@code subscriber}'s target and runs {@code after} in the same step, so that no publication
   * follows what {@code after} enqueues.
   *
   * @return false if it was not subscribed
   */
  boolean remove(Subscriber subscriber, Runnable after) {
    lock.lock();
    try {
      int i = indexOf(subscriber);
      if (i < 0) {
        return false;
      }
      Target[] current = targets;
      subscriptionsOf(current[i]).decrement();
      Target[] next = new Target[current.length - 1];
      System.arraycopy(current, 0, next, 0, i);
      System.arraycopy(current, i + 1, next, i, current.length - i - 1);
      targets = next;
      if (next.length == 0) {
        lastActiveMillis = engine.nowMillis();
      }
      if (after != null) {
        after.run();
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  ChannelOptions options() {
    return options;
  }

  /** Runs {@code action} under this channel's lock, ordered with its publications. */
  void locked(Runnable action) {
    lock.lock();
    try {
      action.run();
    } finally {
      lock.unlock();
    }
  }

  void retain() {
    retained = true;
  }

  /**
   * Whether the engine may forget this channel: the host never asked for it, nobody is subscribed, nothing
   * is in history a client could resume from, and, unless {@code now} is null, nothing happened on it for
   * {@link ChannelOptions#historyTtl()} — so a client that drops and comes back soon resumes on the same
   * stream even if nothing was published. Forgetting a channel ends its epoch.
   *
   * @param nowMillis the engine clock, or -1 to ignore the idle time (when the engine holds too many)
   */
  boolean disposable(long nowMillis) {
    if (retained || targets.length != 0) {
      return false;
    }
    if (nowMillis >= 0 && nowMillis - lastActiveMillis < options.historyTtl().toMillis()) {
      return false;
    }
    lock.lock();
    try {
      evictHistory();
      return history.isEmpty();
    } finally {
      lock.unlock();
    }
  }

  private int indexOf(Subscriber subscriber) {
    Target[] current = targets;
    for (int i = 0; i < current.length; i++) {
      if (current[i].subscriber() == subscriber) {
        return i;
      }
    }
    return -1;
  }

  /** Sends the {@code subscribed} reply, ordered with the stream. */
  @FunctionalInterface
  interface Reply {
    /**
     * @param recovered null when the subscriber gave no {@code since}; else whether every publication
     *     after it is being replayed
     */
    void send(long offset, String epoch, Boolean recovered);
  }

  /** Where a resuming subscriber left off. */
  record Since(long offset, String epoch) {}

  @Override
  public String toString() {
    return "Channel[" + name + "]";
  }
}
