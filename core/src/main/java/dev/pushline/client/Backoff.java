package dev.pushline.client;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Reconnect delays: exponential growth from an initial delay up to a maximum, with jitter so that many
 * clients dropped at once (a server restart) do not all come back at the same instant.
 *
 * <p>After the {@code n}-th consecutive failure the ceiling is {@code min(max, initial * 2^(n-1))}.
 * {@link PushClient.Jitter#EQUAL} waits a uniformly random time in {@code [ceiling/2, ceiling)},
 * {@link PushClient.Jitter#FULL} in {@code [0, ceiling)}. The random source is injected so that tests can
 * check the delays exactly.
 *
 * <p>Thread-safe if the random source is (the default one is).
 */
final class Backoff {

  /** Uniform values in {@code [0, 1)}, from the calling thread's {@link ThreadLocalRandom}. */
  static final DoubleSupplier DEFAULT_RANDOM = () -> ThreadLocalRandom.current().nextDouble();

  private final long initialNanos;
  private final long maxNanos;
  private final PushClient.Jitter jitter;
  private final DoubleSupplier random;

  Backoff(Duration initial, Duration max, PushClient.Jitter jitter, DoubleSupplier random) {
    this.initialNanos = PushClient.nanos(initial);
    this.maxNanos = PushClient.nanos(max);
    this.jitter = Objects.requireNonNull(jitter, "jitter");
    this.random = Objects.requireNonNull(random, "random");
    if (initialNanos <= 0 || maxNanos < initialNanos) {
      throw new IllegalArgumentException(
          "reconnect delays are " + initial + " and " + max + "; they must be 0 < initial <= max");
    }
  }

  /**
   * The delay before the next connection attempt.
   *
   * @param failures consecutive failures since the last successful connection, at least 1
   */
  Duration delay(int failures) {
    if (failures < 1) {
      throw new IllegalArgumentException("failures is " + failures + "; it must be >= 1");
    }
    long ceiling = ceilingNanos(failures);
    double r = random.getAsDouble();
    if (!(r >= 0 && r < 1)) {
      throw new IllegalStateException("the random source returned " + r + "; it must be in [0, 1)");
    }
    long nanos = switch (jitter) {
      case FULL -> (long) (ceiling * r);
      case EQUAL -> ceiling / 2 + (long) ((ceiling - ceiling / 2) * r);
    };
    return Duration.ofNanos(nanos);
  }

  /** {@code min(max, initial * 2^(failures-1))}, without overflow. */
  long ceilingNanos(int failures) {
    long ceiling = initialNanos;
    for (int i = 1; i < failures && ceiling < maxNanos; i++) {
      ceiling = ceiling > maxNanos / 2 ? maxNanos : ceiling * 2;
    }
    return Math.min(ceiling, maxNanos);
  }

  @Override
  public String toString() {
    return "Backoff[" + Duration.ofNanos(initialNanos) + ".." + Duration.ofNanos(maxNanos) + ", " + jitter + "]";
  }
}
