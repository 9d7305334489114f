package dev.pushline.bench.scenario;

import dev.pushline.ClientConnection;
import dev.pushline.ConnectionListener;
import dev.pushline.PushServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reproduces connections that stay counted after their socket closed: {@code HandshakeCloseRace [N]}
 * (default 5,000) starts a {@link PushServer} in this JVM, then N times opens a TCP connection, writes a
 * valid WebSocket upgrade request and closes the socket at once, without reading the answer. Every socket
 * is closed, so {@code server.connectionCount()} must fall back to 0, and the connection listener must
 * hear {@code onClosed} for every {@code onOpen}; the program prints both for 10 s (20 ping intervals) and
 * exits 1 if the count stays above 0. Run it with bench/target's class path (see bench/scenarios.sh).
 *
 * <p>What happens (Java-WebSocket 1.6.0): a decoder thread finishes the handshake ({@code readyState =
 * OPEN}) while the selector thread, reading the end of the stream, closes the connection;
 * {@code WebSocketServer.onWebsocketClose} calls {@code onClose} only if the connection is in its set,
 * which {@code onWebsocketOpen} adds it to a moment later; so {@code onClose} is skipped, {@code onOpen}
 * still runs, and the engine keeps a session whose close it never hears.
 */
public final class HandshakeCloseRace {

  private HandshakeCloseRace() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 5_000;
    AtomicInteger opened = new AtomicInteger();
    AtomicInteger closed = new AtomicInteger();
    // Pings every 500 ms: a connection that answers none is dropped after two intervals, so the 10 s wait
    // below is 20 intervals: long enough for the heartbeat to clean up anything it can see.
    try (PushServer server = PushServer.builder().host("127.0.0.1").port(0)
        .pingInterval(Duration.ofMillis(500))
        .connectionListener(new ConnectionListener() {
          @Override
          public void onOpen(ClientConnection connection) {
            opened.incrementAndGet();
          }

          @Override
          public void onClosed(ClientConnection connection, int code, String reason) {
            closed.incrementAndGet();
          }
        })
        .build().start()) {
      String request = "GET /pushline HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\n"
          + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
          + "Sec-WebSocket-Version: 13\r\n\r\n";
      byte[] bytes = request.getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < n; i++) {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
          OutputStream out = s.getOutputStream();
          out.write(bytes);
          out.flush();
        } // closed at once: FIN right after the request
      }
      int count = -1;
      for (int i = 0; i < 20; i++) { // bounded: 10 s
        Thread.sleep(500);
        count = server.connectionCount();
        System.out.println("after " + (i + 1) * 500 + " ms: connectionCount() = " + count
            + "; ConnectionListener: onOpen " + opened.get() + ", onClosed " + closed.get());
        if (count == 0) {
          break;
        }
      }
      System.out.println(count == 0 ? "OK: every connection was reported closed"
          : "BUG: " + count + " of " + n + " closed sockets are still counted as connections");
      System.exit(count == 0 ? 0 : 1);
    }
  }
}
