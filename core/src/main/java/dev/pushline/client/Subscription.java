package dev.pushline.client;

import dev.pushline.client.PushClient.Recovery;
import dev.pushline.client.PushClient.StreamPosition;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * One channel subscription of a client: either one the application asked for with
 * {@link PushClient#subscribe}, kept across reconnects until it is unsubscribed or the server refuses it,
 * or one the server's host made ({@link #serverSide}), which lasts as long as its connection.
 *
 * <h2>Position and recovery</h2>
 * {@link #position} is the offset of the last publication handed to the handler, or the offset delivery
 * starts after, with its epoch. A renewed subscription sends it as {@code since}; the {@code subscribed}
 * reply then decides, in {@link #subscribed}, whether the stream continues ({@link Recovery#RECOVERED}) or
 * starts again. Publications at or below {@link #position} are never delivered: within an epoch, no offset
 * is delivered twice or out of order.
 *
 * <h2>Concurrency</h2>
 * {@link #phase}, {@link #requestId}, {@link #position}, {@link #sentSince}, {@link #unavailable} and
 * {@link #retry} are guarded by the owning client's lock. {@link #removed} is written under that lock and
 * read without it by queued handler calls, so that a handler is not called after {@code unsubscribe} or
 * {@code close} returned (unless it was already running).
 */
final class Subscription {

  /** Where the subscription stands on the current connection. */
  enum Phase {
    /**
     * Not requested on the current connection (there may be none): sent once connected, or when its
     * {@link #retry} is due.
     */
    PENDING,
    /** {@code subscribe} sent, {@code subscribed} not yet received: publications are not delivered. */
    SENT,
    /** {@code subscribed} received: publications go to the handler. */
    ACTIVE
  }

  final String channel;
  final PushClient.SubscriptionHandler handler;
  /** Publications to ask for whenever the subscription starts without continuity; 0 for none. */
  final int history;
  /** Hears the channel's join and leave events; null when the subscription does not ask for them. */
  final PushClient.PresenceListener joinLeave;
  /** Made by the server's host, not by the application: not renewed, not in {@code channels()}. */
  final boolean serverSide;
  /** Names the handler in the log line if it throws. */
  final String handlerName;
  /** Completed by the first {@code subscribed} reply, or failed by the first failure. */
  final CompletableFuture<StreamPosition> subscribed = new CompletableFuture<>();

  Phase phase = Phase.PENDING; // guarded by the client's lock
  long requestId = -1; // guarded by the client's lock
  /** The last offset delivered to the handler, or the offset delivery starts after, and its epoch. */
  StreamPosition position; // guarded by the client's lock
  /** The {@code since} of the subscribe request on the wire; null when it had none. */
  StreamPosition sentSince; // guarded by the client's lock
  /** {@code unavailable} replies in a row since the last {@code subscribed}: the retry backoff's count. */
  int unavailable; // guarded by the client's lock
  /** Subscribes again on the current connection after an {@code unavailable} reply; null when none is due. */
  ScheduledFuture<?> retry; // guarded by the client's lock
  volatile boolean removed;

  /** A subscription the application asked for, with {@code options}. */
  Subscription(String channel, PushClient.SubscriptionHandler handler, PushClient.SubscribeOptions options) {
    this(channel, handler, options.history(), options.joinLeave(), false);
  }

  /** A subscription the server's host made. */
  static Subscription serverSide(String channel, PushClient.SubscriptionHandler handler) {
    return new Subscription(channel, handler, 0, null, true);
  }

  private Subscription(String channel, PushClient.SubscriptionHandler handler, int history,
      PushClient.PresenceListener joinLeave, boolean serverSide) {
    this.channel = channel;
    this.handler = handler;
    this.history = history;
    this.joinLeave = joinLeave;
    this.serverSide = serverSide;
    this.handlerName = (serverSide ? "the server subscription handler of \"" : "the handler of \"") + channel
        + "\"";
  }

  /**
   * Takes in the server's {@code subscribed} reply: decides whether the stream continues from
   * {@link #position}, and where delivery resumes if it does not. Call under the client's lock.
   *
   * @param server the channel's position on the server, from the reply
   * @param recovered the reply's {@code recovered}, or null when it has none
   */
  Recovery subscribed(StreamPosition server, Boolean recovered) {
    StreamPosition since = sentSince;
    sentSince = null;
    if (since != null && Boolean.TRUE.equals(recovered) && since.epoch().equals(server.epoch())) {
      position = since; // the server replays everything after it, then goes on live
      return Recovery.RECOVERED;
    }
    // A new start: from the channel's offset, less the history asked for, which the server replays.
    long from = Math.max(0, server.offset() - history);
    if (position != null && position.epoch().equals(server.epoch())) {
      from = Math.max(from, position.offset()); // same stream: never deliver an offset twice
    }
    position = new StreamPosition(from, server.epoch());
    return since == null ? Recovery.FRESH : Recovery.NOT_RECOVERED;
  }

  /** Cancels the retry that is due, if any. Call under the client's lock. */
  void cancelRetry() {
    if (retry != null) {
      retry.cancel(false);
      retry = null;
    }
  }

  @Override
  public String toString() {
    return "Subscription[" + channel + (serverSide ? " (server-side), " : ", ") + phase + ", " + position + "]";
  }
}
