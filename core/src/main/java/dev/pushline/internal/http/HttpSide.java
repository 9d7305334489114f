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
 * <p>Started once and closed once by {@code PushServer}. Thread-safe.
 */
public final class HttpSide {

  private static final Logger log = LoggerFactory.getLogger(HttpSide.class);

  /** Handler threads: requests are short (streams hand their body to a writer and return). */
  private static final int HANDLER_THREADS = 4;

  /**
   * How long HttpSide's own answers (404, 500) may take, request body included: the JDK server reads off an
   * unread request body before it ends an exchange, with no time limit, so a client declaring a body it never
   * sends would hold a handler thread for ever.
   */
  private static final java.time.Duration OWN_ANSWER_LIMIT = java.time.Duration.ofSeconds(1);

  private final String host;
  private final int port;
  private final SSLContext tls;
  private final List<HttpFeature> features;
  private HttpServer server;
  private ExecutorService handlers;
  private Deadlines deadlines; // bounds the I/O of the answers HttpSide gives itself (404, 500)

  /**
   * @param host the interface to bind
   * @param port the port to bind; 0 picks a free one
   * @param tls the TLS context to serve HTTPS with, or null for plain HTTP
   * @param features what to serve; paths must not repeat
   */
  public HttpSide(String host, int port, SSLContext tls, List<HttpFeature> features) {
    this.host = host;
    this.port = port;
    this.tls = tls;
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
    handlers = new ThreadPoolExecutor(HANDLER_THREADS, HANDLER_THREADS, 60, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "pushline-http-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    s.setExecutor(handlers);
    deadlines = new Deadlines(OWN_ANSWER_LIMIT, "pushline-http-timer");
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

  private void route(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getRawPath();
    try {
      for (HttpFeature f : features) {
        if (path.equals(f.path()) || path.startsWith(f.path() + "/")) {
          f.handle(exchange);
          return;
        }
      }
      answerOwn(exchange, 404, error("not_found", "nothing is served at " + path));
    } catch (IOException | RuntimeException e) {
      log.warn("HTTP {} {} failed", exchange.getRequestMethod(), path, e);
      try {
        answerOwn(exchange, 500, error("internal", "the server failed on this request"));
      } catch (IOException | RuntimeException ignored) {
        exchange.close(); // the head was sent already, or the peer left
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
