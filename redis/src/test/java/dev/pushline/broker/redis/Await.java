package dev.pushline.broker.redis;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** Bounded polling for conditions no callback announces (presence in Redis, threads ending). */
final class Await {

  private static final long POLL_MILLIS = 20;

  private Await() {}

  interface Check {
    boolean holds() throws Exception;
  }

  /** Polls {@code check} every 20 ms until it holds; fails naming {@code what} after {@code within}. */
  static void until(String what, Duration within, Check check) throws Exception {
    until(what, within, check, () -> "");
  }

  /** As {@link #until(String, Duration, Check)}; a failure adds what {@code state} says then. */
  static void until(String what, Duration within, Check check, java.util.function.Supplier<String> state)
      throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    while (!check.holds()) {
      if (System.nanoTime() > deadline) {
        fail(what + ": not within " + within + " " + state.get());
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS)); // poll interval, not a synchronisation
    }
  }
}
