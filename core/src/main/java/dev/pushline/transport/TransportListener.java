package dev.pushline.transport;

/**
 * Told by a {@link Transport} about each connection that finished its handshake.
 *
 * <p>Callbacks run on transport I/O threads and must not block.
 */
@FunctionalInterface
public interface TransportListener {

  /**
   * A connection finished its handshake and is open. Returns the listener that receives the
   * connection's messages and its close. Called once per connection, before any of its messages.
   */
  InboundListener onOpen(TransportConnection connection);
}
