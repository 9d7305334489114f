package dev.pushline.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Many {@link JdkClient}s on one {@link HttpClient} with a small executor of daemon threads, closed
 * together. A test makes one, connects clients through it, and closes it in {@code @AfterEach}.
 *
 * <p>Thread-safe.
 */
public final class ClientPool implements AutoCloseable {

  private final ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
    Thread t = new Thread(r, "test-http");
    t.setDaemon(true);
    return t;
  });
  private final HttpClient http = HttpClient.newBuilder().executor(executor).build();
  private final List<JdkClient> clients = new ArrayList<>();

  /** The pool's executor, for test tasks that should end with it. */
  public ExecutorService executor() {
    return executor;
  }

  /** Connects one client. */
  public synchronized JdkClient connect(URI uri) {
    JdkClient c = JdkClient.connect(http, uri);
    clients.add(c);
    return c;
  }

  /** Connects {@code n} clients concurrently and waits for all of them (30 s at most). */
  public List<JdkClient> connect(URI uri, int n) throws Exception {
    List<CompletableFuture<JdkClient>> connecting = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      connecting.add(JdkClient.connectAsync(http, uri));
    }
    List<JdkClient> out = new ArrayList<>();
    for (CompletableFuture<JdkClient> f : connecting) {
      out.add(f.get(30, TimeUnit.SECONDS));
    }
    synchronized (this) {
      clients.addAll(out);
    }
    return out;
  }

  @Override
  public synchronized void close() {
    clients.forEach(JdkClient::close);
    clients.clear();
    executor.shutdownNow();
  }
}
