package dev.pushline.examples.logtail;

import java.util.concurrent.CountDownLatch;

/**
 * Runs a demo's close steps once: the first {@link #close} runs them, any other waits until they have
 * finished. A demo holds one and delegates its {@code close()} and {@code awaitClosed()} to it.
 *
 * <p>Thread-safe.
 */
public final class Closer {

  private final CountDownLatch closed = new CountDownLatch(1);
  private final Object lock = new Object();
  private boolean closing; // guarded by lock

  /**
   * Runs {@code steps} if this is the first call, on the calling thread and outside the lock; otherwise
   * waits until the first call's steps have finished. Either way it returns once the demo is closed (or
   * the thread is interrupted while waiting). The latch is released even if a step throws.
   */
  public void close(Runnable steps) {
    boolean first;
    synchronized (lock) {
      first = !closing;
      closing = true;
    }
    if (!first) {
      awaitClosed();
      return;
    }
    try {
      steps.run();
    } finally {
      closed.countDown();
    }
  }

  /** Whether {@link #close} has been called (its steps may still be running). */
  public boolean isClosing() {
    synchronized (lock) {
      return closing;
    }
  }

  /** Blocks until the first {@link #close}'s steps have finished; returns early, interrupt status set, if interrupted. */
  public void awaitClosed() {
    try {
      closed.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
