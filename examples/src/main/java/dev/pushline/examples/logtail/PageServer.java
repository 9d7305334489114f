package dev.pushline.examples.logtail;

import com.google.gson.JsonObject;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a demo's page with the JDK's built-in HTTP server: {@code index.html} (or another page, such as
 * {@link ClusterDemo}'s {@code cluster.html}), {@code app.js} and {@code style.css} from the demo's web
 * resources on the classpath (the log tail's unless a demo names its own), files from elsewhere on the
 * classpath that a demo names, {@code /pushline.js} (the browser client from pushline-core's jar) unless a
 * demo names its own, {@code /config.json}, which tells the page where the WebSocket is, and the
 * {@link Endpoint}s a demo adds. Files from elsewhere on the classpath, {@code /pushline.js} among them,
 * carry {@code Access-Control-Allow-Origin: *}, so that pages of other origins may import them (a module
 * script from another origin needs CORS); they are public libraries, and the WebSocket decides which pages
 * may connect.
 *
 * <h2>Rules</h2>
 * Only {@code GET} and {@code HEAD} of the known files are served, and each endpoint answers its own
 * method; an unknown path gets 404 and another method on a known path 405. Every response carries a
 * {@code Content-Type} with a charset, {@code Cache-Control: no-cache},
 * {@code X-Content-Type-Options: nosniff} and a Content Security Policy that allows only the page's own
 * scripts and styles (the page writes log lines as text, never as HTML, so a hostile log line cannot run
 * script either way).
 *
 * <h2>POST</h2>
 * A {@code POST} changes something (it stops a node), so other sites' pages must not be able to send one:
 * it needs an {@code Origin} header naming exactly the host and port the request was sent to (a page of
 * this server), and when the server is bound to a loopback address that host must be this machine (which
 * also defeats DNS rebinding). Otherwise 403. Browsers always send {@code Origin} with a {@code POST}.
 *
 * <h2>Lifecycle</h2>
 * {@link #start} binds and returns once the server accepts requests; {@link #close} stops it, frees the
 * port and ends its threads.
 *
 * <p>Thread-safe.
 */
public final class PageServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PageServer.class);

  /** The log tail demo's web resources, the default. */
  private static final String LOGTAIL_RESOURCES = "/dev/pushline/examples/logtail/web/";
  /** The largest request body an endpoint is given; a larger one is answered 413. */
  static final int MAX_BODY_BYTES = 16 * 1024;
  /** The browser client, in pushline-core's jar. */
  private static final String CLIENT = "/dev/pushline/js/pushline.js";
  private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; "
      + "img-src 'self' data:; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; "
      + "frame-ancestors 'none'";

  private static final String JSON = "application/json; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor;
  private final Map<String, Resource> resources;
  private final Map<String, Endpoint> endpoints;
  private final boolean loopbackOnly;

  private PageServer(HttpServer server, ExecutorService executor, Map<String, Resource> resources,
      Map<String, Endpoint> endpoints) {
    this.server = server;
    this.executor = executor;
    this.resources = resources;
    this.endpoints = endpoints;
    this.loopbackOnly = server.getAddress().getAddress().isLoopbackAddress();
  }

  /**
   * Binds {@code host:port} and serves the log tail page, {@code index.html}.
   *
   * @param configJson the body of {@code /config.json}
   * @throws IOException if the address cannot be bound
   */
  static PageServer start(String host, int port, String configJson) throws IOException {
    return start(host, port, "index.html", List.of(), configJson, Map.of());
  }

  /**
   * Binds {@code host:port} and serves {@code page} at {@code /}.
   *
   * @param page the page's file name in the web resources, served at {@code /} and under its name
   * @param moreFiles other files of the web resources to serve beside {@code app.js} and {@code style.css}
   * @param configJson the body of {@code /config.json}
   * @param endpoints JSON endpoints by path ({@code /nodes}); a path may not be one of the files'
   * @throws IOException if the address cannot be bound
   */
  static PageServer start(String host, int port, String page, List<String> moreFiles, String configJson,
      Map<String, Endpoint> endpoints) throws IOException {
    return start(host, port, LOGTAIL_RESOURCES, page, moreFiles, Map.of(), configJson, endpoints);
  }

  /**
   * Binds {@code host:port} and serves another demo's page: {@code index.html} at {@code /}, with its
   * {@code app.js} and {@code style.css}, all from {@code resourceDir}.
   *
   * @param resourceDir the demo's web resources on the classpath, such as
   *     {@code /dev/pushline/examples/dashboard/web/}
   * @param classpathFiles more files by the path they are served at, each an absolute classpath resource
   *     name, such as {@code "/pushline.js"} to {@code "/dev/pushline/js/pushline.js"}
   * @param configJson the body of {@code /config.json}
   * @throws IOException if the address cannot be bound
   */
  public static PageServer start(String host, int port, String resourceDir, Map<String, String> classpathFiles,
      String configJson) throws IOException {
    return start(host, port, resourceDir, "index.html", List.of(), classpathFiles, configJson, Map.of());
  }

  /**
   * Binds {@code host:port} and serves {@code page} at {@code /}, from the web resources in
   * {@code resourceDir}, with endpoints: how a demo with a login (the chat) serves its page.
   *
   * @param resourceDir the classpath folder of the page's files, such as
   *     {@code /dev/pushline/examples/chat/web/}
   * @param page the page's file name in {@code resourceDir}, served at {@code /} and under its name
   * @param moreFiles other files to serve beside {@code app.js} and {@code style.css}: a name in
   *     {@code resourceDir}, or an absolute classpath path (starting with {@code /}), served under its last
   *     segment ({@code /dev/pushline/js/pushline.js} at {@code /pushline.js})
   * @param configJson the body of {@code /config.json}
   * @param endpoints endpoints by path ({@code /login}); a path may not be one of the files'
   * @throws IOException if the address cannot be bound
   */
  public static PageServer start(String host, int port, String resourceDir, String page, List<String> moreFiles,
      String configJson, Map<String, Endpoint> endpoints) throws IOException {
    List<String> own = new ArrayList<>();
    Map<String, String> classpathFiles = new java.util.LinkedHashMap<>();
    for (String file : moreFiles) {
      if (file.startsWith("/")) {
        classpathFiles.put(file.substring(file.lastIndexOf('/')), file);
      } else {
        own.add(file);
      }
    }
    return start(host, port, resourceDir, page, own, classpathFiles, configJson, endpoints);
  }

  private static PageServer start(String host, int port, String resourceDir, String page, List<String> moreFiles,
      Map<String, String> classpathFiles, String configJson, Map<String, Endpoint> endpoints) throws IOException {
    Objects.requireNonNull(configJson, "configJson");
    if (!resourceDir.startsWith("/") || !resourceDir.endsWith("/")) {
      throw new IllegalArgumentException("resourceDir is \"" + resourceDir + "\"; it must start and end with /");
    }
    Resource index = Resource.fromClasspath(resourceDir + page, false);
    Map<String, Resource> resources = new HashMap<>();
    resources.put("/", index);
    resources.put("/" + page, index);
    for (String file : concat(List.of("app.js", "style.css"), moreFiles)) {
      resources.put("/" + file, Resource.fromClasspath(resourceDir + file, false));
    }
    classpathFiles.forEach((path, name) -> {
      if (!path.startsWith("/") || resources.containsKey(path)) {
        throw new IllegalArgumentException("path " + path + " is taken, or does not start with /");
      }
      resources.put(path, Resource.fromClasspath(name, true));
    });
    resources.putIfAbsent("/pushline.js", Resource.fromClasspath(CLIENT, true));
    resources.put("/config.json", new Resource(configJson.getBytes(StandardCharsets.UTF_8), JSON, false));
    for (String path : endpoints.keySet()) {
      if (resources.containsKey(path) || !path.startsWith("/")) {
        throw new IllegalArgumentException("endpoint path " + path + " is a file's, or does not start with /");
      }
    }
    HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
    AtomicInteger threads = new AtomicInteger();
    String threadName = threadName(resourceDir);
    ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, threadName + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    PageServer pageServer = new PageServer(server, executor, Map.copyOf(resources), Map.copyOf(endpoints));
    server.createContext("/", pageServer::handle);
    server.setExecutor(executor);
    server.start();
    return pageServer;
  }

  /** {@code logtail-http-} for the log tail's resources, {@code dashboard-http-} for the dashboard's. */
  private static String threadName(String resourceDir) {
    String dir = resourceDir.endsWith("/web/") ? resourceDir.substring(0, resourceDir.length() - "/web/".length())
        : resourceDir.substring(0, resourceDir.length() - 1);
    return dir.substring(dir.lastIndexOf('/') + 1) + "-http-";
  }

  /** The bound port; the real one when started with port 0. */
  public int port() {
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
      Endpoint endpoint = endpoints.get(path);
      if (endpoint != null) {
        answer(exchange, endpoint);
        return;
      }
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
      if (resource.anyOrigin()) {
        headers.set("Access-Control-Allow-Origin", "*");
      }
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

  /** Runs {@code endpoint} if the method is its own (and, for POST, the origin is this page's). */
  private void answer(HttpExchange exchange, Endpoint endpoint) throws IOException {
    String method = exchange.getRequestMethod();
    if (!method.equals(endpoint.method())) {
      exchange.getResponseHeaders().set("Allow", endpoint.method());
      sendText(exchange, 405, "Method not allowed: " + exchange.getRequestURI().getPath() + " takes "
          + endpoint.method() + " only\n");
      return;
    }
    if (method.equals("POST") && !sameOrigin(exchange.getRequestHeaders())) {
      sendJson(exchange, 403, error("only this page may send POST requests here (Origin must match Host)"));
      return;
    }
    byte[] request = exchange.getRequestBody().readNBytes(MAX_BODY_BYTES + 1);
    if (request.length > MAX_BODY_BYTES) {
      sendJson(exchange, 413, error("the request body is over " + MAX_BODY_BYTES + " bytes"));
      return;
    }
    String body;
    try {
      body = endpoint.action().apply(new String(request, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      sendJson(exchange, 400, error(e.getMessage())); // the request is wrong, said to the user
      return;
    } catch (IllegalStateException e) {
      sendJson(exchange, 409, error(e.getMessage())); // not possible now, said to the user
      return;
    } catch (RuntimeException e) {
      log.warn("{} {} failed", method, exchange.getRequestURI().getPath(), e);
      sendJson(exchange, 500, error(String.valueOf(e.getMessage())));
      return;
    }
    sendJson(exchange, 200, body);
  }

  /** Whether a request's {@code Origin} is the page of this server, by the rule under "POST" above. */
  boolean sameOrigin(Headers headers) {
    String origin = headers.getFirst("Origin");
    String host = headers.getFirst("Host");
    if (origin == null || host == null) {
      return false;
    }
    URI uri;
    try {
      uri = new URI(origin.trim());
    } catch (URISyntaxException e) {
      return false;
    }
    if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getRawAuthority() == null || uri.getHost() == null) {
      return false;
    }
    if (!uri.getRawAuthority().equalsIgnoreCase(host.trim())) {
      return false;
    }
    return !loopbackOnly || OriginCheckingTransport.isLoopback(uri.getHost().toLowerCase(Locale.ROOT));
  }

  private static String error(String message) {
    JsonObject json = new JsonObject();
    json.addProperty("error", message);
    return json.toString();
  }

  private static void sendJson(HttpExchange exchange, int status, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", JSON);
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  /**
   * A JSON endpoint: {@code action} runs for each request of {@code method} and returns the body of a 200
   * answer; an {@link IllegalStateException} becomes 409 and any other exception 500, each with
   * {@code {"error": message}}. It runs on the server's threads.
   */
  public record Endpoint(String method, Function<String, String> action) {
    public Endpoint {
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(action, "action");
    }

    /** An endpoint that does not read the request's body. */
    public Endpoint(String method, Supplier<String> action) {
      this(method, ignoringBody(action));
    }

    private static Function<String, String> ignoringBody(Supplier<String> action) {
      Objects.requireNonNull(action, "action");
      return body -> action.get();
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

  /** A response body held in memory, with its content type and whether pages of any origin may read it. */
  private record Resource(byte[] body, String contentType, boolean anyOrigin) {

    /** The resource of absolute classpath name {@code name}. */
    static Resource fromClasspath(String name, boolean anyOrigin) {
      String contentType = name.endsWith(".html") ? "text/html; charset=utf-8"
          : name.endsWith(".js") ? "text/javascript; charset=utf-8"
          : name.endsWith(".css") ? "text/css; charset=utf-8"
          : "application/octet-stream";
      try (InputStream in = PageServer.class.getResourceAsStream(name)) {
        if (in == null) {
          throw new IllegalStateException("resource " + name + " is missing from the classpath");
        }
        return new Resource(in.readAllBytes(), contentType, anyOrigin);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read resource " + name, e);
      }
    }
  }
}
