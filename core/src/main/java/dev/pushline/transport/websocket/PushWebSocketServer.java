package dev.pushline.transport.websocket;

import dev.pushline.transport.Handshake;
import dev.pushline.transport.HandshakeDecision;
import dev.pushline.transport.InboundListener;
import dev.pushline.transport.TransportListener;
import dev.pushline.transport.TransportSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketAdapter;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.enums.ReadyState;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.framing.Framedata;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.ServerHandshakeBuilder;
import org.java_websocket.WebSocketServerFactory;
import org.java_websocket.server.WebSocketServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Java-WebSocket server behind {@link WebSocketTransport}, with its pitfalls closed (see
 * {@code ../shared/notes/java-websocket-1.6.0.md}).
 *
 * <h2>Threads</h2>
 * Java-WebSocket's {@code WebSocketSelector-N} (accept, read, write; runs most {@code onClose}) and
 * {@code WebSocketWorker-N} (handshake and frame decoding; runs {@code onOpen} and {@code onMessage}), plus
 * our {@code pushline-sweeper}, which closes stalled handshakes and pings. Every callback into the engine
 * is wrapped in {@code catch (Throwable)}: an {@code Error} escaping a worker would stop the whole server.
 */
final class PushWebSocketServer extends WebSocketServer {

  private static final Logger log = LoggerFactory.getLogger(PushWebSocketServer.class);
  private static final long JOIN_MILLIS = 5_000;
  private static final long CLOSE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final TransportSettings settings;
  private final TransportListener listener;
  private final long pingIntervalNanos;
  private final CountDownLatch started = new CountDownLatch(1);
  private volatile Exception startFailure;
  /** Sockets accepted and not yet open, with the time they were accepted. */
  private final Map<WebSocketImpl, Long> handshaking = new ConcurrentHashMap<>();
  private final ScheduledExecutorService sweeper;

  PushWebSocketServer(TransportSettings settings, TransportListener listener, int decoderThreads) {
    super(new InetSocketAddress(settings.host(), settings.port()), decoderThreads,
        List.of(new GuardedDraft(settings.maxMessageBytes())));
    this.settings = settings;
    this.listener = listener;
    this.pingIntervalNanos = settings.pingInterval().toNanos();
    setTcpNoDelay(true);
    setReuseAddr(true);
    setMaxPendingConnections(4096);
    setConnectionLostTimeout(0); // we ping ourselves; its checker thread could not be joined on close
    setWebSocketFactory(new TrackingFactory());
    this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "pushline-sweeper");
      t.setDaemon(true);
      return t;
    });
  }

  /** The selector thread, kept so that shutdown can join it even when binding failed inside Java-WebSocket. */
  private volatile Thread selectorThread;

  @Override
  public void start() {
    Thread t = new Thread(this);
    t.setDaemon(isDaemon());
    selectorThread = t;
    t.start();
  }

  InetSocketAddress startAndAwaitBind() throws IOException {
    preflightBind();
    start();
    try {
      if (!started.await(30, TimeUnit.SECONDS)) {
        shutdown(CloseFrame.GOING_AWAY, "start timed out");
        throw new IOException("the server did not bind within 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      shutdown(CloseFrame.GOING_AWAY, "start interrupted");
      throw new IOException("interrupted while binding", e);
    }
    if (startFailure != null) {
      shutdown(CloseFrame.GOING_AWAY, "start failed");
      throw startFailure instanceof IOException io ? io : new IOException(startFailure);
    }
    long sweepMillis = Math.max(10, Math.min(1000,
        Math.min(settings.handshakeTimeout().toMillis(), pingIntervalNanos / 1_000_000) / 4));
    sweeper.scheduleWithFixedDelay(this::sweep, sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
    return new InetSocketAddress(getAddress().getAddress(), getPort());
  }

  /**
   * Binds and releases the address once before Java-WebSocket does, so that the usual failures (port in
   * use, unknown host, no such interface) become our exception at once instead of an ERROR stack trace
   * that Java-WebSocket logs before shutting itself down. Java-WebSocket's own bind failure is still
   * handled (a race with another process), just noisier.
   */
  private void preflightBind() throws IOException {
    InetSocketAddress address = getAddress();
    if (address.isUnresolved()) {
      throw new java.net.UnknownHostException("cannot resolve host " + address.getHostString());
    }
    if (address.getPort() == 0) {
      return; // any free port: nothing to check
    }
    try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(address, 1);
    }
  }

  /** Closes every connection with {@code code}, stops, and joins every thread that served this server. */
  void shutdown(int code, String reason) {
    sweeper.shutdownNow();
    for (WebSocket ws : getConnections()) {
      ws.close(code, reason);
    }
    try {
      stop((int) JOIN_MILLIS, reason);
      Thread selector = selectorThread;
      if (selector != null) {
        selector.join(JOIN_MILLIS);
      }
      // stop() joins the selector thread; it interrupts the decoders as it exits: join them too.
      for (Thread worker : decoders) {
        worker.join(JOIN_MILLIS);
      }
      sweeper.awaitTermination(JOIN_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (WebSocketImpl w : handshaking.keySet()) {
      w.closeConnection(CloseFrame.GOING_AWAY, "server shutting down");
    }
    handshaking.clear();
  }

  // --- handshake -------------------------------------------------------------------------------

  @Override
  public ServerHandshakeBuilder onWebsocketHandshakeReceivedAsServer(
      WebSocket conn, Draft draft, ClientHandshake request) throws InvalidDataException {
    ServerHandshakeBuilder response = super.onWebsocketHandshakeReceivedAsServer(conn, draft, request);
    String descriptor = request.getResourceDescriptor();
    int q = descriptor.indexOf('?');
    String path = q < 0 ? descriptor : descriptor.substring(0, q);
    String query = q < 0 ? "" : descriptor.substring(q + 1);
    if (!path.equals(settings.path())) {
      // Answered with "404 WebSocket Upgrade Failure"; the sweeper closes the socket afterwards.
      throw new InvalidDataException(CloseFrame.POLICY_VALIDATION, "no WebSocket endpoint at this path");
    }
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (Iterator<String> it = request.iterateHttpFields(); it.hasNext(); ) {
      String name = it.next();
      headers.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>())
          .add(request.getFieldValue(name));
    }
    InetSocketAddress remote = conn.getRemoteSocketAddress();
    Handshake handshake = new Handshake(path, query, headers, remote);
    HandshakeDecision decision;
    try {
      decision = listener.onHandshake(handshake);
    } catch (Throwable t) {
      log.error("engine failed to decide on a handshake from {}", remote, t);
      decision = HandshakeDecision.reject(500, "server error");
    }
    if (!decision.accepted()) {
      // Answered with "404 WebSocket Upgrade Failure"; the sweeper closes the socket afterwards.
      throw new InvalidDataException(CloseFrame.POLICY_VALIDATION, decision.reason());
    }
    conn.setAttachment(new JwsConnection((WebSocketImpl) conn, handshake, decision.context()));
    return response;
  }

  // --- callbacks -------------------------------------------------------------------------------

  @Override
  public void onStart() {
    started.countDown();
  }

  @Override
  public void onOpen(WebSocket conn, ClientHandshake handshake) {
    handshaking.remove((WebSocketImpl) conn);
    JwsConnection connection = conn.getAttachment();
    if (connection == null) { // cannot happen: the handshake hook always attaches one
      conn.close(CloseFrame.UNEXPECTED_CONDITION, "no connection state");
      return;
    }
    try {
      connection.opened(listener.onOpen(connection));
    } catch (Throwable t) {
      log.error("engine failed to open a connection from {}", conn.getRemoteSocketAddress(), t);
      conn.close(CloseFrame.UNEXPECTED_CONDITION, "server error");
    }
    // The peer may have gone away while the handshake finished: Java-WebSocket's closeConnection (under
    // the socket's monitor) asks for onClose only if the connection is in its set, which it joins just
    // before this method; closed before that, it gets no onClose (and stays in the set). Reading the state
    // under the same monitor waits for a close in progress; one that starts after this read finds the
    // connection in the set and is reported as usual. reportClosed tells the engine once either way.
    ReadyState state;
    synchronized (conn) {
      state = conn.getReadyState();
    }
    if (state == ReadyState.CLOSED) {
      removeConnection(conn);
      connection.reportClosed(CloseFrame.ABNORMAL_CLOSE, "closed during the handshake");
    }
  }

  @Override
  public void onMessage(WebSocket conn, String message) {
    JwsConnection connection = conn.getAttachment();
    InboundListener inbound = connection == null ? null : connection.inbound();
    if (inbound == null) {
      return;
    }
    try {
      inbound.onText(message);
    } catch (Throwable t) {
      log.error("engine failed on a message from {}", conn.getRemoteSocketAddress(), t);
      conn.close(CloseFrame.UNEXPECTED_CONDITION, "server error");
    }
  }

  @Override
  public void onMessage(WebSocket conn, ByteBuffer message) {
    log.debug("binary message from {}: closing with 1003", conn.getRemoteSocketAddress());
    conn.close(CloseFrame.REFUSE, "binary messages are not supported");
  }

  @Override
  public void onClose(WebSocket conn, int code, String reason, boolean remote) {
    handshaking.remove((WebSocketImpl) conn);
    JwsConnection connection = conn.getAttachment();
    if (connection != null) {
      connection.reportClosed(code, reason);
    }
  }

  @Override
  public void onError(WebSocket conn, Exception ex) {
    if (conn == null) {
      if (started.getCount() > 0) {
        startFailure = ex;
        started.countDown();
      } else {
        log.error("transport failure", ex);
      }
      return;
    }
    // Peer-caused (bad frames, resets): Java-WebSocket closes the connection itself.
    log.debug("connection error from {}: {}", conn.getRemoteSocketAddress(), ex.toString());
  }

  @Override
  public void onWebsocketPong(WebSocket conn, Framedata f) {
    JwsConnection connection = conn.getAttachment();
    if (connection != null) {
      connection.lastPongNanos = System.nanoTime();
    }
  }

  // --- the sweeper -----------------------------------------------------------------------------

  private long nextPingNanos = System.nanoTime(); // sweeper thread only

  private void sweep() {
    try {
      long now = System.nanoTime();
      long deadline = now - settings.handshakeTimeout().toNanos();
      for (Map.Entry<WebSocketImpl, Long> e : handshaking.entrySet()) {
        WebSocketImpl w = e.getKey();
        if (w.isOpen() || w.isClosed()) {
          handshaking.remove(w);
        } else if (e.getValue() < deadline) {
          handshaking.remove(w);
          log.debug("closing {}: no finished handshake within {}", w.getRemoteSocketAddress(),
              settings.handshakeTimeout());
          w.closeConnection(CloseFrame.NEVER_CONNECTED, "handshake timeout");
        }
      }
      boolean pingDue = now - nextPingNanos >= 0;
      if (pingDue) {
        nextPingNanos = now + pingIntervalNanos;
      }
      ping(now, pingDue);
    } catch (Throwable t) {
      log.error("sweeper failed; it runs again at the next tick", t);
    }
  }

  private void ping(long now, boolean pingDue) {
    for (WebSocket ws : getConnections()) {
      JwsConnection c = ws.getAttachment();
      if (c == null) {
        continue;
      }
      long closing = c.closeRequestedNanos;
      if (closing != 0 && now - closing > CLOSE_TIMEOUT_NANOS) {
        // We asked to close, but the peer has not read what was queued before the close frame.
        log.debug("dropping {}: close not completed within 5 s", ws.getRemoteSocketAddress());
        ((WebSocketImpl) ws).closeConnection(CloseFrame.ABNORMAL_CLOSE, "close timeout");
        continue;
      }
      if (!ws.isOpen() || !pingDue) {
        continue;
      }
      if (now - c.lastPongNanos > 2 * pingIntervalNanos) {
        log.debug("closing {}: no pong for {} ms", ws.getRemoteSocketAddress(),
            (now - c.lastPongNanos) / 1_000_000);
        ((WebSocketImpl) ws).closeConnection(CloseFrame.ABNORMAL_CLOSE, "no pong");
      } else {
        ws.sendPing();
      }
    }
  }

  /**
   * Records every accepted socket until it opens, so the sweeper can close stalled handshakes, and wraps
   * each socket in a {@link CountingChannel} so queues can be measured in O(1).
   */
  private final class TrackingFactory implements WebSocketServerFactory {
    @Override
    public WebSocketImpl createWebSocket(WebSocketAdapter a, Draft d) {
      return track(new WebSocketImpl(a, d));
    }

    @Override
    public WebSocketImpl createWebSocket(WebSocketAdapter a, List<Draft> d) {
      return track(new WebSocketImpl(a, d));
    }

    private WebSocketImpl track(WebSocketImpl w) {
      handshaking.put(w, System.nanoTime());
      return w;
    }

    @Override
    public ByteChannel wrapChannel(SocketChannel channel, SelectionKey key) {
      // The server registers the key with the connection as its attachment before wrapping.
      return new CountingChannel(channel, ((WebSocketImpl) key.attachment()).outQueue);
    }

    @Override
    public void close() {
      // nothing to release: no executor, no TLS engine
    }
  }
}
