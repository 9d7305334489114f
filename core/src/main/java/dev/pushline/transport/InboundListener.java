package dev.pushline.transport;

/**
 * Receives what happens on one connection.
 *
 * <p>{@link #onText} is called serially in arrival order. {@link #onClosed} is called exactly once,
 * possibly on another thread and possibly while an {@code onText} call is still running.
 *
 * <p>Callbacks run on transport I/O threads and must not block.
 */
public interface InboundListener {

  /** The queue fell to the level asked for with {@link TransportConnection#notifyWhenDrained}. */
  default void onDrained() {}

  /** A whole text message arrived. */
  void onText(String text);

  /**
   * The connection is closed, by either side or by a network failure.
   *
   * @param code the WebSocket close code (1006 when the connection dropped without a close frame)
   * @param reason the close reason, never null, possibly empty
   */
  void onClosed(int code, String reason);
}
