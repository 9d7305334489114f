package dev.pushline.internal;

import dev.pushline.PushException;
import dev.pushline.broker.BrokerException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waiting on broker futures from host threads, with failures as unchecked exceptions. */
final class Futures {

  /** Longer than any broker's own timeout: a broker future that outlives it is a broker bug. */
  private static final long MAX_WAIT_SECONDS = 60;

  private Futures() {}

  /**
   * The future's value.
   *
   * @throws BrokerException if the broker failed, or the future did not complete in 60 s
   * @throws PushException if the thread was interrupted (its interrupt flag is set again)
   */
  static <T> T await(CompletableFuture<T> future, String what) {
    try {
      return future.get(MAX_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new BrokerException(what + " failed: " + cause, cause);
    } catch (TimeoutException e) {
      throw new BrokerException(what + ": no answer from the broker in " + MAX_WAIT_SECONDS + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PushException(what + " was interrupted", e);
    }
  }
}
