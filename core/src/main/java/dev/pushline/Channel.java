package dev.pushline;

import java.util.List;

/**
 * A named stream of publications. Obtained from {@link PushServer#channel(String)}; the same name
 * always gives the same stream.
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
   */
  long publish(String event, Object data);

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

  /** Remote and in-process subscribers of this channel right now. */
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
