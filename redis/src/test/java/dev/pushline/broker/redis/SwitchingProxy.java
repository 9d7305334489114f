package dev.pushline.broker.redis;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on 127.0.0.1 in front of one node of a cluster, as a load balancer would be: a client
 * connects to the proxy, and the proxy forwards to whichever node it points at when the connection
 * arrives. {@link #resetAll()} drops every forwarded connection with an RST (the node, or the route to
 * it, failed), {@link #hold()} keeps new connections waiting, and {@link #switchTo} points new ones at
 * another node.
 *
 * <p>Threads: one acceptor and two per connection, daemons named {@code switching-proxy-N}; {@link #close()}
 * ends them all. Thread-safe.
 */
final class SwitchingProxy implements AutoCloseable {

  private final ServerSocket server;
  private final AtomicInteger threadCount = new AtomicInteger();
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "switching-proxy-" + threadCount.incrementAndGet());
    t.setDaemon(true);
    return t;
  });
  private final Set<Socket[]> links = ConcurrentHashMap.newKeySet();
  private final List<Socket> held = new ArrayList<>(); // guarded by itself
  private boolean holding; // guarded by held
  private volatile int targetPort;
  private final AtomicInteger forwarded = new AtomicInteger();

  SwitchingProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    threads.execute(this::acceptLoop);
  }

  /** {@code ws://127.0.0.1:<proxy port><path>}. */
  URI uri(String path) {
    return URI.create("ws://127.0.0.1:" + server.getLocalPort() + path);
  }

  /** New connections (and held ones) go to {@code port} from now on. */
  void switchTo(int port) {
    targetPort = port;
  }

  /** Connections accepted from now on wait, unforwarded, until {@link #release()}. */
  void hold() {
    synchronized (held) {
      holding = true;
    }
  }

  /** Forwards the connections held back, and new ones again. */
  void release() {
    List<Socket> waiting;
    synchronized (held) {
      holding = false;
      waiting = List.copyOf(held);
      held.clear();
    }
    waiting.forEach(this::forward);
  }

  /** Closes every forwarded connection with an RST: both ends see "connection reset". */
  void resetAll() {
    for (Socket[] link : links) {
      reset(link);
    }
  }

  /** How many connections were forwarded so far. */
  int forwarded() {
    return forwarded.get();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException closed) {
        return; // close() closed the server socket
      }
      synchronized (held) {
        if (holding) {
          held.add(client);
          continue;
        }
      }
      forward(client);
    }
  }

  private void forward(Socket client) {
    try {
      Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
      client.setTcpNoDelay(true);
      upstream.setTcpNoDelay(true);
      Socket[] link = {client, upstream};
      links.add(link);
      forwarded.incrementAndGet();
      threads.execute(() -> pump(link, client, upstream));
      threads.execute(() -> pump(link, upstream, client));
    } catch (IOException | java.util.concurrent.RejectedExecutionException e) {
      closeQuietly(client); // the node is gone, or the proxy is closing: the client sees the connection end
    }
  }

  private void pump(Socket[] link, Socket from, Socket to) {
    byte[] buffer = new byte[64 * 1024];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      for (int n; (n = in.read(buffer)) >= 0; ) {
        out.write(buffer, 0, n);
      }
    } catch (IOException ended) {
      // reset, or closed by the other pump: the link ends below
    } finally {
      closeQuietly(link[0]);
      closeQuietly(link[1]);
      links.remove(link);
    }
  }

  private void reset(Socket[] link) {
    for (Socket s : link) {
      try {
        s.setSoLinger(true, 0);
      } catch (IOException closedAlready) {
        // nothing left to reset
      }
      closeQuietly(s);
    }
    links.remove(link);
  }

  @Override
  public void close() throws InterruptedException {
    closeQuietly(server);
    synchronized (held) {
      held.forEach(SwitchingProxy::closeQuietly);
      held.clear();
    }
    resetAll();
    threads.shutdownNow();
    if (!threads.awaitTermination(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("proxy threads still running 10 s after close");
    }
  }

  private static void closeQuietly(Closeable c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // closing for good: nothing left to do with it
    }
  }
}
