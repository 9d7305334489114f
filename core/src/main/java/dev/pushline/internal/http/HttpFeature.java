package dev.pushline.internal.http;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;

/**
 * One thing the library's HTTP side serves under a path prefix: SockJS, SSE, the publish API, the browser
 * script. {@link HttpSide} routes every request whose path starts with {@link #path()} to it.
 *
 * <p>{@link #handle} runs on the HTTP side's small handler pool and must not block for long: a streaming
 * response sends its head, hands its body to a writer, and returns.
 */
public interface HttpFeature {

  /** The path prefix served, starting with {@code /} and without a trailing one, for example {@code /sse}. */
  String path();

  /** Answers one request. An exception thrown here ends the exchange with a 500 (logged). */
  void handle(HttpExchange exchange) throws IOException;

  /**
   * The server is shutting down: end every open stream and session of this feature and free what it holds.
   * Called once, after the engine stopped accepting publications and before it closes.
   */
  default void close() {}
}
