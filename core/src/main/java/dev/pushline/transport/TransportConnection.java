package dev.pushline.transport;

/**
 * One connection of a {@link Transport}.
 *
 * <p>Thread-safe: {@link #send} may be called from any thread; messages sent from one thread arrive in
 * the order they were sent.
 */
public interface TransportConnection {

  /** What the client sent to open this connection. */
  Handshake handshake();

  /**
   * Queues a prepared message for this connection. Never blocks.
   *
   * @return false if the connection is closed or closing, so the message will not be delivered
   */
  boolean send(OutboundMessage message);

  /**
   * Starts a close with {@code code} and {@code reason}; messages already queued are sent first.
   * Idempotent.
   */
  void close(int code, String reason);

  /** Bytes queued for this connection and not yet written to the socket, as far as the transport knows. */
  long queuedBytes();
}
