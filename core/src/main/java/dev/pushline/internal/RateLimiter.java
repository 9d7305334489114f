package dev.pushline.internal;

import java.time.Clock;

/**
 * A token bucket: {@code burst} messages at once, refilled at {@code perSecond}. It also counts the
 * messages it refused since the bucket was last full: how far a client has gone on over its limit. A client
 * that sends faster than {@code perSecond} never refills the bucket, so the count only grows.
 *
 * <p>Not thread-safe: confine it to one thread (a connection's inbound thread: the transport delivers one
 * connection's messages serially), or guard it (the HTTP API holds one per API key under the limiter's own
 * monitor).
 */
public final class RateLimiter {

  private final double perMilli;
  private final int burst;
  private final Clock clock;
  private double tokens;
  private long lastMillis;
  private int refused;

  public RateLimiter(int perSecond, int burst, Clock clock) {
    this.perMilli = perSecond / 1000.0;
    this.burst = burst;
    this.clock = clock;
    this.tokens = burst;
    this.lastMillis = clock.millis();
  }

  /** Takes one token if there is one. */
  public boolean tryAcquire() {
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
