package dev.pushline.internal.http.sockjs;

import dev.pushline.internal.NamedThreads;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import dev.pushline.CloseCodes;
import dev.pushline.internal.http.HttpFeature;
import dev.pushline.internal.http.HttpLimits;
import dev.pushline.internal.http.HttpSide;
import dev.pushline.transport.Handshake;
import dev.pushline.transport.HandshakeDecision;
import dev.pushline.transport.InboundListener;
import dev.pushline.transport.OutboundMessage;
import dev.pushline.transport.TransportConnection;
import dev.pushline.transport.TransportListener;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A SockJS 0.3 endpoint under one path prefix of the HTTP side. Each session is a
 * {@link TransportConnection} ({@link SockJsSession}) admitted by the engine's
 * {@link TransportListener#onHandshake} and handed to an {@link Opener}, which puts a protocol on it: native
 * protocol v1 with {@code engine::onOpen}, or an adapter that speaks another protocol to the client and v1 to
 * the engine.
 *
 * <h2>What is served</h2>
 * {@code GET <prefix>} (the greeting), {@code GET|OPTIONS <prefix>/info}, and under
 * {@code <prefix>/<server>/<session>/}: {@code xhr}, {@code xhr_streaming}, {@code eventsource} (receiving
 * requests) and {@code xhr_send}. {@code websocket}, {@code jsonp}, {@code htmlfile} and the iframe page are
 * not served (404): {@code /info} says {@code "websocket":false}, because this HTTP server (the JDK's) cannot
 * upgrade; clients that can use WebSocket connect to the WebSocket port instead.
 *
 * <h2>Threads</h2>
 * Requests are answered on the HTTP side's handler threads and return at once: a receiving request is
 * attached to its session and written later by a writer task on this feature's writer pool
 * ({@code pushline-sockjs-writer-N}: at most {@value #MAX_WRITER_THREADS}, made on demand, ended after 30 s
 * idle), so engine threads never write to a socket. One timer thread ({@code pushline-sockjs-timer}) sends
 * heartbeats and enforces the disconnect delay, the close grace and the I/O timeout (of writes, and of reading
 * {@code xhr_send} bodies on the handler threads). Both start with the first request and end in {@link #close()}.
 *
 * <p>Thread-safe.
 */
public final class SockJsFeature implements HttpFeature {

  private static final Logger log = LoggerFactory.getLogger(SockJsFeature.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String NO_CACHE = "no-store, no-cache, must-revalidate, max-age=0";
  private static final int ONE_YEAR_SECONDS = 31_536_000;
  private static final int MAX_ID_CHARS = 64;
  /** At shutdown, how long a session without a receiving request is given to come back for its close frame. */
  static final long SHUTDOWN_POLL_GAP_MILLIS = 1_000;

  /**
   * Puts a protocol on a new SockJS session: returns the listener of the session's inbound messages, exactly
   * as {@link TransportListener#onOpen} does for a WebSocket connection. The session's
   * {@link TransportConnection#context()} is the context of the engine's handshake decision.
   */
  @FunctionalInterface
  public interface Opener {
    InboundListener open(TransportConnection session);
  }

  /**
   * The most writer threads at once. Writes to readers are quick, so a few threads serve many sessions; the
   * headroom is for writes blocked by peers that stopped reading, each holding its thread until its session
   * ends or the write timeout passes. Past it, writes wait in the pool's queue.
   */
  static final int MAX_WRITER_THREADS = 256;
  /** The most closed sessions kept to answer with their close frame (a few hundred bytes each, plus headers). */
  static final int MAX_LINGERING = 10_000;

  private final String path;
  private final TransportListener engine;
  private final Opener opener;
  private final HttpLimits limits;
  private final SockJsSettings settings;
  private final ConcurrentHashMap<String, SockJsSession> sessions = new ConcurrentHashMap<>();
  private final NamedThreads timerThreads = new NamedThreads("pushline-sockjs-timer");
  private final NamedThreads writerThreads = new NamedThreads("pushline-sockjs-writer-");
  private final ScheduledThreadPoolExecutor timer = newTimer(timerThreads);
  private final ThreadPoolExecutor writers = newWriters(writerThreads);
  private final Object lifecycle = new Object();
  private boolean timerStarted; // guarded by lifecycle
  private volatile boolean closing;
  /** Closed sessions still in {@link #sessions}, answering with their close frame. */
  private final AtomicInteger lingering = new AtomicInteger();

  /**
   * @param path the prefix served, starting with {@code /}, without a trailing one
   * @param engine decides on each session's opening request ({@link TransportListener#onHandshake})
   * @param opener puts a protocol on each admitted session
   * @param limits counts sessions against the server's connection limits
   * @param settings timings and sizes
   */
  public SockJsFeature(String path, TransportListener engine, Opener opener, HttpLimits limits,
      SockJsSettings settings) {
    Objects.requireNonNull(path, "path");
    if (!path.startsWith("/") || path.endsWith("/")) {
      throw new IllegalArgumentException("path is \"" + path + "\"; it must start with / and not end with one");
    }
    this.path = path;
    this.engine = Objects.requireNonNull(engine, "engine");
    this.opener = Objects.requireNonNull(opener, "opener");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  /**
   * A message for {@link TransportConnection#send} of a SockJS session, for protocol adapters that prepare
   * their own: SockJS sessions send {@link OutboundMessage#text()} and count {@link OutboundMessage#sizeBytes()}
   * against the queue limit, so any prepared message works, this one included.
   */
  public static OutboundMessage prepare(String text) {
    Objects.requireNonNull(text, "text");
    int size = text.getBytes(StandardCharsets.UTF_8).length;
    return new OutboundMessage() {
      @Override
      public String text() {
        return text;
      }

      @Override
      public int sizeBytes() {
        return size;
      }
    };
  }

  @Override
  public String path() {
    return path;
  }

  private static ScheduledThreadPoolExecutor newTimer(ThreadFactory threads) {
    ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, threads);
    t.setRemoveOnCancelPolicy(true); // body-read guards are cancelled as soon as the body is in
    return t;
  }

  /**
   * A pool that makes a thread only when none is idle, up to {@link #MAX_WRITER_THREADS}, and queues tasks past
   * that; idle threads end after 30 s.
   */
  private static ThreadPoolExecutor newWriters(ThreadFactory threads) {
    HandOffQueue queue = new HandOffQueue();
    return new ThreadPoolExecutor(0, MAX_WRITER_THREADS, 30, TimeUnit.SECONDS, queue, threads, (task, pool) -> {
      if (pool.isShutdown()) {
        throw new RejectedExecutionException("the SockJS writers are shut down");
      }
      queue.enqueue(task); // every thread is busy: a busy thread takes it when its write is done
    });
  }

  /**
   * The writers' queue: it takes a task only when an idle thread is waiting for one, so that the pool makes a
   * new thread otherwise (a plain queue would keep the pool at its core size).
   */
  private static final class HandOffQueue extends LinkedTransferQueue<Runnable> {
    @Override
    public boolean offer(Runnable task) {
      return tryTransfer(task);
    }

    void enqueue(Runnable task) {
      super.offer(task);
    }
  }

  ExecutorService writers() {
    return writers;
  }

  // --- requests ----------------------------------------------------------------------------------

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    startTimer();
    String rest = exchange.getRequestURI().getRawPath().substring(path.length());
    String method = exchange.getRequestMethod();
    if (rest.isEmpty() || rest.equals("/")) {
      if (!method.equals("GET")) {
        methodNotAllowed(exchange, "GET");
        return;
      }
      sendText(exchange, 200, "Welcome to SockJS!\n");
      return;
    }
    if (rest.equals("/info")) {
      info(exchange, method);
      return;
    }
    String[] parts = rest.substring(1).split("/", -1);
    if (parts.length != 3 || !validId(parts[0]) || !validId(parts[1])) {
      sendText(exchange, 404, "Not found.");
      return;
    }
    String session = parts[1];
    switch (parts[2]) {
      case "xhr" -> receiving(exchange, method, "POST", session, Receiver.Kind.POLLING);
      case "xhr_streaming" -> receiving(exchange, method, "POST", session, Receiver.Kind.STREAMING);
      case "eventsource" -> receiving(exchange, method, "GET", session, Receiver.Kind.EVENTSOURCE);
      case "xhr_send" -> {
        if (method.equals("OPTIONS")) {
          preflight(exchange, "OPTIONS, POST");
        } else if (method.equals("POST")) {
          xhrSend(exchange, session);
        } else {
          methodNotAllowed(exchange, "OPTIONS, POST");
        }
      }
      default -> sendText(exchange, 404, "Not found."); // websocket, jsonp, htmlfile: not offered
    }
  }

  /** Server and session ids: 1 to 64 characters of the raw path, no dot. */
  private static boolean validId(String id) {
    return !id.isEmpty() && id.length() <= MAX_ID_CHARS && id.indexOf('.') < 0;
  }

  private void info(HttpExchange exchange, String method) throws IOException {
    if (method.equals("OPTIONS")) {
      preflight(exchange, "OPTIONS, GET");
      return;
    }
    if (!method.equals("GET")) {
      methodNotAllowed(exchange, "OPTIONS, GET");
      return;
    }
    long entropy = RANDOM.nextInt() & 0xffff_ffffL;
    byte[] body = ("{\"websocket\":false,\"origins\":[\"*:*\"],\"cookie_needed\":false,\"entropy\":"
        + entropy + "}").getBytes(StandardCharsets.UTF_8);
    Headers h = exchange.getResponseHeaders();
    cors(exchange);
    h.set("Content-Type", "application/json; charset=UTF-8");
    h.set("Cache-Control", NO_CACHE);
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private void receiving(HttpExchange exchange, String method, String allowed, String id, Receiver.Kind kind)
      throws IOException {
    if (method.equals("OPTIONS") && kind != Receiver.Kind.EVENTSOURCE) {
      preflight(exchange, "OPTIONS, " + allowed);
      return;
    }
    if (!method.equals(allowed)) {
      methodNotAllowed(exchange, kind == Receiver.Kind.EVENTSOURCE ? allowed : "OPTIONS, " + allowed);
      return;
    }
    String origin = exchange.getRequestHeaders().getFirst("Origin");
    SockJsSession session = sessions.get(id);
    if (session == null) {
      session = create(exchange, id);
      if (session == null) {
        return; // refused; answered
      }
    }
    if (!session.allows(origin)) { // another origin's session, possibly opened by a concurrent request
      refuse(exchange, 403, "origin does not match the origin that opened the session");
      return;
    }
    Headers h = exchange.getResponseHeaders();
    cors(exchange);
    h.set("Content-Type", kind.contentType);
    h.set("Cache-Control", NO_CACHE);
    Receiver receiver = new Receiver(exchange, kind);
    String refusal = session.attach(receiver);
    if (refusal != null) {
      // A closed session's close frame, or 2010: small enough for the socket's buffer, so written here.
      byte[] body = kind.encode(true, List.of(refusal)).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /**
   * Opens session {@code id} for the receiving request {@code exchange}: counts it against the limits, asks
   * the engine about the request, and hands the session to the opener.
   *
   * @return the session (possibly one a concurrent request opened first), or null when refused (answered)
   */
  private SockJsSession create(HttpExchange exchange, String id) throws IOException {
    if (closing) {
      refuse(exchange, 503, "the server is shutting down");
      return null;
    }
    InetSocketAddress remote = exchange.getRemoteAddress();
    InetAddress address = remote.getAddress();
    if (!limits.tryAcquire(address)) {
      log.debug("sockjs: refused a session from {}: connection limit reached", remote);
      refuse(exchange, 503, "too many connections");
      return null;
    }
    boolean counted = true;
    try {
      Handshake handshake = new Handshake(exchange.getRequestURI().getRawPath(),
          Objects.requireNonNullElse(exchange.getRequestURI().getRawQuery(), ""), exchange.getRequestHeaders(),
          remote);
      HandshakeDecision decision = engine.onHandshake(handshake);
      if (!decision.accepted()) {
        refuse(exchange, decision.status(), decision.reason());
        return null;
      }
      SockJsSession session = new SockJsSession(this, settings, id, handshake, decision.context(), address);
      SockJsSession prior = sessions.putIfAbsent(id, session);
      if (prior != null) {
        return prior; // a concurrent request opened it; this one joins it (and gets 2010 if both receive)
      }
      counted = false; // the session owns the count now: released when it ends
      log.debug("sockjs session {} opened from {}", id, remote);
      session.open(opener);
      if (closing) {
        session.close(CloseCodes.GOING_AWAY, "server shutting down");
      }
      return session;
    } finally {
      if (counted) {
        limits.release(address);
      }
    }
  }

  private void xhrSend(HttpExchange exchange, String id) throws IOException {
    SockJsSession session = sessions.get(id);
    if (session == null || session.isClosed()) {
      sendText(exchange, 404, "Session not found.");
      return;
    }
    if (!session.allows(exchange.getRequestHeaders().getFirst("Origin"))) {
      refuse(exchange, 403, "origin does not match the origin that opened the session");
      return;
    }
    int maxBody = settings.maxBodyBytes();
    String declared = exchange.getRequestHeaders().getFirst("Content-Length");
    byte[] body = null;
    if (declared == null || parseLength(declared) <= maxBody) {
      try {
        body = readBody(exchange, maxBody + 1);
      } catch (IOException e) {
        log.debug("sockjs session {}: reading an xhr_send body failed: {}", id, e.toString());
        exchange.close(); // the socket is gone (or was closed for taking too long)
        return;
      }
    }
    if (body == null || body.length > maxBody) {
      session.close(CloseCodes.MESSAGE_TOO_BIG, "request body over " + maxBody + " bytes");
      sendText(exchange, 413, "Payload over " + maxBody + " bytes.");
      return;
    }
    if (body.length == 0) {
      sendText(exchange, 500, "Payload expected.");
      return;
    }
    List<String> messages;
    try {
      messages = Frames.parseMessages(new String(body, StandardCharsets.UTF_8));
    } catch (Frames.BrokenJson e) {
      log.debug("sockjs session {}: broken xhr_send body: {}", id, e.getMessage());
      sendText(exchange, 500, "Broken JSON encoding.");
      return;
    }
    for (String m : messages) {
      int bytes = m.getBytes(StandardCharsets.UTF_8).length;
      if (bytes > settings.maxMessageBytes()) {
        session.close(CloseCodes.MESSAGE_TOO_BIG,
            "message is " + bytes + " bytes; the limit is " + settings.maxMessageBytes());
        sendText(exchange, 413, "Message over " + settings.maxMessageBytes() + " bytes.");
        return;
      }
    }
    if (!session.deliver(messages)) {
      sendText(exchange, 404, "Session not found.");
      return;
    }
    Headers h = exchange.getResponseHeaders();
    cors(exchange);
    h.set("Content-Type", "text/plain; charset=UTF-8");
    h.set("Cache-Control", NO_CACHE);
    exchange.sendResponseHeaders(204, -1);
    exchange.close();
  }

  /**
   * Reads at most {@code max} bytes of the request body on this (handler) thread. A body that has not arrived
   * within the I/O timeout is abandoned: this thread is interrupted, which closes the socket under the read,
   * so a client that announces a body and never sends it cannot hold a handler thread.
   */
  private byte[] readBody(HttpExchange exchange, int max) throws IOException {
    Thread reader = Thread.currentThread();
    AtomicBoolean reading = new AtomicBoolean(true);
    java.util.concurrent.ScheduledFuture<?> guard;
    try {
      guard = timer.schedule(() -> {
        synchronized (reading) {
          if (reading.get()) {
            reader.interrupt();
          }
        }
      }, settings.ioTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closed) {
      guard = null; // the feature is closed; the HTTP server stops and closes every socket
    }
    try {
      return exchange.getRequestBody().readNBytes(max);
    } finally {
      synchronized (reading) {
        reading.set(false);
      }
      if (guard != null) {
        guard.cancel(false);
      }
      Thread.interrupted(); // an interrupt for this read does not outlive it
    }
  }

  private static long parseLength(String value) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return -1; // the JDK server refuses such a request before it gets here; read it bounded if not
    }
  }

  // --- responses ---------------------------------------------------------------------------------

  /** CORS headers on every response: the request's origin (or {@code *}), with credentials. */
  private static void cors(HttpExchange exchange) {
    Headers request = exchange.getRequestHeaders();
    Headers h = exchange.getResponseHeaders();
    String origin = request.getFirst("Origin");
    boolean named = origin != null && !origin.equals("null");
    h.set("Access-Control-Allow-Origin", named ? origin : "*");
    h.set("Access-Control-Allow-Credentials", "true");
    if (named) {
      h.set("Vary", "Origin");
    }
    String asked = request.getFirst("Access-Control-Request-Headers");
    if (asked != null && !asked.isBlank()) {
      h.set("Access-Control-Allow-Headers", asked);
    }
  }

  private static void preflight(HttpExchange exchange, String methods) throws IOException {
    Headers h = exchange.getResponseHeaders();
    cors(exchange);
    h.set("Cache-Control", "public, max-age=" + ONE_YEAR_SECONDS);
    h.set("Expires", DateTimeFormatter.RFC_1123_DATE_TIME.format(
        ZonedDateTime.now(java.time.ZoneOffset.UTC).plusSeconds(ONE_YEAR_SECONDS)));
    h.set("Access-Control-Max-Age", Integer.toString(ONE_YEAR_SECONDS));
    h.set("Access-Control-Allow-Methods", methods);
    exchange.sendResponseHeaders(204, -1);
    exchange.close();
  }

  private static void methodNotAllowed(HttpExchange exchange, String allow) throws IOException {
    exchange.getResponseHeaders().set("Allow", allow);
    exchange.sendResponseHeaders(405, -1);
    exchange.close();
  }

  /** A refused session request: the status and a JSON error body, like the other HTTP features. */
  private static void refuse(HttpExchange exchange, int status, String reason) throws IOException {
    cors(exchange);
    String code = switch (status) {
      case 401 -> "unauthorized";
      case 403 -> "forbidden";
      case 429, 503 -> "unavailable";
      default -> "refused";
    };
    HttpSide.sendJson(exchange, status, HttpSide.error(code, reason));
  }

  /** A SockJS protocol answer with a plain-text body (the protocol's own error texts). */
  private static void sendText(HttpExchange exchange, int status, String text) throws IOException {
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    cors(exchange);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=UTF-8");
    exchange.getResponseHeaders().set("Cache-Control", NO_CACHE);
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  // --- lifecycle ---------------------------------------------------------------------------------

  private void startTimer() {
    synchronized (lifecycle) {
      if (timerStarted || closing) {
        return;
      }
      timerStarted = true;
      long tick = settings.tickMillis();
      timer.scheduleWithFixedDelay(this::sweep, tick, tick, TimeUnit.MILLISECONDS);
    }
  }

  /** On the timer: every session's heartbeat and timeouts; forgets closed sessions after the delay. */
  private void sweep() {
    try {
      long now = settings.clock().millis();
      for (SockJsSession s : sessions.values()) {
        if (!s.tick(now)) {
          forget(s);
        }
      }
    } catch (RuntimeException | Error e) {
      log.error("sockjs sweep failed; it runs again at the next tick", e);
    }
  }

  /**
   * A session ended: uncount it. It keeps answering with its close frame until the sweep forgets it, unless
   * {@link #MAX_LINGERING} closed sessions wait already: then it is forgotten now, so that clients that open
   * and end sessions quickly cannot make the map grow. Called once per session.
   */
  void ended(SockJsSession session) {
    limits.release(session.address);
    if (lingering.incrementAndGet() > MAX_LINGERING) {
      forget(session);
    }
    synchronized (lifecycle) {
      lifecycle.notifyAll();
    }
  }

  private void forget(SockJsSession session) {
    if (sessions.remove(session.id, session)) {
      lingering.decrementAndGet();
    }
  }

  /**
   * Closes every session with 1001 ({@code c[1001,"server shutting down"]} after what was queued), waits for
   * them to take it (see {@link #awaitClosed}), ends the rest, and ends the timer and writer threads.
   */
  @Override
  public void close() {
    synchronized (lifecycle) {
      if (closing) {
        return;
      }
      closing = true;
    }
    for (SockJsSession s : sessions.values()) {
      s.close(CloseCodes.GOING_AWAY, "server shutting down");
    }
    awaitClosed();
    for (SockJsSession s : sessions.values()) {
      s.end(CloseCodes.GOING_AWAY, "server shutting down", false); // interrupts writes still stuck
    }
    timer.shutdownNow();
    writers.shutdown();
    try {
      if (!writers.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("sockjs writers still running 5 s after close; interrupting them");
        writers.shutdownNow();
        writers.awaitTermination(5, TimeUnit.SECONDS);
      }
      timer.awaitTermination(5, TimeUnit.SECONDS);
      timerThreads.join(5_000);
      writerThreads.join(5_000);
    } catch (InterruptedException e) {
      writers.shutdownNow();
      Thread.currentThread().interrupt();
    }
    sessions.clear();
  }

  /**
   * Waits for the sessions to take their close frames: up to the close grace for those with a receiving request
   * attached (or being written), and up to {@link #SHUTDOWN_POLL_GAP_MILLIS} for those without one (a polling
   * client is back within a round trip; one that is not has most likely gone).
   */
  private void awaitClosed() {
    long start = System.nanoTime();
    long grace = settings.closeGrace().toNanos();
    long gap = Math.min(grace, TimeUnit.MILLISECONDS.toNanos(SHUTDOWN_POLL_GAP_MILLIS));
    try {
      while (true) {
        long elapsed = System.nanoTime() - start;
        boolean waiting = false;
        for (SockJsSession s : sessions.values()) {
          if (s.isClosed()) {
            continue;
          }
          if (elapsed >= gap && !s.hasReceiver()) {
            s.end(CloseCodes.GOING_AWAY, "server shutting down", false);
          } else {
            waiting = true;
          }
        }
        if (!waiting || elapsed >= grace) {
          return;
        }
        synchronized (lifecycle) {
          TimeUnit.MILLISECONDS.timedWait(lifecycle, 20);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
