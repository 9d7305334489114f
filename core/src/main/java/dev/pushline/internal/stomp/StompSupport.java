package dev.pushline.internal.stomp;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every STOMP connection of one server shares, whatever transport carries it: the limits, the
 * heart-beat floor, and the timer that sends and checks heart-beats.
 *
 * <h2>Threads</h2>
 * One daemon thread, {@code pushline-stomp-heartbeat}, started with the first connection that heart-beats
 * (a server without STOMP clients has none) and ended by {@link #close}, which the server calls after its
 * transports closed every connection. Heart-beat tasks only queue a few bytes or start a close: they never
 * block.
 *
 * <p>Thread-safe.
 */
public final class StompSupport implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(StompSupport.class);

  private final long heartBeatMillis;
  private final int maxFrameBytes;
  private final MessageFrames frames = new MessageFrames();
  private final Object lock = new Object();
  private ScheduledThreadPoolExecutor timer; // guarded by lock; null until first needed
  private Thread timerThread; // guarded by lock; the timer's only thread (its factory runs under the lock)
  private boolean closed; // guarded by lock

  /**
   * @param heartBeat the shortest heart-beat interval the server offers and accepts, both ways (the
   *     server's {@code heart-beat:sx,sy} in {@code CONNECTED}); at least 1 ms
   * @param maxFrameBytes the largest frame a client may send, in UTF-8 bytes, counting a frame split over
   *     several messages as one
   */
  public StompSupport(Duration heartBeat, int maxFrameBytes) {
    if (heartBeat.toMillis() < 1) {
      throw new IllegalArgumentException("heartBeat is " + heartBeat + "; it must be >= 1 ms");
    }
    if (maxFrameBytes < 1) {
      throw new IllegalArgumentException("maxFrameBytes is " + maxFrameBytes + "; it must be >= 1");
    }
    this.heartBeatMillis = heartBeat.toMillis();
    this.maxFrameBytes = maxFrameBytes;
  }

  long heartBeatMillis() {
    return heartBeatMillis;
  }

  int maxFrameBytes() {
    return maxFrameBytes;
  }

  MessageFrames frames() {
    return frames;
  }

  /**
   * Runs {@code task} every {@code periodMillis} on the heart-beat thread, starting it if needed.
   *
   * @return the task, to cancel; null when this is closed (the server is shutting down and closes every
   *     connection anyway)
   */
  ScheduledFuture<?> every(long periodMillis, Runnable task) {
    ScheduledThreadPoolExecutor t;
    synchronized (lock) {
      if (closed) {
        return null;
      }
      if (timer == null) {
        timer = new ScheduledThreadPoolExecutor(1, r -> {
          Thread thread = new Thread(r, "pushline-stomp-heartbeat");
          thread.setDaemon(true);
          timerThread = thread;
          return thread;
        });
        timer.setRemoveOnCancelPolicy(true); // closed connections do not linger in the queue
        timer.prestartCoreThread(); // here, so that the factory sets timerThread under the lock
      }
      t = timer;
    }
    try {
      return t.scheduleAtFixedRate(() -> {
        try {
          task.run();
        } catch (RuntimeException e) {
          log.error("STOMP heart-beat task failed; it runs again in {} ms", periodMillis, e);
        }
      }, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closing) {
      return null; // closed meanwhile: see above
    }
  }

  /** Stops the heart-beat thread and waits (at most 5 s) until it has ended. Idempotent. */
  @Override
  public void close() {
    ScheduledThreadPoolExecutor t;
    Thread thread;
    synchronized (lock) {
      closed = true;
      t = timer;
      thread = timerThread;
    }
    if (t == null) {
      return;
    }
    t.shutdownNow();
    try {
      t.awaitTermination(5, TimeUnit.SECONDS);
      if (thread != null) {
        thread.join(5_000); // termination is reported just before the worker thread really exits
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
