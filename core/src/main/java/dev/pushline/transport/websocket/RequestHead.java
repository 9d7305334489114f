package dev.pushline.transport.websocket;

import java.nio.ByteBuffer;

/**
 * Collects an HTTP request head (request line and header lines, up to the empty line) across reads, so
 * that Java-WebSocket sees it once, whole.
 *
 * <p>Java-WebSocket 1.6.0 parses the head on every read that brings part of it: it copies everything
 * received so far into a new buffer and re-parses it from the start, allocating one buffer per line
 * ({@code Draft.readLine}), with no size limit. Measured on this transport before this class: one socket
 * sending an endless header line made the server hold 22 MB and burn 10 s of CPU in 11 s; one sending
 * many short header lines burnt 37 s of CPU in 60 s. Here the head is held (at most {@code maxBytes} of
 * it) and handed over when its end, the first {@code CR LF CR LF}, has arrived; that is also exactly
 * where Java-WebSocket's parser ends a head.
 *
 * <p>Not thread-safe: used by the connection's decoder thread only ({@link PushSocket#decode}).
 */
final class RequestHead {

  enum Verdict { INCOMPLETE, COMPLETE, TOO_LARGE }

  private static final int INITIAL_CAPACITY = 2048;

  private final int maxBytes;
  /** How many bytes of CR LF CR LF the last bytes seen matched, 0..4. */
  private int matched;
  /** Head bytes seen so far (up to the end of the head). */
  private int length;
  /** Every byte taken so far, the head and whatever followed it; in write mode. */
  private ByteBuffer held = ByteBuffer.allocate(0);

  RequestHead(int maxBytes) {
    this.maxBytes = maxBytes;
  }

  /**
   * Takes every byte of {@code src} (from its position to its limit; the position moves to the limit).
   *
   * @return {@code COMPLETE} once the head's end has been taken (then {@link #bytes()} holds it and
   *     whatever followed), {@code TOO_LARGE} when more than {@code maxBytes} came without one (nothing
   *     more may be taken), else {@code INCOMPLETE}
   */
  Verdict take(ByteBuffer src) {
    int p = src.position();
    int limit = src.limit();
    int end = -1;
    while (p < limit && matched < 4) {
      if (length == maxBytes) {
        return Verdict.TOO_LARGE;
      }
      byte b = src.get(p++);
      length++;
      matched = switch (matched) {
        case 0, 2 -> b == '\r' ? matched + 1 : 0;
        default -> b == '\n' ? matched + 1 : (b == '\r' ? 1 : 0); // 1 and 3
      };
      if (matched == 4) {
        end = p;
      }
    }
    append(src);
    return end >= 0 || matched == 4 ? Verdict.COMPLETE : Verdict.INCOMPLETE;
  }

  /** The head and whatever followed it, ready to read. Only after {@code COMPLETE}. */
  ByteBuffer bytes() {
    ByteBuffer b = held;
    held = null;
    b.flip();
    return b;
  }

  private void append(ByteBuffer src) {
    if (held.remaining() < src.remaining()) {
      int needed = held.position() + src.remaining();
      int grown = Math.min(maxBytes, Math.max(INITIAL_CAPACITY, 2 * held.capacity()));
      ByteBuffer bigger = ByteBuffer.allocate(Math.max(needed, grown));
      held.flip();
      bigger.put(held);
      held = bigger;
    }
    held.put(src);
  }
}
