package dev.pushline.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the protocol messages of traced connections go ({@code ClientConnection.traceProtocol}). The
 * engine calls it on the connection's callback executor: one call at a time per connection, in the order
 * the messages were received or queued, never under a lock.
 *
 * <p>Implementations must be thread-safe: calls for different connections may run at once.
 */
public interface ProtocolTrace {

  /** The logger that {@link #LOG} writes to. */
  String LOGGER_NAME = "dev.pushline.protocol";

  /** Longest message text written to the log, in chars; longer ones are cut and their length given. */
  int MAX_LOGGED_CHARS = 2_000;

  /** The default: logs at INFO on {@value #LOGGER_NAME}, so switching a connection on is all it takes. */
  ProtocolTrace LOG = new ProtocolTrace() {
    private final Logger log = LoggerFactory.getLogger(LOGGER_NAME);

    @Override
    public void switched(String clientId, boolean on) {
      log.info("client {} trace {}", clientId, on ? "on" : "off");
    }

    @Override
    public void message(String clientId, String direction, String text) {
      log.info("client {} {} {}", clientId, direction, clip(text));
    }
  };

  /** Tracing of client {@code clientId} was switched on or off. */
  void switched(String clientId, boolean on);

  /**
   * One protocol message of a traced connection.
   *
   * @param direction {@code "in"} for a message the client sent, {@code "out"} for one queued to it
   */
  void message(String clientId, String direction, String text);

  /** {@code text}, cut to {@link #MAX_LOGGED_CHARS} with its full length appended when longer. */
  static String clip(String text) {
    if (text.length() <= MAX_LOGGED_CHARS) {
      return text;
    }
    return text.substring(0, MAX_LOGGED_CHARS) + "...(" + text.length() + " chars)";
  }
}
