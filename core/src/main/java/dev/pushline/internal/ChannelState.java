package dev.pushline.internal;

import dev.pushline.ChannelOptions;
import dev.pushline.ClientInfo;
import dev.pushline.Publication;
import dev.pushline.Subscriber;
import dev.pushline.broker.Broker;
import dev.pushline.broker.HistoryQuery;
import dev.pushline.broker.HistoryResult;
import dev.pushline.broker.StreamPosition;
import dev.pushline.transport.OutboundMessage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One channel's subscribers on this node: the fan-out of the publications the {@link Broker} delivers,
 * and the join of new subscribers to that live stream. The stream itself (offsets, epoch, history) lives
 * in the broker; this class holds no history.
 *
 * <h2>Joining without a gap</h2>
 * A new subscriber first waits in {@link #joining}: the node is subscribed to the channel in the broker,
 * then reads the history it needs, while every live publication is also buffered for the joiner. When the
 * read completes the joiner is sent its reply, the history, then the buffered publications newer than what
 * the read saw, and becomes a live target: no gap and no duplicate, whether the broker answers at once (in
 * memory) or over the network (Redis), where the read and the live delivery travel on different
 * connections. If the read saw more than has arrived live, the joiner waits until live delivery catches up.
 *
 * <h2>Continuity</h2>
 * The channel tracks the last live position. A publication that does not follow it (a skipped offset, a
 * new epoch) or a broker that reports an interrupted delivery means subscribers may have missed something:
 * every remote subscriber is removed and its connection closed with {@code RECONNECT}, so the client
 * resumes from its last offset and is either sent what it missed or told {@code recovered:false}.
 *
 * <h2>Concurrency</h2>
 * {@link #lock} orders everything that reaches a subscriber: publications, replies, replays, presence
 * events. Nothing under the lock blocks or runs host code. {@link #targets} is copy-on-write: replaced
 * under the lock, read without it.
 *
 * <p>Thread-safe.
 */
final class ChannelState {

  private static final Logger log = LoggerFactory.getLogger(ChannelState.class);
  private static final Target[] NONE = new Target[0];
  /** Publications buffered for one joiner while its history read is in flight; past it, it reconnects. */
  static final int MAX_BUFFERED = 10_000;

  private final Engine engine;
  private final String name;
  private final ChannelOptions options;
  /** Completes when the broker delivers this channel's publications to this node. */
  private final CompletableFuture<Void> brokerSubscription;
  private final ReentrantLock lock = new ReentrantLock();
  private volatile Target[] targets = NONE; // replaced under lock
  private final List<Joining> joining = new ArrayList<>(); // guarded by lock
  /** The last live position; null while unknown. Guarded by lock. */
  private String epoch;
  private long offset; // guarded by lock

  ChannelState(Engine engine, String name, ChannelOptions options, CompletableFuture<Void> brokerSubscription) {
    this.engine = engine;
    this.name = name;
    this.options = options;
    this.brokerSubscription = brokerSubscription;
  }

  String name() {
    return name;
  }

  ChannelOptions options() {
    return options;
  }

  int subscriberCount() {
    return targets.length;
  }

  /** A publication from the broker: checked for continuity, then sent to every target and joiner. */
  void onPublication(Publication publication, String pubEpoch) {
    int queued = 0;
    OutboundMessage frame = null;
    lock.lock();
    try {
      if (!engine.isRunning()) {
        return; // Engine.stop() passes this lock after clearing the flag: nothing is queued after it
      }
      if (epoch != null) {
        if (epoch.equals(pubEpoch) && publication.offset() <= offset) {
          return; // seen already
        }
        if (!epoch.equals(pubEpoch) || publication.offset() != offset + 1) {
          loseContinuity("offset " + publication.offset() + " of epoch " + pubEpoch + " follows " + offset
              + " of epoch " + epoch);
        }
      }
      epoch = pubEpoch;
      offset = publication.offset();
      frame = engine.prepare(Codec.publication(name, publication.offset(), publication.event(),
          publication.data()));
      for (Joining j : List.copyOf(joining)) {
        j.buffer(publication, frame);
      }
      // The hot loop: one iteration per recipient. It counts in a local and adds to the shared counters
      // once per publication, after the lock is released (see Metrics).
      for (Target target : targets) {
        if (target.deliver(this, frame, publication)) {
          queued++;
        }
      }
      for (Joining j : List.copyOf(joining)) {
        if (j.result != null) {
          tryFinish(j);
        }
      }
    } finally {
      lock.unlock();
    }
    engine.metrics.delivered(queued, frame.sizeBytes());
  }

  /** A join or leave event from the broker: sent to the remote subscribers that asked for them. */
  void onPresenceEvent(ClientInfo client, boolean joined) {
    lock.lock();
    try {
      if (!engine.isRunning()) {
        return;
      }
      OutboundMessage frame = null;
      for (Target target : targets) {
        if (target instanceof Session s && s.wantsJoinLeave(name)) {
          if (frame == null) {
            frame = engine.prepare(Codec.presenceEvent(joined ? "join" : "leave", name, client));
          }
          s.deliverEvent(this, frame);
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Starts adding {@code target}: it waits among the joiners until its history read completes (see the
   * class comment). The caller then calls {@link #read}.
   *
   * @param since where the subscriber left off, or null for a fresh subscription
   * @param last how many of the latest publications to replay when {@code since} is null or cannot be
   *     recovered; 0 for none
   * @param reply told the outcome, under this channel's lock
   * @return the joiner, or null if {@code target}'s subscriber is subscribed or joining already
   */
  Joining join(Target target, Since since, int last, Reply reply) {
    lock.lock();
    try {
      if (indexOf(target.subscriber()) >= 0 || joiningIndexOf(target.subscriber()) >= 0) {
        return null;
      }
      Joining j = new Joining(target, since, last, reply);
      joining.add(j);
      return j;
    } finally {
      lock.unlock();
    }
  }

  /** Reads what {@code j} needs from the broker, once this node is subscribed there, then finishes it. */
  void read(Joining j) {
    Broker broker = engine.config.broker();
    var stream = engine.config.streamOptionsFor(name);
    HistoryQuery query = j.since != null
        ? HistoryQuery.after(j.since.offset(), options.historySize())
        : j.last > 0 ? HistoryQuery.latest(j.last) : HistoryQuery.positionOnly();
    brokerSubscription
        .thenCompose(v -> broker.history(name, query, stream))
        .thenCompose(result -> {
          if (j.since == null) {
            return CompletableFuture.completedFuture(new Read(result, null));
          }
          boolean recovered = recoverable(j.since, result);
          if (recovered || j.last == 0) {
            return CompletableFuture.completedFuture(new Read(result, recovered));
          }
          return broker.history(name, HistoryQuery.latest(j.last), stream).thenApply(r -> new Read(r, false));
        })
        .whenComplete((read, error) -> completeRead(j, read, error));
  }

  /** Whether {@code result} holds every publication after {@code since}. */
  private static boolean recoverable(Since since, HistoryResult result) {
    StreamPosition top = result.position();
    if (!since.epoch().equals(top.epoch()) || since.offset() > top.offset()) {
      return false;
    }
    if (since.offset() == top.offset()) {
      return true; // nothing missed
    }
    List<Publication> pubs = result.publications();
    return !pubs.isEmpty() && pubs.get(0).offset() == since.offset() + 1
        && pubs.get(pubs.size() - 1).offset() == top.offset();
  }

  private void completeRead(Joining j, Read read, Throwable error) {
    boolean failed;
    lock.lock();
    try {
      if (!joining.contains(j)) {
        return; // cancelled meanwhile
      }
      failed = error != null;
      if (failed) {
        joining.remove(j);
      } else {
        j.result = read.result();
        j.recovered = read.recovered();
        tryFinish(j);
      }
    } finally {
      lock.unlock();
    }
    if (failed) {
      j.reply.fail(unwrap(error)); // outside the lock: the session takes its own monitor
      engine.disposeIfEmpty(name);
    }
  }

  private static Throwable unwrap(Throwable error) {
    return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
  }

  /** Finishes {@code j} unless live delivery still lags behind what its read saw. Under the lock. */
  private void tryFinish(Joining j) {
    StreamPosition read = j.result.position();
    if (epoch != null && epoch.equals(read.epoch()) && offset < read.offset()) {
      return; // the publications up to read.offset() are on their way: wait for them
    }
    joining.remove(j);
    if (epoch != null && !epoch.equals(read.epoch())) {
      // The stream was reset between the read and the live delivery: this joiner cannot be given a
      // consistent start. It reconnects and resumes.
      resync(j.target, "stream reset while subscribing to " + name);
      return;
    }
    if (epoch == null) {
      epoch = read.epoch();
      offset = read.offset();
    }
    int replayed = 0;
    long replayedBytes = 0;
    // Counted before the reply is queued: a client that has read its reply finds itself in the stats.
    subscriptionsOf(j.target).increment();
    j.reply.send(read.offset(), read.epoch(), j.recovered);
    for (Publication p : j.result.publications()) {
      OutboundMessage frame = engine.prepare(Codec.publication(name, p.offset(), p.event(), p.data()));
      if (j.target.deliver(this, frame, p)) {
        replayed++;
        replayedBytes += frame.sizeBytes();
      }
    }
    for (Buffered b : j.buffered) {
      if (b.publication().offset() > read.offset() && j.target.deliver(this, b.frame(), b.publication())) {
        replayed++;
        replayedBytes += b.frame().sizeBytes();
      }
    }
    Target[] current = targets;
    Target[] next = Arrays.copyOf(current, current.length + 1);
    next[current.length] = j.target;
    targets = next;
    if (replayed > 0) {
      engine.metrics.deliveries.add(replayed);
      engine.metrics.bytesOut.add(replayedBytes);
    }
    j.reply.joined();
  }

  /**
   * Subscribers may have missed publications: each remote one is dropped and told to reconnect and resume.
   * In-process subscribers stay (they cannot resume) and are logged about. Under the lock.
   */
  private void loseContinuity(String why) {
    log.warn("channel {} lost continuity ({}); its remote subscribers reconnect to resume", name, why);
    engine.metrics.continuityLosses.increment();
    List<Target> kept = new ArrayList<>();
    for (Target t : targets) {
      if (t instanceof Session) {
        subscriptionsOf(t).decrement();
        resync(t, "continuity lost on " + name);
      } else {
        kept.add(t);
      }
    }
    targets = kept.toArray(NONE);
    for (Joining j : List.copyOf(joining)) {
      if (j.target instanceof Session) {
        joining.remove(j);
        resync(j.target, "continuity lost on " + name);
      }
    }
  }

  /** The broker's delivery to this node was interrupted: treat every subscriber as having a gap. */
  void deliveryInterrupted() {
    lock.lock();
    try {
      loseContinuity("broker delivery interrupted");
      epoch = null;
    } finally {
      lock.unlock();
    }
  }

  private void resync(Target target, String why) {
    if (target instanceof Session s) {
      s.resync(name, why);
    }
  }

  /** The counter of subscriptions that {@code target} counts in. */
  private LongAdder subscriptionsOf(Target target) {
    return target instanceof Session ? engine.metrics.remoteSubscriptions : engine.metrics.inProcessSubscriptions;
  }

  /**
   * Removes {@code subscriber}'s target, or cancels its join, and runs {@code after} in the same step, so
   * that no publication follows what {@code after} enqueues.
   *
   * @return false if it was neither subscribed nor joining
   */
  boolean remove(Subscriber subscriber, Runnable after) {
    lock.lock();
    try {
      int i = indexOf(subscriber);
      if (i >= 0) {
        Target[] current = targets;
        subscriptionsOf(current[i]).decrement();
        Target[] next = new Target[current.length - 1];
        System.arraycopy(current, 0, next, 0, i);
        System.arraycopy(current, i + 1, next, i, current.length - i - 1);
        targets = next;
      } else {
        int k = joiningIndexOf(subscriber);
        if (k < 0) {
          return false;
        }
        joining.remove(k).reply.cancel();
      }
      if (after != null) {
        after.run();
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Whether nobody is subscribed or joining: the engine may forget the channel. */
  boolean isEmpty() {
    lock.lock();
    try {
      return targets.length == 0 && joining.isEmpty();
    } finally {
      lock.unlock();
    }
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

  private int indexOf(Subscriber subscriber) {
    Target[] current = targets;
    for (int i = 0; i < current.length; i++) {
      if (current[i].subscriber() == subscriber) {
        return i;
      }
    }
    return -1;
  }

  private int joiningIndexOf(Subscriber subscriber) {
    for (int i = 0; i < joining.size(); i++) {
      if (joining.get(i).target.subscriber() == subscriber) {
        return i;
      }
    }
    return -1;
  }

  /** A live publication kept for a joiner, with the frame it was sent as. */
  private record Buffered(Publication publication, OutboundMessage frame) {}

  /** The outcome of a joiner's history reads. */
  private record Read(HistoryResult result, Boolean recovered) {}

  /** A subscriber waiting for its history read. Guarded by the channel's lock. */
  final class Joining {
    final Target target;
    final Since since;
    final int last;
    final Reply reply;
    final List<Buffered> buffered = new ArrayList<>();
    HistoryResult result;
    Boolean recovered;

    Joining(Target target, Since since, int last, Reply reply) {
      this.target = target;
      this.since = since;
      this.last = last;
      this.reply = reply;
    }

    void buffer(Publication publication, OutboundMessage frame) {
      if (buffered.size() >= MAX_BUFFERED) {
        joining.remove(this);
        resync(target, "too many publications while subscribing to " + name);
        return;
      }
      buffered.add(new Buffered(publication, frame));
    }
  }

  /** Tells a subscriber how its subscription went, under the channel's lock. */
  interface Reply {
    /**
     * The subscription is live from {@code offset}; replayed publications follow this call.
     *
     * @param recovered null when the subscriber gave no {@code since}; else whether every publication
     *     after it is being replayed
     */
    void send(long offset, String epoch, Boolean recovered);

    /** The subscriber is now a live target. */
    default void joined() {}

    /** The broker could not serve the subscription. Called without the channel's lock. */
    void fail(Throwable error);

    /** An unsubscribe came before the subscription completed. */
    void cancel();
  }

  /** Where a resuming subscriber left off. */
  record Since(long offset, String epoch) {}

  @Override
  public String toString() {
    return "ChannelState[" + name + "]";
  }
}
