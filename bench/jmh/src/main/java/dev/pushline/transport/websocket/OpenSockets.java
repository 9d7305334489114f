package dev.pushline.transport.websocket;

import dev.pushline.transport.Handshake;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketAdapter;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.handshake.Handshakedata;

/**
 * Real, open Java-WebSocket server-side connections without a socket: each {@link WebSocketImpl} is fed a
 * client's upgrade request through {@code decode}, exactly as its decoder thread would, and is then OPEN.
 * Their listener does nothing on {@code onWriteDemand}, so what is measured on them stops at the
 * connection's {@code outQueue}: no interest-ops change, no selector wake-up, no system call.
 *
 * <p>Not thread-safe: a benchmark drives them from one thread.
 */
public final class OpenSockets {

  private static final Handshake HANDSHAKE = new Handshake("/", "", java.util.Map.of(),
      new InetSocketAddress("127.0.0.1", 40000));

  private static final byte[] UPGRADE = ("GET / HTTP/1.1\r\n"
      + "Host: 127.0.0.1\r\n"
      + "Upgrade: websocket\r\n"
      + "Connection: Upgrade\r\n"
      + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      + "Sec-WebSocket-Version: 13\r\n"
      + "\r\n").getBytes(StandardCharsets.US_ASCII);

  private OpenSockets() {}

  /** {@code n} open connections, each with its own copy of a plain {@link Draft_6455}, queues empty. */
  public static List<WebSocket> open(int n) {
    Listener listener = new Listener();
    List<WebSocket> sockets = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      WebSocketImpl ws = new WebSocketImpl(listener, List.of(new Draft_6455()));
      ws.decode(ByteBuffer.wrap(UPGRADE));
      if (!ws.isOpen()) {
        throw new IllegalStateException("the handshake did not open connection " + i + ": " + ws.getReadyState());
      }
      ws.outQueue.clear(); // the 101 response
      sockets.add(ws);
    }
    return sockets;
  }

  /**
   * A {@link JwsConnection} on {@code socket}, set up as {@code PushWebSocketServer} does: the socket's
   * channel is a {@link CountingChannel} (here over no socket: nothing is ever written through it).
   */
  public static JwsConnection pushline(WebSocket socket) {
    WebSocketImpl ws = (WebSocketImpl) socket;
    ws.setChannel(new CountingChannel(null, ws.outQueue));
    return new JwsConnection(ws, HANDSHAKE, null);
  }

  /** Takes everything queued on {@code socket}, as its selector would after writing it; returns the bytes. */
  public static long drain(WebSocket socket) {
    long bytes = 0;
    ByteBuffer b;
    while ((b = ((WebSocketImpl) socket).outQueue.poll()) != null) {
      bytes += b.remaining();
    }
    return bytes;
  }

  /** Accepts every handshake and ignores every event. */
  private static final class Listener extends WebSocketAdapter {
    @Override
    public void onWebsocketMessage(WebSocket conn, String message) {}

    @Override
    public void onWebsocketMessage(WebSocket conn, ByteBuffer blob) {}

    @Override
    public void onWebsocketOpen(WebSocket conn, Handshakedata d) {}

    @Override
    public void onWebsocketClose(WebSocket ws, int code, String reason, boolean remote) {}

    @Override
    public void onWebsocketClosing(WebSocket ws, int code, String reason, boolean remote) {}

    @Override
    public void onWebsocketCloseInitiated(WebSocket ws, int code, String reason) {}

    @Override
    public void onWebsocketError(WebSocket conn, Exception ex) {
      throw new IllegalStateException("unexpected connection error", ex);
    }

    @Override
    public void onWriteDemand(WebSocket conn) {
      // The real server sets OP_WRITE and wakes its selector here; left out on purpose (see the class doc).
    }

    @Override
    public InetSocketAddress getLocalSocketAddress(WebSocket conn) {
      return new InetSocketAddress("127.0.0.1", 1);
    }

    @Override
    public InetSocketAddress getRemoteSocketAddress(WebSocket conn) {
      return HANDSHAKE.remoteAddress();
    }
  }
}
