package dev.pushline.internal.http.sockjs;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * The timings and sizes of a {@link SockJsFeature}.
 *
 * @param heartbeat how often a receiving request that has sent nothing else gets a heartbeat frame {@code h};
 *     also how long an {@code xhr} poll waits before it is answered with {@code h}
 * @param disconnectDelay how long a session may go without a receiving request before it is closed (the
 *     client is gone); also how long a closed session keeps answering with its close frame before it is
 *     forgotten
 * @param closeGrace how long a session that is closing waits for a receiving request to take its close frame
 *     (and everything queued before it) before it ends anyway
 * @param ioTimeout how long one write to a receiving request may take before the session is dropped, and how
 *     long the body of an {@code xhr_send} may take to arrive before its socket is closed: the JDK HTTP server
 *     has no timeouts of its own, so this frees the thread a peer that stopped reading (or sending) would hold
 * @param streamLimitBytes after this many bytes a streaming response ({@code xhr_streaming},
 *     {@code eventsource}) is ended, and the client opens the next one, so that it can free what it buffered
 * @param maxMessageBytes the largest inbound message, in UTF-8 bytes; a larger one closes the session with 1009
 * @param maxBodyBytes the largest {@code xhr_send} body; a larger one is answered 413 and closes the session
 *     with 1009
 * @param clock the clock that all of these are measured with (tests pass one they advance)
 *
 * <p>Immutable; thread-safe.
 */
public record SockJsSettings(Duration heartbeat, Duration disconnectDelay, Duration closeGrace,
    Duration ioTimeout, int streamLimitBytes, int maxMessageBytes, int maxBodyBytes, Clock clock) {

  /** Default {@link #disconnectDelay} and {@link #closeGrace}: 5 s, as in the SockJS protocol. */
  public static final Duration DEFAULT_DISCONNECT_DELAY = Duration.ofSeconds(5);
  /** Default {@link #streamLimitBytes}: 128 KiB, as in the SockJS protocol. */
  public static final int DEFAULT_STREAM_LIMIT_BYTES = 128 * 1024;
  /** {@link #maxBodyBytes} is this many times {@link #maxMessageBytes}: room for escaping and batching. */
  public static final int BODY_FACTOR = 4;

  public SockJsSettings {
    Objects.requireNonNull(clock, "clock");
    requirePositive(heartbeat, "heartbeat");
    requirePositive(disconnectDelay, "disconnectDelay");
    requirePositive(closeGrace, "closeGrace");
    requirePositive(ioTimeout, "ioTimeout");
    if (streamLimitBytes < 1) {
      throw new IllegalArgumentException("streamLimitBytes is " + streamLimitBytes + "; it must be >= 1");
    }
    if (maxMessageBytes < 1) {
      throw new IllegalArgumentException("maxMessageBytes is " + maxMessageBytes + "; it must be >= 1");
    }
    if (maxBodyBytes < maxMessageBytes) {
      throw new IllegalArgumentException(
          "maxBodyBytes is " + maxBodyBytes + "; it must be >= maxMessageBytes (" + maxMessageBytes + ")");
    }
  }

  /**
   * The settings a server uses: heartbeats and the I/O timeout every {@code pingInterval}, the protocol's
   * 5 s disconnect delay and close grace, 128 KiB per streaming response, and bodies up to
   * {@value #BODY_FACTOR} times {@code maxMessageBytes}.
   */
  public static SockJsSettings of(int maxMessageBytes, Duration pingInterval, Clock clock) {
    return new SockJsSettings(pingInterval, DEFAULT_DISCONNECT_DELAY, DEFAULT_DISCONNECT_DELAY, pingInterval,
        DEFAULT_STREAM_LIMIT_BYTES, maxMessageBytes, (int) Math.min(Integer.MAX_VALUE,
            (long) maxMessageBytes * BODY_FACTOR), clock);
  }

  /** How often the feature's timer looks at every session: often enough for the shortest timing here. */
  long tickMillis() {
    long shortest = Math.min(Math.min(heartbeat.toMillis(), disconnectDelay.toMillis()),
        Math.min(closeGrace.toMillis(), ioTimeout.toMillis()));
    return Math.max(5, Math.min(250, shortest / 4));
  }

  private static void requirePositive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " is " + d + "; it must be > 0");
    }
  }
}
