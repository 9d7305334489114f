package dev.pushline.internal.http;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Bounds the time a thread may spend in blocking socket I/O of one exchange: reading a request body, or
 * writing a response to a client that does not read it. The JDK's HTTP server reads and writes with blocking
 * channels and has no per-request timeout, so one client that sends its body a byte a minute (or never reads)
 * would hold a thread for ever. When the time is up, the thread doing the I/O is interrupted: the blocked
 * channel operation fails with {@code ClosedByInterruptException} and closes the connection (interruptible
 * channels do that), and {@link #run} throws {@link SocketTimeoutException}. The interrupt is delivered only
 * while the I/O runs and cleared before {@link #run} returns, so the pool thread goes on unharmed.
 *
 * <p>Thread-safe. One timer thread, named by the owner, ended by {@link #close()}.
 */
public final class Deadlines implements AutoCloseable {

  /** Blocking I/O on the current thread. */
  @FunctionalInterface
  public interface Io<T> {
    T run() throws IOException;
  }

  private final long millis;
  private final ScheduledThreadPoolExecutor timer;

  public Deadlines(Duration limit, String threadName) {
    this.millis = limit.toMillis();
    this.timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, threadName);
      t.setDaemon(true);
      return t;
    });
    timer.setRemoveOnCancelPolicy(true);
  }

  /** The limit, in milliseconds. */
  public long millis() {
    return millis;
  }

  /** Runs {@code io} on this thread, for at most the limit; see {@link #run(long, Io)}. */
  public <T> T run(Io<T> io) throws IOException {
    return run(millis, io);
  }

  /**
   * Runs {@code io} on this thread, for at most {@code limitMillis}.
   *
   * @throws SocketTimeoutException if the limit passed first (the connection is closed)
   * @throws IOException what {@code io} threw, or if the deadlines are closed
   */
  public <T> T run(long limitMillis, Io<T> io) throws IOException {
    Guard guard = new Guard(Thread.currentThread());
    ScheduledFuture<?> expiry;
    try {
      expiry = timer.schedule(guard::expire, limitMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      throw new IOException("the HTTP API is closing", e);
    }
    try {
      return io.run();
    } catch (IOException e) {
      if (guard.finish()) {
        SocketTimeoutException t = new SocketTimeoutException("the exchange's I/O took over " + limitMillis + " ms");
        t.initCause(e);
        throw t;
      }
      throw e;
    } finally {
      expiry.cancel(false);
      if (guard.finish()) {
        Thread.interrupted(); // our interrupt: clear it, the pool thread lives on
      }
    }
  }

  /** Ends the timer thread; a later {@link #run} fails. */
  @Override
  public void close() {
    timer.shutdownNow();
    try {
      timer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Interrupts its thread if the I/O is still running when the limit passes. */
  private static final class Guard {
    private final Thread thread;
    private boolean running = true; // guarded by this
    private boolean expired; // guarded by this

    Guard(Thread thread) {
      this.thread = thread;
    }

    synchronized void expire() {
      if (running) {
        expired = true;
        thread.interrupt();
      }
    }

    /** Marks the I/O done (idempotent); true if its thread was interrupted for the deadline. */
    synchronized boolean finish() {
      running = false;
      return expired;
    }
  }
}
