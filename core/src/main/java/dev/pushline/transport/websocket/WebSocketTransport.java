package dev.pushline.transport.websocket;

import dev.pushline.transport.OutboundMessage;
import dev.pushline.transport.Transport;
import dev.pushline.transport.TransportListener;
import dev.pushline.transport.TransportSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * The default transport: WebSocket on Java-WebSocket 1.6.0, hardened against that library's defaults.
 *
 * <ul>
 *   <li>Message size limited across fragments (close 1009), no permessage-deflate.</li>
 *   <li>Sockets that do not finish the upgrade within the handshake timeout are closed, and so are
 *       sockets whose handshake was refused (Java-WebSocket leaves both open).</li>
 *   <li>A refused upgrade is answered with its own HTTP status and a JSON body
 *       {@code {"error":"..."}} (Java-WebSocket answers every refusal with 404); a request head over
 *       {@link TransportSettings#maxHandshakeBytes()} with 431, after buffering at most that much.</li>
 *   <li>Connections are counted from accept, in total and per remote address; past
 *       {@link TransportSettings#maxConnections()} or {@link TransportSettings#maxConnectionsPerAddress()} a
 *       socket is closed as soon as it is accepted. The total is kept below the process's open-file
 *       limit: when accept fails for want of descriptors, Java-WebSocket closes its listening socket for
 *       good.</li>
 *   <li>TLS ({@link TransportSettings#tls()}) on Java-WebSocket's TLS channel, with its accounting, its
 *       writes and its handshake idling fixed (see {@code TlsChannel}).</li>
 *   <li>{@code TCP_NODELAY}, {@code SO_REUSEADDR}, an accept backlog of 4,096.</li>
 *   <li>Engine callbacks are wrapped so that nothing they throw, {@code Error}s included, stops a
 *       decoder thread or the server: the connection concerned is closed with 1011.</li>
 *   <li>{@link #start} returns once bound and throws when it cannot bind; {@link #close} joins every
 *       thread it started.</li>
 *   <li>Pings every {@link TransportSettings#pingInterval()} and drops connections that sent no pong
 *       for two intervals.</li>
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class WebSocketTransport implements Transport {

  private final int decoderThreads;
  private final Object lock = new Object();
  private PushWebSocketServer server; // guarded by lock
  private boolean used; // guarded by lock

  private WebSocketTransport(Builder b) {
    this.decoderThreads = b.decoderThreads;
  }

  /** A transport with default settings. */
  public static WebSocketTransport create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public InetSocketAddress start(TransportSettings settings, TransportListener listener) throws IOException {
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(listener, "listener");
    PushWebSocketServer s;
    synchronized (lock) {
      if (used) {
        throw new IllegalStateException("a WebSocketTransport can be started once");
      }
      used = true;
      s = new PushWebSocketServer(settings, listener, decoderThreads);
      server = s;
    }
    return s.startAndAwaitBind();
  }

  @Override
  public OutboundMessage prepare(String text) {
    return new TextFrame(text);
  }

  @Override
  public void close(int code, String reason) {
    PushWebSocketServer s;
    synchronized (lock) {
      s = server;
      server = null;
      used = true;
    }
    if (s != null) {
      s.shutdown(code, JwsConnection.clipReason(reason));
    }
  }

  /** Sockets open now, counted from accept as the connection limits count them; 0 when not running. */
  int socketCount() {
    PushWebSocketServer s;
    synchronized (lock) {
      s = server;
    }
    return s == null ? 0 : s.socketCount();
  }

  /**
   * Configures a {@link WebSocketTransport}.
   *
   * <p>Not thread-safe; confine to one thread.
   */
  public static final class Builder {
    private int decoderThreads = Math.max(2, Runtime.getRuntime().availableProcessors());

    private Builder() {}

    /** Threads that parse frames and run the engine's per-message work. Default: the core count, at least 2. */
    public Builder decoderThreads(int threads) {
      if (threads < 1 || threads > 256) {
        throw new IllegalArgumentException("decoderThreads is " + threads + "; it must be 1..256");
      }
      this.decoderThreads = threads;
      return this;
    }

    public WebSocketTransport build() {
      return new WebSocketTransport(this);
    }
  }
}
