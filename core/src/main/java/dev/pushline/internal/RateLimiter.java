package dev.pushline.internal;

import java.time.Clock;

/**
 * A token bucket: {@code burst} messages at once, refilled at {@code perSecond}. It also counts the
 * messages it refused since the bucket was last full: how far a client has gone on over its limit. A client
 * that sends faster than {@code perSecond} never refills the bucket, so the count only grows.
 *
 * <p>Not thread-safe; confine to the connection's inbound thread (the transport delivers one connection's
 * messages serially).
 */
final class RateLimiter {

  private final double perMilli;
  private final int burst;
  private final Clock clock;
  private double tokens;
  private long lastMillis;
  private int refused;

  RateLimiter(int perSecond, int burst, Clock clock) {
    this.perMilli = perSecond / 1000.0;
    this.burst = burst;
    this.clock = clock;
    this.tokens = burst;
    this.lastMillis = clock.millis();
  }

  /** Takes one token if there is one. */
  boolean tryAcquire() {
    long now = clock.millis();
    if (now > lastMillis) {
      tokens = Math.min(burst, tokens + (now - lastMillis) * perMilli);
      lastMillis = now;
    }
    if (tokens >= burst) {
      refused = 0; // back within its limit for a whole burst: earlier refusals are forgiven
    }
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    refused++;
    return false;
  }

  /** Messages refused since the bucket was last full. */
  int refused() {
    return refused;
  }
}
