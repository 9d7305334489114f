package dev.pushline;

import java.util.List;

/**
 * A named stream of publications. Obtained from {@link PushServer#channel(String)}; the same name
 * always gives the same stream. The stream (offsets, epoch, history, presence) lives in the server's
 * {@link dev.pushline.broker.Broker}: with a shared broker such as Redis, every node sees the same stream.
 *
 * <h2>Order</h2>
 * Each publication gets the next offset of the channel's stream, and every subscriber receives the
 * channel's publications in offset order. A publication is serialised and framed once, whatever the
 * number of subscribers.
 *
 * <p>Thread-safe.
 */
public interface Channel {

  /** The channel's name. */
  String name();

  /**
   * Publishes an event to every current subscriber.
   *
   * @param event the event name: 1 to 255 characters
   * @param data any object Gson can serialise, a {@code JsonElement}, or null
   * @return the publication's offset
   * @throws IllegalArgumentException if {@code event} is empty or too long
   * @throws IllegalStateException if the server is not running
   * @throws dev.pushline.broker.BrokerException if the broker failed: the publication may or may not have
   *     been published (a timeout cannot tell), but it was not reported as published and then lost
   */
  long publish(String event, Object data);

  /**
   * Like {@link #publish}, without waiting: the future completes with the offset once the broker has
   * published it, or with a {@link dev.pushline.broker.BrokerException}. With the in-memory broker it is
   * complete on return.
   *
   * @throws IllegalArgumentException if {@code event} is empty or too long
   * @throws IllegalStateException if the server is not running
   */
  java.util.concurrent.CompletableFuture<Long> publishAsync(String event, Object data);

  /** The current offset: that of the last publication, 0 before the first. */
  long offset();

  /**
   * The epoch of the channel's stream: a string that changes whenever the stream loses continuity, for
   * example when the server restarts. An offset is meaningful only together with its epoch.
   */
  String epoch();

  /**
   * The publications the channel keeps in its history right now, oldest first (see
   * {@link ChannelOptions}). Empty when history is off.
   */
  List<Publication> history();

  /**
   * Who is subscribed to this channel now, on every node; entries of a node that died linger for at most
   * {@code presenceTtl}.
   *
   * @throws IllegalStateException if presence is off for this channel ({@link ChannelOptions#presence()})
   * @throws dev.pushline.broker.BrokerException if the broker failed
   */
  List<ClientInfo> presence();

  /** Remote and in-process subscribers of this channel on this node right now. */
  int subscriberCount();

  /**
   * Subscribes {@code subscriber} to this channel: it receives every publication published after this
   * call returns. Subscribing a {@link ClientConnection} subscribes that remote client server-side: it
   * is told with a {@code subscribed} message.
   *
   * @return false if it was subscribed already
   * @throws IllegalStateException if the server is not running
   */
  boolean subscribe(Subscriber subscriber);

  /**
   * Unsubscribes {@code subscriber}.
   *
   * @return false if it was not subscribed
   */
  boolean unsubscribe(Subscriber subscriber);
}
