package dev.pushline.examples.logtail;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the demo's page with the JDK's built-in HTTP server: {@code index.html}, {@code app.js} and
 * {@code style.css} from the classpath, and {@code /config.json}, which tells the page where the
 * WebSocket is.
 *
 * <h2>Rules</h2>
 * Only {@code GET} and {@code HEAD} of the known paths are served; an unknown path gets 404 and another
 * method on a known path 405. Every response carries a {@code Content-Type} with a charset,
 * {@code Cache-Control: no-cache}, {@code X-Content-Type-Options: nosniff} and a Content Security Policy
 * that allows only the page's own scripts and styles (the page writes log lines as text, never as HTML,
 * so a hostile log line cannot run script either way).
 *
 * <h2>Lifecycle</h2>
 * {@link #start} binds and returns once the server accepts requests; {@link #close} stops it, frees the
 * port and ends its threads.
 *
 * <p>Thread-safe.
 */
final class PageServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PageServer.class);

  private static final String RESOURCES = "/dev/pushline/examples/logtail/web/";
  private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; "
      + "img-src 'self' data:; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; "
      + "frame-ancestors 'none'";

  private final HttpServer server;
  private final ExecutorService executor;
  private final Map<String, Resource> resources;

  private PageServer(HttpServer server, ExecutorService executor, Map<String, Resource> resources) {
    this.server = server;
    this.executor = executor;
    this.resources = resources;
  }

  /**
   * Binds {@code host:port} and starts serving.
   *
   * @param configJson the body of {@code /config.json}
   * @throws IOException if the address cannot be bound
   */
  static PageServer start(String host, int port, String configJson) throws IOException {
    Objects.requireNonNull(configJson, "configJson");
    Resource index = Resource.fromClasspath("index.html", "text/html; charset=utf-8");
    Map<String, Resource> resources = Map.of(
        "/", index,
        "/index.html", index,
        "/app.js", Resource.fromClasspath("app.js", "text/javascript; charset=utf-8"),
        "/style.css", Resource.fromClasspath("style.css", "text/css; charset=utf-8"),
        "/config.json", new Resource(configJson.getBytes(StandardCharsets.UTF_8),
            "application/json; charset=utf-8"));
    HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
    AtomicInteger threads = new AtomicInteger();
    ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "logtail-http-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    PageServer page = new PageServer(server, executor, resources);
    server.createContext("/", page::handle);
    server.setExecutor(executor);
    server.start();
    return page;
  }

  /** The bound port; the real one when started with port 0. */
  int port() {
    return server.getAddress().getPort();
  }

  /** Stops serving, frees the port and ends the server's threads. Idempotent. */
  @Override
  public void close() {
    if (executor.isShutdown()) {
      return;
    }
    server.stop(0);
    executor.shutdown();
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getPath();
      Resource resource = resources.get(path);
      Headers headers = exchange.getResponseHeaders();
      headers.set("Cache-Control", "no-cache");
      headers.set("X-Content-Type-Options", "nosniff");
      headers.set("Referrer-Policy", "no-referrer");
      if (resource == null) {
        sendText(exchange, 404, "Not found: there is nothing at " + path + "\n");
        return;
      }
      if (!method.equals("GET") && !method.equals("HEAD")) {
        headers.set("Allow", "GET, HEAD");
        sendText(exchange, 405, "Method not allowed: " + path + " takes GET and HEAD only\n");
        return;
      }
      headers.set("Content-Type", resource.contentType());
      headers.set("Content-Security-Policy", CSP);
      if (method.equals("HEAD")) {
        // The length GET would send, and no body (-1 tells the JDK server there is none).
        headers.set("Content-Length", Integer.toString(resource.body().length));
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      exchange.sendResponseHeaders(200, resource.body().length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(resource.body());
      }
    } catch (IOException e) {
      // The browser went away mid-response; nothing to do for it, and other requests are unaffected.
      log.debug("could not answer {} {}: {}", exchange.getRequestMethod(), exchange.getRequestURI(), e.toString());
    }
  }

  private static void sendText(HttpExchange exchange, int status, String text) throws IOException {
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    if (exchange.getRequestMethod().equals("HEAD")) {
      exchange.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  /** A response body held in memory, with its content type. */
  private record Resource(byte[] body, String contentType) {

    static Resource fromClasspath(String name, String contentType) {
      try (InputStream in = PageServer.class.getResourceAsStream(RESOURCES + name)) {
        if (in == null) {
          throw new IllegalStateException("resource " + RESOURCES + name + " is missing from the classpath");
        }
        return new Resource(in.readAllBytes(), contentType);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read resource " + RESOURCES + name, e);
      }
    }
  }
}
