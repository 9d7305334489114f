package dev.pushline.client;

import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one client's application callbacks (listener and publication handlers) one at a time, in the order
 * they were submitted, without a thread of its own: the submitting thread runs the callback at once if no
 * other callback of this client is running, and otherwise leaves it to the thread that is, which runs it
 * next. A callback that throws is logged at WARN and the next one runs as usual.
 *
 * <p>Never submit while holding a lock: the callback may run inside {@code run}.
 *
 * <p>Thread-safe.
 */
final class Callbacks {

  private static final Logger log = LoggerFactory.getLogger(Callbacks.class);

  private final Object owner;
  private final ArrayDeque<Task> tasks = new ArrayDeque<>(); // guarded by this
  private boolean running; // guarded by this

  Callbacks(Object owner) {
    this.owner = owner;
  }

  /**
   * Runs {@code task} now or after the callbacks submitted before it.
   *
   * @param what names the callback in the log line if it throws
   */
  void run(String what, Runnable task) {
    synchronized (this) {
      tasks.add(new Task(what, task));
      if (running) {
        return;
      }
      running = true;
    }
    for (;;) {
      Task next;
      synchronized (this) {
        next = tasks.poll();
        if (next == null) {
          running = false;
          return;
        }
      }
      try {
        next.task.run();
      } catch (Throwable t) {
        log.warn("{}: {} threw; the client goes on", owner, next.what, t);
      }
    }
  }

  private record Task(String what, Runnable task) {}
}
