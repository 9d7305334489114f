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
   * The context of the {@link HandshakeDecision} that accepted this connection
   * ({@link TransportListener#onHandshake}), or null when there was none.
   */
  Object context();

  /**
   * The subprotocol the transport negotiated with the client (for WebSocket, the
   * {@code Sec-WebSocket-Protocol} of the response, such as {@code v12.stomp}); empty when none was.
   */
  default String subprotocol() {
    return "";
  }

  /**
   * Queues a prepared message for this connection. Never blocks.
   *
   * @return false if the connection is closed or closing, so the message will not be delivered
   */
  boolean send(OutboundMessage message);

  /**
   * Starts a close with {@code code} and {@code reason}; messages already queued are sent first. A peer that
   * does not read them within a bounded time is dropped. Idempotent. Must not be called while holding a
   * lock that the transport's callbacks may need: it may block on the connection's own monitor.
   */
  void close(int code, String reason);

  /**
   * Bytes of messages given to {@link #send} that are not yet written to the socket. O(1); the engine calls
   * it before every send to bound each connection's queue.
   */
  long queuedBytes();

  /**
   * Asks for one {@link InboundListener#onDrained()} call once {@link #queuedBytes()} is at or below
   * {@code bytes}: at once (on the calling thread) if it is already, else from the thread that writes.
   */
  void notifyWhenDrained(long bytes);
}
