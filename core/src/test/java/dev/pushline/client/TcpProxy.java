package dev.pushline.client;

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
 * A TCP proxy on 127.0.0.1 in front of a server, for tests of what networks do: it forwards bytes both
 * ways, and on request holds new connections back, resets a connection (RST to both ends), or black-holes
 * it (keeps both sockets open and forwards nothing, as a dead route or a vanished peer would).
 *
 * <p>Threads: one acceptor and two per connection, daemons named {@code tcp-proxy-N}; {@link #close()}
 * ends them all.
 */
final class TcpProxy implements AutoCloseable {

  private final ServerSocket server;
  private final int targetPort;
  private final AtomicInteger threadCount = new AtomicInteger();
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "tcp-proxy-" + threadCount.incrementAndGet());
    t.setDaemon(true);
    return t;
  });
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private final List<Socket> held = new ArrayList<>(); // guarded by itself
  private boolean holding; // guarded by held

  TcpProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    threads.execute(this::acceptLoop);
  }

  /** {@code ws://127.0.0.1:<proxy port><path>}. */
  URI uri(String path) {
    return URI.create("ws://127.0.0.1:" + server.getLocalPort() + path);
  }

  /** From now on, new connections are accepted but not forwarded until {@link #release()}. */
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

  /** The connections being forwarded (or black-holed) now. */
  List<Link> links() {
    return List.copyOf(links);
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
      Link link = new Link(client, upstream);
      links.add(link);
      threads.execute(() -> link.pump(client, upstream));
      threads.execute(() -> link.pump(upstream, client));
    } catch (IOException | java.util.concurrent.RejectedExecutionException e) {
      closeQuietly(client); // the server is gone, or the proxy is closing: the client sees the connection end
    }
  }

  @Override
  public void close() throws InterruptedException {
    closeQuietly(server);
    synchronized (held) {
      held.forEach(TcpProxy::closeQuietly);
      held.clear();
    }
    for (Link link : links) {
      link.reset();
    }
    threads.shutdownNow();
    if (!threads.awaitTermination(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("proxy threads still running 10 s after close");
    }
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // closing for good: nothing left to do with it
    }
  }

  /** One proxied connection: the client's socket and the one to the server. */
  final class Link {
    private final Socket client;
    private final Socket upstream;
    private volatile boolean blackHoled;
    private final AtomicInteger pumping = new AtomicInteger(2);

    private Link(Socket client, Socket upstream) {
      this.client = client;
      this.upstream = upstream;
    }

    /** Closes both sockets with an RST: each end sees "connection reset". */
    void reset() {
      for (Socket s : new Socket[] {client, upstream}) {
        try {
          s.setSoLinger(true, 0);
        } catch (IOException closedAlready) {
          // nothing to reset
        }
        closeQuietly(s);
      }
      links.remove(this);
    }

    /**
     * Stops forwarding, silently: both ends keep their socket and hear nothing more, not even a close.
     * The link ends when both ends gave up on it.
     */
    void blackHole() {
      blackHoled = true;
    }

    private void pump(Socket from, Socket to) {
      byte[] buffer = new byte[64 * 1024];
      try {
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        for (int n; (n = in.read(buffer)) >= 0; ) {
          if (!blackHoled) {
            out.write(buffer, 0, n);
          }
        }
      } catch (IOException ended) {
        // reset, or closed by the other pump: the link ends below
      } finally {
        // A black hole passes no FIN on either: each end has to notice the silence on its own.
        if (!blackHoled || pumping.decrementAndGet() == 0) {
          closeQuietly(client);
          closeQuietly(upstream);
          links.remove(this);
        }
      }
    }
  }
}
