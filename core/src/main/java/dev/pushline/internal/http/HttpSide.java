package dev.pushline.internal.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The library's one HTTP server (the JDK's {@code com.sun.net.httpserver}), on a port of its own beside the
 * WebSocket port. It serves the {@link HttpFeature}s it is given, each under its path prefix; any other path
 * gets a JSON 404.
 *
 * <h2>Threads and the request head</h2>
 *
 * <p>The JDK server reads each request's line and headers on a handler thread, with blocking I/O and no time
 * limit, before any handler of ours runs; so a client that sends half a head and then nothing would hold that
 * thread for good, and enough such clients would hold them all. Each exchange therefore runs with a deadline
 * ({@code headTimeout}) armed when its handler thread starts it and ended when {@link #route} is entered, that is,
 * once the head was read: if the head is not read by then, the thread is interrupted, which closes the
 * connection under the blocked read (the server's channels are interruptible) and frees the thread. A
 * connection kept alive between requests is watched by the server's selector, not by a handler thread, so no
 * deadline runs while it is idle; a stream (SSE, SockJS) is past {@link #route} once it started, so none cuts it.
 *
 * <h2>Threads and the feature's answer</h2>
 *
 * <p>A feature's {@link HttpFeature#handle} is bounded the same way ({@code handleTimeout}): when an answer is
 * sent without reading the request body (a 405, a refusal), the JDK server reads off the declared body before
 * it ends the exchange, again with no limit, so a client declaring a body it never sends would hold the
 * thread. Bounding every handler here, rather than each answer in each feature, covers all of them. Handlers
 * return once a stream's head is sent, so no stream is cut by it; the limit is longer than the features' own
 * I/O limits, which answer first.
 *
 * <p>Started once and closed once by {@code PushServer}. Thread-safe.
 */
public final class HttpSide {

  private static final Logger log = LoggerFactory.getLogger(HttpSide.class);

  /**
   * Handler threads, created on demand, idle ones ending after {@link #IDLE_HANDLER_SECONDS}. Requests are short
   * (streams hand their body to a writer and return), but a client that stalls its request head holds a thread
   * until the head deadline frees it; with threads to spare, a handful of such clients does not make everyone
   * else wait that long. Past this many, exchanges queue, and each one's deadline counts from when a thread
   * takes it. Public for tests that need more stalled clients than threads.
   */
  public static final int MAX_HANDLER_THREADS = 32;

  private static final long IDLE_HANDLER_SECONDS = 30;

  /**
   * How long HttpSide's own answers (404, 500) may take, request body included: the JDK server reads off an
   * unread request body before it ends an exchange, with no time limit, so a client declaring a body it never
   * sends would hold a handler thread for ever.
   */
  private static final java.time.Duration OWN_ANSWER_LIMIT = java.time.Duration.ofSeconds(1);

  private final String host;
  private final int port;
  private final SSLContext tls;
  private final long headTimeoutMillis;
  private final long handleTimeoutMillis;
  private final List<HttpFeature> features;
  /** On a handler thread, the deadline of the exchange it runs, until its head was read; else unset. */
  private final ThreadLocal<Deadlines.Deadline> headDeadline = new ThreadLocal<>();
  private HttpServer server;
  private ExecutorService handlers;
  private Deadlines deadlines; // bounds request heads, and the I/O of the answers HttpSide gives itself (404, 500)

  /**
   * @param host the interface to bind
   * @param port the port to bind; 0 picks a free one
   * @param tls the TLS context to serve HTTPS with, or null for plain HTTP
   * @param headTimeout how long a handler thread may spend reading a request's head (and, with TLS, the
   *     handshake before it); past it the connection is closed
   * @param handleTimeout how long a feature's {@link HttpFeature#handle} may take, request body and answer
   *     included; past it the connection is closed
   * @param features what to serve; paths must not repeat
   */
  public HttpSide(String host, int port, SSLContext tls, java.time.Duration headTimeout,
      java.time.Duration handleTimeout, List<HttpFeature> features) {
    if (headTimeout.isNegative() || headTimeout.isZero()) {
      throw new IllegalArgumentException("headTimeout is " + headTimeout + "; it must be > 0");
    }
    this.host = host;
    this.port = port;
    this.tls = tls;
    if (handleTimeout.isNegative() || handleTimeout.isZero()) {
      throw new IllegalArgumentException("handleTimeout is " + handleTimeout + "; it must be > 0");
    }
    this.headTimeoutMillis = headTimeout.toMillis();
    this.handleTimeoutMillis = handleTimeout.toMillis();
    this.features = List.copyOf(features);
  }

  /** Binds and starts serving; returns the bound address. */
  public synchronized InetSocketAddress start() throws IOException {
    if (server != null) {
      throw new IllegalStateException("the HTTP side was started before");
    }
    // The JDK server writes a response's head and body in separate writes; with Nagle's algorithm on, a
    // kept-alive client's next answer (and each small event of a stream) can wait ~40 ms for a delayed ACK.
    // The switch is JVM-wide and read once, when the first JDK HTTP server starts: set it unless the host
    // chose a value itself.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
    InetSocketAddress bind = new InetSocketAddress(host, port);
    HttpServer s;
    if (tls != null) {
      HttpsServer https = HttpsServer.create(bind, 256);
      https.setHttpsConfigurator(new HttpsConfigurator(tls));
      s = https;
    } else {
      s = HttpServer.create(bind, 256);
    }
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool = new ThreadPoolExecutor(MAX_HANDLER_THREADS, MAX_HANDLER_THREADS,
        IDLE_HANDLER_SECONDS, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "pushline-http-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    pool.allowCoreThreadTimeOut(true);
    handlers = pool;
    deadlines = new Deadlines(OWN_ANSWER_LIMIT, "pushline-http-timer");
    s.setExecutor(exchange -> pool.execute(() -> runExchange(exchange)));
    s.createContext("/", this::route);
    s.start();
    server = s;
    return s.getAddress();
  }

  /** The bound address. */
  public synchronized InetSocketAddress address() {
    return server.getAddress();
  }

  /** Ends every feature's streams, stops the server, and ends its threads. Idempotent. */
  public synchronized void close() {
    if (server == null) {
      return;
    }
    for (HttpFeature f : features) {
      try {
        f.close();
      } catch (RuntimeException e) {
        log.warn("closing the HTTP feature at {} failed", f.path(), e);
      }
    }
    server.stop(0);
    handlers.shutdownNow();
    deadlines.close();
    try {
      handlers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    server = null;
  }

  /**
   * Runs one exchange of the JDK server on this handler thread: reading its request head, then {@link #route}.
   * The head deadline is armed now (not when the exchange was queued: what it bounds is how long this thread
   * is held) and ended by {@link #route}.
   */
  private void runExchange(Runnable exchange) {
    Deadlines.Deadline head;
    try {
      head = deadlines.arm(headTimeoutMillis);
    } catch (IOException closing) {
      // HttpSide is closing: the server stopped and closed every connection, so the exchange ends at its
      // first read; run it so that the server's bookkeeping for it is done.
      exchange.run();
      return;
    }
    headDeadline.set(head);
    try {
      exchange.run();
    } finally {
      boolean routed = headDeadline.get() == null;
      headDeadline.remove();
      if (head.end() && !routed) {
        log.debug("an HTTP request head was not read within {} ms; its connection was closed", headTimeoutMillis);
      }
      // Whatever interrupted this exchange (its head deadline, or a handler's I/O deadline) is over with it:
      // the next exchange on this thread starts clean. (A pool that was shut down runs no further task.)
      Thread.interrupted();
    }
  }

  /** The request head was read: ends its deadline, so that nothing a handler does is cut by it. */
  private void headRead() {
    Deadlines.Deadline head = headDeadline.get();
    if (head == null) {
      return;
    }
    headDeadline.remove();
    if (head.end()) {
      // It fired after the head's last read (a read it interrupted would have failed and closed the
      // connection, and the exchange would not be here): the head is whole and the connection open, so the
      // request is served, without the interrupt.
      Thread.interrupted();
    }
  }

  private void route(HttpExchange exchange) throws IOException {
    headRead();
    String path = exchange.getRequestURI().getRawPath();
    try {
      for (HttpFeature f : features) {
        if (path.equals(f.path()) || path.startsWith(f.path() + "/")) {
          handle(f, exchange);
          return;
        }
      }
      answerOwn(exchange, 404, error("not_found", "nothing is served at " + path));
    } catch (IOException e) {
      // The peer left or stalled (its socket failed under us): its business, not a server fault to warn of.
      log.debug("HTTP {} {}: {}", exchange.getRequestMethod(), path, e.toString());
      exchange.close();
    } catch (RuntimeException e) {
      log.warn("HTTP {} {} failed", exchange.getRequestMethod(), path, e);
      try {
        answerOwn(exchange, 500, error("internal", "the server failed on this request"));
      } catch (IOException | RuntimeException ignored) {
        exchange.close(); // the head was sent already, or the peer left
      }
    }
  }

  /** Runs {@code f.handle}, closing the connection under it if it takes longer than the handle deadline. */
  private void handle(HttpFeature f, HttpExchange exchange) throws IOException {
    Deadlines.Deadline deadline = deadlines.arm(handleTimeoutMillis);
    try {
      f.handle(exchange);
    } finally {
      if (deadline.end()) {
        Thread.interrupted(); // ours; the exchange's connection is closed, the thread goes on
        log.debug("HTTP {} {} took over {} ms; its connection was closed", exchange.getRequestMethod(),
            exchange.getRequestURI().getRawPath(), handleTimeoutMillis);
      }
    }
  }

  /** Sends one of HttpSide's own answers, closing the connection if it (or the unread body) takes too long. */
  private void answerOwn(HttpExchange exchange, int status, String json) throws IOException {
    exchange.getResponseHeaders().set("Connection", "close");
    deadlines.run(() -> {
      sendJson(exchange, status, json);
      return null;
    });
  }

  /** A JSON error body {@code {"error":{"code":..,"message":..}}}. */
  public static String error(String code, String message) {
    com.google.gson.JsonObject e = new com.google.gson.JsonObject();
    e.addProperty("code", code);
    e.addProperty("message", message);
    com.google.gson.JsonObject body = new com.google.gson.JsonObject();
    body.add("error", e);
    return body.toString();
  }

  /** Sends a whole JSON response and closes the exchange. */
  public static void sendJson(HttpExchange exchange, int status, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    try (var out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
