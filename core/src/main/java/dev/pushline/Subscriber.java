package dev.pushline;

/**
 * Receives a channel's publications.
 *
 * <p>Every remote connection is a subscriber (see {@link ClientConnection}); the host application can
 * implement this interface to subscribe in-process with {@link Channel#subscribe}.
 *
 * <h2>Threading</h2>
 * Pushline calls {@link #onPublication} for an in-process subscriber on one of its callback threads,
 * one call at a time, in offset order per channel. A subscriber that is slow holds up only itself, never
 * the publisher or other subscribers; it should not block for long all the same, since callback threads
 * are shared. An exception thrown here is logged at WARN and the next publication is delivered as usual.
 *
 * <p>Callbacks run on Pushline's callback threads, one at a time per subscriber.
 */
@FunctionalInterface
public interface Subscriber {

  /** Called with each publication of each channel this subscriber is subscribed to. */
  void onPublication(Publication publication);
}
