package dev.pushline.client;

import java.net.http.HttpClient;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every {@link PushClient} in the JVM shares, created on first use: the default {@link HttpClient}
 * and the timer. Threads here are daemons and idle ones end on their own, so no client has to shut
 * anything down and an idle JVM keeps no client threads but the HttpClient's selector.
 *
 * <h2>Threads</h2>
 * <ul>
 *   <li>{@code pushline-client-N}: the default HttpClient's executor, at most one per core (at least
 *       two). Reads and writes of every connection, and the client callbacks, run here.</li>
 *   <li>The default HttpClient's own selector thread ({@code HttpClient-N-SelectorManager}).</li>
 *   <li>{@code pushline-client-timer}: one thread for request timeouts, connection-attempt timeouts and
 *       reconnect delays of all clients.</li>
 * </ul>
 * Not ours, but worth knowing: {@code java.net.http} completes each WebSocket opening handshake on the
 * JDK's default asynchronous executor, which is the common {@code ForkJoinPool}, or with fewer than three
 * cores a new short-lived thread per connection attempt; the first frames of a connection may be handled
 * there.
 *
 * <p>Thread-safe.
 */
final class ClientThreads {

  private ClientThreads() {}

  /** The HttpClient for clients built without one. */
  static HttpClient httpClient() {
    return DefaultHttpClient.INSTANCE;
  }

  /** The timer of all clients. Never shut down; its thread ends after 10 s without work. */
  static ScheduledExecutorService timer() {
    return Timer.INSTANCE;
  }

  private static final class DefaultHttpClient {
    static final HttpClient INSTANCE;

    static {
      int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
      ThreadPoolExecutor executor = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
          new LinkedBlockingQueue<>(), new Daemons("pushline-client-"));
      executor.allowCoreThreadTimeOut(true);
      INSTANCE = HttpClient.newBuilder()
          .executor(executor)
          .version(HttpClient.Version.HTTP_1_1)
          .build();
    }
  }

  private static final class Timer {
    static final ScheduledExecutorService INSTANCE;

    static {
      ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, new Daemons("pushline-client-timer"));
      timer.setRemoveOnCancelPolicy(true);
      timer.setKeepAliveTime(10, TimeUnit.SECONDS);
      timer.allowCoreThreadTimeOut(true);
      INSTANCE = timer;
    }
  }

  private static final class Daemons implements ThreadFactory {
    private final String name;
    private final AtomicInteger n = new AtomicInteger();

    Daemons(String name) {
      this.name = name;
    }

    @Override
    public Thread newThread(Runnable r) {
      Thread t = new Thread(r, name.endsWith("-") ? name + n.incrementAndGet() : name);
      t.setDaemon(true);
      return t;
    }
  }
}
