package dev.pushline.transport.websocket;

import dev.pushline.transport.Handshake;
import dev.pushline.transport.HandshakeDecision;
import dev.pushline.transport.InboundListener;
import dev.pushline.transport.TransportListener;
import dev.pushline.transport.TransportSettings;
import java.io.IOException;
import java.net.InetAddress;
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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLEngine;
import org.java_websocket.SocketChannelIOHelper;
import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketAdapter;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.enums.ReadyState;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.framing.Framedata;
import org.java_websocket.framing.PingFrame;
import org.java_websocket.framing.PongFrame;
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
 * our {@code pushline-sweeper}, which closes stalled handshakes, pings, and hands frames stranded by a
 * Java-WebSocket race back to the selector ({@link #rearmStalledWrites}), and with TLS
 * {@code pushline-tls-N}, which run the TLS engines' delegated tasks (certificate and key work). Every
 * callback into the engine is wrapped in {@code catch (Throwable)}: an {@code Error} escaping a worker
 * would stop the whole server.
 *
 * <h2>Refusals</h2>
 * Every refused upgrade is answered by {@link #refuse} with an HTTP status of ours and a JSON body
 * ({@link HttpRefusal}), never by Java-WebSocket's "404 WebSocket Upgrade Failure": a
 * {@link HandshakeDecision} refusal with its status, another path with 404, a head over
 * {@code maxHandshakeBytes} with 431, what Java-WebSocket finds invalid with 400. Past a connection
 * limit a socket is closed at accept, before anything is read ({@link ConnectionLimiter}).
 */
final class PushWebSocketServer extends WebSocketServer {

  private static final Logger log = LoggerFactory.getLogger(PushWebSocketServer.class);
  private static final long JOIN_MILLIS = 5_000;
  private static final long CLOSE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);
  /** How often {@link #rearmStalledWrites} looks for frames queued without write interest. */
  private static final long REARM_MILLIS = 20;

  private final TransportSettings settings;
  private final TransportListener listener;
  private final long pingIntervalNanos;
  private final CountDownLatch started = new CountDownLatch(1);
  private volatile Exception startFailure;
  /** Sockets accepted and not yet open, with the time they were accepted. */
  private final Map<WebSocketImpl, Long> handshaking = new ConcurrentHashMap<>();
  /** Every socket counted by {@link #limiter}, until it closes. */
  private final Set<CountingChannel> sockets = ConcurrentHashMap.newKeySet();
  private final ConnectionLimiter limiter;
  private final ScheduledExecutorService sweeper;
  /** Runs TLS delegated tasks; null without TLS. */
  private final ThreadPoolExecutor tlsTasks;

  PushWebSocketServer(TransportSettings settings, TransportListener listener, int decoderThreads) {
    super(new InetSocketAddress(settings.host(), settings.port()), decoderThreads,
        List.of(new GuardedDraft(settings.maxMessageBytes())));
    this.settings = settings;
    this.listener = listener;
    this.pingIntervalNanos = settings.pingInterval().toNanos();
    this.nextPingNanos = System.nanoTime() + pingIntervalNanos;
    setTcpNoDelay(true);
    setReuseAddr(true);
    setMaxPendingConnections(4096);
    setConnectionLostTimeout(0); // we ping ourselves; its checker thread could not be joined on close
    this.limiter = new ConnectionLimiter(ConnectionLimiter.capByOpenFileLimit(settings.maxConnections()),
        settings.maxConnectionsPerAddress());
    this.tlsTasks = settings.tls() == null ? null : tlsExecutor();
    setWebSocketFactory(new TrackingFactory());
    this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "pushline-sweeper");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Daemon threads for the TLS engines' delegated tasks, as many as cores (Java-WebSocket's default is one
   * thread for all handshakes); idle ones end after 30 s.
   */
  private static ThreadPoolExecutor tlsExecutor() {
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "pushline-tls-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /** Sockets open now, counted from accept (for tests). */
  int socketCount() {
    return limiter.total();
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
    sweeper.scheduleWithFixedDelay(this::rearmStalledWrites, REARM_MILLIS, REARM_MILLIS, TimeUnit.MILLISECONDS);
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
    for (CountingChannel c : sockets) {
      closeQuietly(c); // any the selector had not closed when it stopped
    }
    if (tlsTasks != null) {
      tlsTasks.shutdownNow();
      try {
        tlsTasks.awaitTermination(JOIN_MILLIS, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void closeQuietly(CountingChannel c) {
    try {
      c.close();
    } catch (IOException e) {
      // closing a socket that failed: nothing left to release, nobody to tell
    }
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
      throw refuse((WebSocketImpl) conn, 404, "no WebSocket endpoint at this path");
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
      throw refuse((WebSocketImpl) conn, decision.status(), decision.reason());
    }
    // The draft is this connection's copy, with the subprotocol already chosen (empty for none).
    String subprotocol = ((Draft_6455) draft).getProtocol().getProvidedProtocol();
    conn.setAttachment(new JwsConnection((WebSocketImpl) conn, handshake, decision.context(), subprotocol));
    return response;
  }

  /**
   * Answers {@code w}'s request with {@code status} and {@code reason} and closes it (see
   * {@link CountingChannel}). The first refusal of a socket wins. Any thread.
   *
   * @return what the handshake hook throws so that Java-WebSocket does not upgrade; its own error page
   *     is dropped unsent
   */
  private InvalidDataException refuse(WebSocketImpl w, int status, String reason) {
    if (w.getChannel() instanceof CountingChannel c) {
      ByteBuffer response = HttpRefusal.response(status, reason);
      if (c.refuse(response)) {
        log.debug("refused {} with {}: {}", w.getRemoteSocketAddress(), status, reason);
        w.outQueue.add(response);
        onWriteDemand(w);
      }
    }
    return new InvalidDataException(CloseFrame.POLICY_VALIDATION, reason);
  }

  /** Java-WebSocket found the upgrade request invalid: answers 400 instead of its own page. */
  private void refuseBadUpgrade(WebSocketImpl w) {
    if (w.getChannel() instanceof CountingChannel c) {
      ByteBuffer response = HttpRefusal.badUpgrade();
      if (c.refuse(response)) {
        log.debug("refused {} with 400: not a valid WebSocket upgrade request", w.getRemoteSocketAddress());
        w.outQueue.add(response);
        onWriteDemand(w);
      }
    }
  }

  /**
   * Hands TLS input that is already received to the connection's worker, as the selector does after a
   * read; for input that came with the end of a handshake finished outside a read (no read event will
   * come for it). Selector thread.
   */
  private void readBuffered(WebSocketImpl w) {
    try {
      for (int i = 0; i < 16 && w.getChannel() instanceof CountingChannel c && c.isNeedRead(); i++) {
        ByteBuffer buffer = createBuffer();
        boolean more = SocketChannelIOHelper.readMore(buffer, w, c);
        if (buffer.hasRemaining()) {
          w.inQueue.put(buffer);
          queue(w);
        }
        if (!more) {
          break;
        }
      }
    } catch (IOException e) {
      w.closeConnection(CloseFrame.ABNORMAL_CLOSE, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // --- callbacks -------------------------------------------------------------------------------

  @Override
  public void onClosing(WebSocket conn, int code, String reason, boolean remote) {
    WebSocketImpl w = (WebSocketImpl) conn;
    // Java-WebSocket gives up on a request it cannot parse (not HTTP, not GET, not HTTP/1.1) without
    // answering; one it parsed but will not upgrade it answers itself, which CountingChannel turns into
    // upgradeRejected. Either way the client is owed an answer.
    // Never-connected only: a 1006 close of an open connection also passes here, already CLOSING.
    if (w.getReadyState() == ReadyState.NOT_YET_CONNECTED && w.outQueue.isEmpty()
        && w.getChannel() instanceof CountingChannel c && !c.refusing()) {
      refuseBadUpgrade(w);
    }
  }

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

  /**
   * Answers a ping unless our pong to an earlier one is still waiting to be written: RFC 6455 §5.5.3 lets
   * an endpoint answer only the most recent ping. Java-WebSocket answers each one, into an unbounded
   * queue that our byte count does not see: measured, a client flooding empty pings without reading grew
   * the heap by about 130 MB/s (1 GB after 8 s).
   */
  @Override
  public void onWebsocketPing(WebSocket conn, Framedata f) {
    JwsConnection connection = conn.getAttachment();
    if (connection == null || !conn.isOpen()) {
      return;
    }
    ByteBuffer previous = connection.lastPong; // decoder thread only, like every ping of this connection
    if (previous != null && previous.hasRemaining()) {
      return;
    }
    WebSocketImpl w = (WebSocketImpl) conn;
    ByteBuffer pong = w.getDraft().createBinaryFrame(new PongFrame((PingFrame) f));
    connection.lastPong = pong;
    w.outQueue.add(pong);
    onWriteDemand(w);
  }

  @Override
  public void onWebsocketPong(WebSocket conn, Framedata f) {
    JwsConnection connection = conn.getAttachment();
    if (connection != null) {
      connection.lastPongNanos = System.nanoTime();
    }
  }

  // --- the sweeper -----------------------------------------------------------------------------

  /** The first ping a whole interval after construction: a connection that just opened needs none. */
  private long nextPingNanos; // sweeper thread only

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
      for (CountingChannel c : sockets) {
        if (!c.isOpen()) {
          closeQuietly(c); // closed under Java-WebSocket's feet (a TLS close): release its count
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

  /**
   * Gives write interest back to every connection with frames queued and none. Java-WebSocket's selector
   * thread, once it has written a connection's last queued frame, sets its key to {@code OP_READ}; a frame
   * that another thread queued in between, with its {@code OP_WRITE} set just before, is left with nobody to
   * write it until that connection's next frame or ping (Java-WebSocket's {@code doWrite} and
   * {@code onWriteDemand} are private and final, so the race cannot be closed where it happens). Measured
   * here: a client's reply delayed 15 s and more. This bounds the delay to about {@value #REARM_MILLIS} ms.
   * A sender between its enqueue and its own {@code onWriteDemand} looks the same: one extra wakeup.
   */
  private void rearmStalledWrites() {
    try {
      for (WebSocket ws : getConnections()) {
        rearm((WebSocketImpl) ws);
      }
      for (WebSocketImpl w : handshaking.keySet()) {
        rearm(w); // the handshake's answer goes through the same queue
      }
    } catch (Throwable t) {
      log.error("re-arming stalled writes failed; it runs again at the next tick", t);
    }
  }

  private void rearm(WebSocketImpl w) {
    SelectionKey key = w.getSelectionKey();
    if (key == null || w.outQueue.isEmpty()) {
      return;
    }
    try {
      if ((key.interestOps() & SelectionKey.OP_WRITE) == 0) {
        log.debug("{}: frames queued without write interest; asking the selector to write them",
            w.getRemoteSocketAddress());
        onWriteDemand(w);
      }
    } catch (java.nio.channels.CancelledKeyException closed) {
      // closed meanwhile: nothing left to write
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
   * Records every accepted socket until it opens, so the sweeper can close stalled handshakes; counts it
   * against the connection limits (closing it at accept past one); and wraps it in a
   * {@link CountingChannel} (over a {@link TlsChannel} with TLS) so queues can be measured in O(1).
   */
  private final class TrackingFactory implements WebSocketServerFactory {
    @Override
    public WebSocketImpl createWebSocket(WebSocketAdapter a, Draft d) {
      return createWebSocket(a, List.of(d));
    }

    @Override
    public WebSocketImpl createWebSocket(WebSocketAdapter a, List<Draft> d) {
      PushSocket[] self = new PushSocket[1];
      self[0] = new PushSocket(a, d, settings.maxHandshakeBytes(), () -> refuse(self[0], 431,
          "the request head is over " + settings.maxHandshakeBytes() + " bytes"));
      handshaking.put(self[0], System.nanoTime());
      return self[0];
    }

    @Override
    public ByteChannel wrapChannel(SocketChannel channel, SelectionKey key) throws IOException {
      // The server registers the key with the connection as its attachment before wrapping. On an
      // IOException here it cancels the key and closes the socket, quietly: that is the refusal at accept.
      WebSocketImpl w = (WebSocketImpl) key.attachment();
      InetAddress address;
      try {
        address = ((InetSocketAddress) channel.getRemoteAddress()).getAddress();
      } catch (IOException e) {
        handshaking.remove(w);
        throw e;
      }
      String refused = limiter.tryAcquire(address);
      if (refused != null) {
        handshaking.remove(w);
        throw new IOException("connection limit reached: " + refused);
      }
      try {
        TlsChannel tls = settings.tls() == null ? null : new TlsChannel(channel, newEngine(), tlsTasks, key);
        CountingChannel c = new CountingChannel(channel, tls, w.outQueue, new CountingChannel.Events() {
          @Override
          public void upgradeRejected(int status) {
            refuseBadUpgrade(w);
          }

          @Override
          public void inputBuffered() {
            readBuffered(w);
          }

          @Override
          public void closed(CountingChannel channel) {
            limiter.release(address);
            sockets.remove(channel);
          }
        });
        sockets.add(c);
        return c;
      } catch (IOException | RuntimeException e) {
        limiter.release(address);
        handshaking.remove(w);
        throw e;
      }
    }

    private SSLEngine newEngine() {
      SSLEngine engine = settings.tls().createSSLEngine();
      engine.setUseClientMode(false);
      return engine;
    }

    @Override
    public void close() {
      // the TLS task pool is shut down and joined by shutdown(), after the selector has stopped
    }
  }
}
