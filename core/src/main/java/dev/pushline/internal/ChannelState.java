package dev.pushline.internal;

import com.google.gson.JsonElement;
import dev.pushline.Channel;
import dev.pushline.Publication;
import dev.pushline.Subscriber;
import dev.pushline.transport.OutboundMessage;
import java.util.Arrays;
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
 * <p>Thread-safe.
 */
final class ChannelState implements Channel {

  private static final Target[] NONE = new Target[0];

  private final Engine engine;
  private final String name;
  private final String epoch;
  private final ReentrantLock lock = new ReentrantLock();
  private long offset; // guarded by lock
  private volatile Target[] targets = NONE; // replaced under lock
  /** Kept for the server's lifetime because the host asked for it; set under the engine's map bin lock. */
  private volatile boolean retained;

  ChannelState(Engine engine, String name, String epoch) {
    this.engine = engine;
    this.name = name;
    this.epoch = epoch;
  }

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
    return publishJson(event, json);
  }

  /** Publishes already validated input. */
  long publishJson(String event, JsonElement data) {
    lock.lock();
    try {
      long next = offset + 1;
      OutboundMessage frame = engine.prepare(Codec.publication(name, next, event, data));
      offset = next;
      Publication publication = new Publication(name, next, event, data);
      for (Target target : targets) {
        target.deliver(frame, publication);
      }
      return next;
    } finally {
      lock.unlock();
    }
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

  /**
   * Adds {@code target} and enqueues {@code reply(offset, epoch)} to it in the same step, so that the reply
   * comes before any publication the target receives.
   *
   * @return false if the target's subscriber was subscribed already
   */
  boolean add(Target target, Reply reply) {
    lock.lock();
    try {
      if (indexOf(target.subscriber()) >= 0) {
        return false;
      }
      Target[] current = targets;
      Target[] next = Arrays.copyOf(current, current.length + 1);
      next[current.length] = target;
      targets = next;
      if (reply != null) {
        reply.send(offset, epoch);
      }
      return true;
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
      Target[] next = new Target[current.length - 1];
      System.arraycopy(current, 0, next, 0, i);
      System.arraycopy(current, i + 1, next, i, current.length - i - 1);
      targets = next;
      if (after != null) {
        after.run();
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  void retain() {
    retained = true;
  }

  /** Whether the engine may forget this channel: nobody subscribed and the host never asked for it. */
  boolean disposable() {
    return !retained && targets.length == 0;
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

  /** Sends a reply that must be ordered with the stream. */
  @FunctionalInterface
  interface Reply {
    void send(long offset, String epoch);
  }

  @Override
  public String toString() {
    return "Channel[" + name + "]";
  }
}
