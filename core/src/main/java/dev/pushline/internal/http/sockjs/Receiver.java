package dev.pushline.internal.http.sockjs;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One receiving request of a SockJS session: an {@code xhr} poll, an {@code xhr_streaming} response or an
 * {@code eventsource} stream. It is written by one writer task at a time (see {@link SockJsSession}); its
 * fields are guarded by the session's lock, except {@link #exchange}, which only the writer touches once
 * the receiver is attached.
 */
final class Receiver {

  /** How a receiving request frames what it carries. */
  enum Kind {
    /** {@code xhr}: one frame per response, then the response ends. */
    POLLING("application/javascript; charset=UTF-8", ""),
    /** {@code xhr_streaming}: frames separated by newlines, after a 2 KiB prelude. */
    STREAMING("application/javascript; charset=UTF-8", Frames.STREAMING_PRELUDE),
    /** {@code eventsource}: each frame an event's data. */
    EVENTSOURCE("text/event-stream; charset=UTF-8", Frames.EVENTSOURCE_PRELUDE);

    final String contentType;
    final String prelude;

    Kind(String contentType, String prelude) {
      this.contentType = contentType;
      this.prelude = prelude;
    }

    /** The bytes of a response part: the prelude if it opens the response, then each frame framed. */
    String encode(boolean head, List<String> frames) {
      StringBuilder b = new StringBuilder();
      if (head) {
        b.append(prelude);
      }
      for (String f : frames) {
        if (this == EVENTSOURCE) {
          b.append("data: ").append(f).append("\r\n\r\n");
        } else {
          b.append(f).append('\n');
        }
      }
      return b.toString();
    }
  }

  /**
   * What one writer pass writes.
   *
   * @param head whether this pass sends the response head (and so the prelude)
   * @param text the bytes to write, as text
   * @param last whether the response ends after it
   * @param messageBytes the queued bytes ({@code sizeBytes}) of the messages in it
   * @param deliversClose whether it carries the session's close frame
   */
  record Batch(boolean head, String text, boolean last, long messageBytes, boolean deliversClose) {}

  final HttpExchange exchange;
  final Kind kind;
  // All below guarded by the session's lock.
  /** The response head was sent (or is being sent). */
  boolean headSent;
  /** A writer task is queued or running for this receiver. */
  boolean writing;
  /** The sweeper found nothing written for a heartbeat interval. */
  boolean heartbeatDue;
  /** The last pass was taken: nothing more is written. */
  boolean done;
  /** When this receiver was attached, or when its last write began (the clock's millis). */
  long lastActivity;
  /** Characters written so far, against the stream limit. */
  long streamed;
  /** The thread inside a write now, to interrupt when the write must be abandoned; null between writes. */
  Thread writer;
  /** When the current write started (the clock's millis), or -1. */
  long writeStartedAt = -1;

  Receiver(HttpExchange exchange, Kind kind) {
    this.exchange = exchange;
    this.kind = kind;
  }

  /**
   * Writes one pass: the head first if it is due (a poll's with its length, a stream's chunked), then the
   * text; ends the response after the last pass. Blocks while the peer does not read; the session interrupts
   * this thread to abandon the write, which closes the socket.
   */
  void write(Batch b) throws IOException {
    byte[] bytes = b.text().getBytes(StandardCharsets.UTF_8);
    if (b.head()) {
      exchange.sendResponseHeaders(200, kind == Kind.POLLING ? (bytes.length == 0 ? -1 : bytes.length) : 0);
    }
    OutputStream out = exchange.getResponseBody();
    if (bytes.length > 0) {
      out.write(bytes);
      out.flush();
    }
    if (b.last()) {
      exchange.close();
    }
  }

  /** Ends the response without writing more; for a receiver whose write failed or that is abandoned. */
  void abandon() {
    try {
      exchange.close();
    } catch (RuntimeException e) {
      // The JDK server may throw on an exchange whose socket is gone; there is nothing more to free.
    }
  }
}
