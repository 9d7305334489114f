package dev.pushline.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

class BackoffTest {

  private static DoubleSupplier constant(double r) {
    return () -> r;
  }

  private static DoubleSupplier sequence(Double... values) {
    ArrayDeque<Double> queue = new ArrayDeque<>(List.of(values));
    return queue::remove;
  }

  private static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }

  @Test
  void ceilingDoublesFromTheInitialDelayUpToTheMaximum() {
    Backoff b = new Backoff(ms(500), ms(30_000), PushClient.Jitter.EQUAL, constant(0));
    long[] expected = {500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000};
    for (int n = 1; n <= expected.length; n++) {
      assertEquals(ms(expected[n - 1]).toNanos(), b.ceilingNanos(n), "after " + n + " failures");
    }
  }

  @Test
  void ceilingDoesNotOverflowAfterManyFailures() {
    Backoff b = new Backoff(ms(1), Duration.ofDays(1), PushClient.Jitter.FULL, constant(0.5));
    assertEquals(Duration.ofDays(1).toNanos(), b.ceilingNanos(Integer.MAX_VALUE));
    assertEquals(Duration.ofHours(12), b.delay(Integer.MAX_VALUE));
    // A maximum beyond what nanoseconds hold (about 292 years) saturates instead of overflowing.
    Backoff forever = new Backoff(ms(1), Duration.ofDays(365_000), PushClient.Jitter.FULL, constant(0));
    assertEquals(Long.MAX_VALUE, forever.ceilingNanos(Integer.MAX_VALUE));
  }

  @Test
  void equalJitterWaitsBetweenHalfTheCeilingAndTheCeiling() {
    Backoff b = new Backoff(ms(100), ms(1_000), PushClient.Jitter.EQUAL, sequence(0.0, 0.5, 0.999, 0.25, 0.5));
    assertEquals(ms(50), b.delay(1)); // ceiling 100: 50 + 0.0 * 50
    assertEquals(ms(150), b.delay(2)); // ceiling 200: 100 + 0.5 * 100
    assertEquals(Duration.ofNanos(399_800_000), b.delay(3)); // ceiling 400: 200 + 0.999 * 200
    assertEquals(ms(500), b.delay(4)); // ceiling 800: 400 + 0.25 * 400
    assertEquals(ms(750), b.delay(9)); // ceiling 1000 (capped): 500 + 0.5 * 500
  }

  @Test
  void fullJitterWaitsBetweenZeroAndTheCeiling() {
    Backoff b = new Backoff(ms(100), ms(1_000), PushClient.Jitter.FULL, sequence(0.0, 0.5, 0.75, 0.1));
    assertEquals(Duration.ZERO, b.delay(1));
    assertEquals(ms(100), b.delay(2)); // ceiling 200
    assertEquals(ms(300), b.delay(3)); // ceiling 400
    assertEquals(ms(100), b.delay(20)); // ceiling 1000
  }

  @Test
  void refusesNonsense() {
    assertThrows(IllegalArgumentException.class,
        () -> new Backoff(Duration.ZERO, ms(10), PushClient.Jitter.EQUAL, constant(0)));
    assertThrows(IllegalArgumentException.class,
        () -> new Backoff(ms(10), ms(9), PushClient.Jitter.EQUAL, constant(0)));
    Backoff b = new Backoff(ms(10), ms(20), PushClient.Jitter.EQUAL, constant(1.0));
    assertThrows(IllegalArgumentException.class, () -> b.delay(0));
    assertThrows(IllegalStateException.class, () -> b.delay(1)); // the random source must be in [0, 1)
  }
}
