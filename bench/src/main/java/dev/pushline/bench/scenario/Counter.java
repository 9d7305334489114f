package dev.pushline.bench.scenario;

import java.time.Duration;

/**
 * A count that a scenario can wait on with a deadline: load-side callbacks {@link #increment} it, the
 * scenario's thread {@link #awaitAtLeast awaits} a target.
 *
 * <p>Thread-safe.
 */
final class Counter {

  private long value; // guarded by this

  synchronized void increment() {
    value++;
    notifyAll();
  }

  synchronized long get() {
    return value;
  }

  /** Waits until the count reaches {@code target} or {@code timeout} passes; returns the count. */
  synchronized long awaitAtLeast(long target, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (value < target) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return value;
  }
}
