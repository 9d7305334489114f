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
 * while the I/O runs and cleared before {@link #run} returns, so the pool thread goes on unharmed. For I/O that
 * does not fit in one call (such as a request head, which the JDK server reads before any handler of ours runs),
 * {@link #arm} hands out the deadline itself, to be ended where that I/O is over.
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
    Deadline deadline = arm(limitMillis);
    try {
      return io.run();
    } catch (IOException e) {
      if (deadline.end()) {
        SocketTimeoutException t = new SocketTimeoutException("the exchange's I/O took over " + limitMillis + " ms");
        t.initCause(e);
        throw t;
      }
      throw e;
    } finally {
      if (deadline.end()) {
        Thread.interrupted(); // our interrupt: clear it, the pool thread lives on
      }
    }
  }

  /**
   * Arms a deadline for the current thread: unless {@link Deadline#end()} is called first, the thread is
   * interrupted once {@code limitMillis} have passed. For I/O that does not fit one call of {@link #run}: the
   * caller ends the deadline where the I/O is over, and clears the interrupt if {@code end()} says it fired.
   *
   * @throws IOException if the deadlines are closed
   */
  public Deadline arm(long limitMillis) throws IOException {
    Deadline deadline = new Deadline(Thread.currentThread());
    try {
      deadline.expiry = timer.schedule(deadline::expire, limitMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      throw new IOException("the deadlines are closed", e);
    }
    return deadline;
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

  /** One armed deadline: interrupts its thread if it was not ended in time. Thread-safe. */
  public static final class Deadline {
    private final Thread thread;
    private volatile ScheduledFuture<?> expiry; // set once, by arm, before the deadline is handed out
    private boolean running = true; // guarded by this
    private boolean expired; // guarded by this

    private Deadline(Thread thread) {
      this.thread = thread;
    }

    private synchronized void expire() {
      if (running) {
        expired = true;
        thread.interrupt();
      }
    }

    /**
     * Ends the deadline (idempotent): once this returns, it interrupts no more. Returns true if it fired, that
     * is, if its thread was interrupted for it; clearing that interrupt is the caller's business.
     */
    public boolean end() {
      ScheduledFuture<?> e = expiry;
      if (e != null) {
        e.cancel(false);
      }
      synchronized (this) {
        running = false;
        return expired;
      }
    }
  }
}
