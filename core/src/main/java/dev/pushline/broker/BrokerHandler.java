package dev.pushline.broker;

import dev.pushline.ClientInfo;
import dev.pushline.Publication;

/**
 * What a {@link Broker} tells its node. Implemented by the server; a broker calls it from its own threads.
 *
 * <p>Every method must return quickly and never block: a broker may call it from an I/O thread or while
 * holding a channel's lock. Implementations are thread-safe.
 */
public interface BrokerHandler {

  /**
   * A publication of a channel this node is {@link Broker#subscribe subscribed} to (a broker may also
   * report channels it is not subscribed to; the node ignores them).
   *
   * <p>For each channel, publications arrive one at a time, in offset order, each exactly once, unless
   * the broker reports {@link #onDeliveryInterrupted()} in between.
   *
   * @param publication the publication, with its offset
   * @param epoch the epoch of the stream it belongs to
   */
  void onPublication(Publication publication, String epoch);

  /** {@code client} joined channel {@code channel} (published with {@link Broker#publishJoin}). */
  void onJoin(String channel, ClientInfo client);

  /** {@code client} left channel {@code channel} (published with {@link Broker#publishLeave}). */
  void onLeave(String channel, ClientInfo client);

  /**
   * Publications may have been missed on every channel this node is subscribed to: the broker lost its
   * connection for a while and has now subscribed again. Called once delivery works again, before any
   * publication received after the interruption. The node tells every affected client to resume, so each
   * one either recovers what it missed from history or is told it cannot.
   */
  void onDeliveryInterrupted();
}
