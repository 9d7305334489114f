package dev.pushline.internal;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Makes the library's daemon threads and remembers them, so that a close can wait until each has really
 * ended (an executor's termination can come just before its last thread exits). A prefix ending in
 * {@code -} gets a number appended per thread ({@code pushline-callback-1}); any other is the name as is.
 *
 * <p>Thread-safe.
 */
public final class NamedThreads implements ThreadFactory {
  private final String prefix;
  private final AtomicInteger n = new AtomicInteger();
  private final Set<Thread> threads = ConcurrentHashMap.newKeySet();

  public NamedThreads(String prefix) {
    this.prefix = prefix;
  }

  @Override
  public Thread newThread(Runnable r) {
    String name = prefix.endsWith("-") ? prefix + n.incrementAndGet() : prefix;
    Thread t = new Thread(() -> {
      try {
        r.run();
      } finally {
        threads.remove(Thread.currentThread());
      }
    }, name);
    t.setDaemon(true);
    threads.add(t);
    return t;
  }

  /** Joins every thread made here that is still alive, waiting at most {@code millis} for each. */
  public void join(long millis) throws InterruptedException {
    for (Thread t : List.copyOf(threads)) {
      t.join(millis);
    }
  }
}
