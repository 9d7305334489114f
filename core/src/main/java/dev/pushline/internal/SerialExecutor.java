package dev.pushline.internal;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in submission order, on a shared executor. Host code runs here, so a task
 * that throws (even an {@code Error}) is logged and the next task runs as usual.
 *
 * <p>Thread-safe.
 */
final class SerialExecutor implements Executor {

  private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);

  private final Executor pool;
  private final String owner;
  private final ArrayDeque<Runnable> tasks = new ArrayDeque<>(); // guarded by this
  private boolean running; // guarded by this

  SerialExecutor(Executor pool, String owner) {
    this.pool = pool;
    this.owner = owner;
  }

  @Override
  public void execute(Runnable task) {
    synchronized (this) {
      tasks.add(task);
      if (running) {
        return;
      }
      running = true;
    }
    schedule();
  }

  /** Tasks waiting to run. */
  synchronized int pending() {
    return tasks.size();
  }

  private void schedule() {
    try {
      pool.execute(this::drain);
    } catch (RejectedExecutionException e) {
      // The server is closing: the callback pool no longer runs tasks, so these are dropped on purpose.
      synchronized (this) {
        log.debug("{}: dropping {} callbacks, the server is closed", owner, tasks.size());
        tasks.clear();
        running = false;
      }
    }
  }

  private void drain() {
    // Run a bounded batch, then yield the pool thread so that one busy owner cannot starve the others.
    // When the pool no longer takes tasks (the server is closing), keep draining here instead: what was
    // queued before the close still runs.
    for (int i = 0; ; i++) {
      if (i == 64) {
        try {
          pool.execute(this::drain);
          return;
        } catch (RejectedExecutionException closing) {
          i = 0;
        }
      }
      Runnable task;
      synchronized (this) {
        task = tasks.poll();
        if (task == null) {
          running = false;
          return;
        }
      }
      try {
        task.run();
      } catch (Throwable t) {
        log.warn("{}: host callback threw", owner, t);
      }
    }
  }
}
