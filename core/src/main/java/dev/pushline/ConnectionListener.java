package dev.pushline;

/**
 * Told when remote clients connect and disconnect. Register one with
 * {@link PushServer.Builder#connectionListener}.
 *
 * <p>Callbacks run on Pushline's callback threads, never on transport I/O threads, one at a time per
 * connection and in order ({@code onOpen} before {@code onClosed}). An exception thrown here is logged
 * at WARN and does not affect the connection.
 */
public interface ConnectionListener {

  /** A client connected and was sent its {@code welcome}. */
  default void onOpen(ClientConnection connection) {}

  /**
   * A client's connection closed.
   *
   * @param code the WebSocket close code (see {@link CloseCodes})
   */
  default void onClosed(ClientConnection connection, int code, String reason) {}
}
