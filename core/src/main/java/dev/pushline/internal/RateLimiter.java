package dev.pushline.internal;

import java.time.Clock;

/**
 * A token bucket: {@code burst} messages at once, refilled at {@code perSecond}.
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
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }
}
