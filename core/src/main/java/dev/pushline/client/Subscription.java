package dev.pushline.client;

import dev.pushline.Publication;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * One channel the application subscribed to with {@link PushClient#subscribe}: kept across reconnects
 * until it is unsubscribed or the server refuses it.
 *
 * <h2>Concurrency</h2>
 * {@link #phase}, {@link #requestId} and {@link #position} are guarded by the owning client's lock.
 * {@link #removed} is written under that lock and read without it by queued handler calls, so that a
 * handler is not called after {@code unsubscribe} returned (unless it was already running).
 */
final class Subscription {

  /** Where the subscription stands on the current connection. */
  enum Phase {
    /** Not requested on the current connection (there may be none): sent once connected. */
    PENDING,
    /** {@code subscribe} sent, {@code subscribed} not yet received: publications are not delivered. */
    SENT,
    /** {@code subscribed} received: publications go to the handler. */
    ACTIVE
  }

  final String channel;
  final Consumer<Publication> handler;
  /** Names the handler in the log line if it throws. */
  final String handlerName;
  /** Completed by the first {@code subscribed} reply, or failed by the first failure. */
  final CompletableFuture<PushClient.StreamPosition> subscribed = new CompletableFuture<>();

  Phase phase = Phase.PENDING; // guarded by the client's lock
  long requestId = -1; // guarded by the client's lock
  /** The last offset delivered to the handler (or the offset at subscribe time) and its epoch. */
  PushClient.StreamPosition position; // guarded by the client's lock
  volatile boolean removed;

  Subscription(String channel, Consumer<Publication> handler) {
    this.channel = channel;
    this.handler = handler;
    this.handlerName = "the handler of \"" + channel + "\"";
  }

  @Override
  public String toString() {
    return "Subscription[" + channel + ", " + phase + ", " + position + "]";
  }
}
