package dev.pushline.internal.http.api;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import dev.pushline.ClientInfo;
import dev.pushline.Publication;
import dev.pushline.broker.BrokerException;
import dev.pushline.broker.HistoryQuery;
import dev.pushline.broker.HistoryResult;
import dev.pushline.broker.StreamPosition;
import dev.pushline.internal.HostChannels;
import dev.pushline.internal.http.Deadlines;
import dev.pushline.internal.http.HttpFeature;
import dev.pushline.internal.http.HttpSide;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API at {@code /api}, for the application's backends in any language: publish to channels, read a
 * channel's history, list its presence. JSON in and out; documented in {@code http-api.md}.
 *
 * <h2>Checks, in order</h2>
 * A request with an {@code Origin} header (a browser) is refused 403; then the API key (401), the key's token
 * bucket (429), the route (404), the method (405), and for a body its type (415), size (413) and content
 * (400). Only then does the broker see the request.
 *
 * <h2>Threads</h2>
 * {@link #handle} runs on the HTTP side's handler pool: it examines the request, reads its body (within the
 * I/O limit, see {@link Deadlines}) and starts the broker call, and returns without waiting for the broker.
 * The response is written when the broker's future completes, on this feature's own pool
 * ({@code pushline-api-N}), never on the thread that completed it (for a Redis broker, its I/O thread). Every
 * response write is bounded by the same I/O limit, so a client that does not read cannot hold a thread.
 *
 * <p>Thread-safe.
 */
public final class ApiFeature implements HttpFeature {

  private static final Logger log = LoggerFactory.getLogger(ApiFeature.class);

  static final String PUBLISH = "/api/publish";
  static final int DEFAULT_LIMIT = 100;
  static final int MAX_LIMIT = 1_000;
  private static final int RESPONDER_THREADS = 4;
  /**
   * How long a refusal may take. It is small, but the JDK's server reads (drains) the unread rest of the
   * request body when the exchange ends, and waits for a body that was announced and never sent.
   */
  private static final long REFUSAL_MILLIS = 1_000;

  private final HostChannels channels;
  private final ApiKeys keys;
  private final int maxBodyBytes;
  private final Deadlines deadlines;
  private final ThreadPoolExecutor responderPool;
  /** The pool, or nothing once it is closed: the HTTP side is stopping and drops every connection anyway. */
  private final Executor responders;

  /**
   * @param channels where publications, history and presence come from
   * @param keys the accepted API keys, at least one (see {@link #keyProblem})
   * @param perSecond requests per second each key may make on average
   * @param burst requests each key may make at once
   * @param clock the clock the token buckets refill by
   * @param maxBodyBytes the largest request body accepted
   * @param ioTimeout how long reading a request body, and writing a response, may take
   */
  public ApiFeature(HostChannels channels, List<String> keys, int perSecond, int burst, Clock clock,
      int maxBodyBytes, Duration ioTimeout) {
    this.channels = channels;
    this.keys = new ApiKeys(keys, perSecond, burst, clock);
    this.maxBodyBytes = maxBodyBytes;
    this.deadlines = new Deadlines(ioTimeout, "pushline-api-timer");
    AtomicInteger n = new AtomicInteger();
    this.responderPool = new ThreadPoolExecutor(RESPONDER_THREADS, RESPONDER_THREADS, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "pushline-api-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    responderPool.allowCoreThreadTimeOut(true);
    this.responders = task -> {
      try {
        responderPool.execute(task);
      } catch (RejectedExecutionException closing) {
        // Closed: the response is dropped with its connection, which the HTTP side closes next. Throwing
        // instead would throw in the thread that completed the broker's future.
      }
    };
  }

  /**
   * Null when {@code key} may be an API key, else why not (without the key, a secret): 16 to 512
   * characters, printable ASCII without spaces.
   */
  public static String keyProblem(String key) {
    return ApiKeys.problem(key);
  }

  @Override
  public String path() {
    return "/api";
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try {
      serve(exchange);
    } catch (ApiError e) {
      log.debug("HTTP API {} {} refused: {} {}", exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
          e.status, e.code);
      respond(exchange, e.status, ApiError.body(e.code, e.getMessage(), null), e.headers,
          Math.min(REFUSAL_MILLIS, deadlines.millis()));
    } catch (IOException e) {
      // The body did not arrive within the I/O limit, or the client left: its mistake, not the server's.
      log.debug("HTTP API {} {} from {}: reading the body failed: {}", exchange.getRequestMethod(),
          exchange.getRequestURI().getRawPath(), exchange.getRemoteAddress(), e.toString());
      exchange.close();
    }
  }

  @Override
  public void close() {
    responderPool.shutdownNow();
    deadlines.close();
    try {
      responderPool.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void serve(HttpExchange exchange) throws IOException {
    if (exchange.getRequestHeaders().containsKey("Origin")) {
      throw new ApiError(403, "forbidden", "the HTTP API is for servers, not browsers: requests with an "
          + "Origin header are refused (keep API keys out of web pages)");
    }
    int key = keys.authenticate(exchange.getRequestHeaders());
    if (!keys.tryAcquire(key)) {
      throw new ApiError(429, "rate_limited", "too many requests with this API key; retry later",
          Map.of("Retry-After", "1"));
    }
    String path = exchange.getRequestURI().getRawPath();
    if (path.equals(PUBLISH)) {
      requireMethod(exchange, "POST");
      publish(exchange, PublishRequest.parse(body(exchange)));
      return;
    }
    ChannelRoute route = ChannelRoute.parse(path);
    if (route == null) {
      throw new ApiError(404, "not_found", "no API endpoint at " + PublishRequest.clip(path)
          + "; see POST /api/publish, GET /api/channels/<channel>/history, GET /api/channels/<channel>/presence");
    }
    requireMethod(exchange, "GET");
    String channel = route.validChannel();
    if (route.action().equals("history")) {
      history(exchange, channel, historyQuery(exchange.getRequestURI().getRawQuery()));
    } else {
      presence(exchange, channel);
    }
  }

  // --- endpoints ------------------------------------------------------------------------------------

  private void publish(HttpExchange exchange, PublishRequest request) {
    List<CompletableFuture<StreamPosition>> futures = new ArrayList<>(request.channels().size());
    for (String channel : request.channels()) {
      CompletableFuture<StreamPosition> f;
      try {
        f = channels.publish(channel, request.event(), request.data());
      } catch (IllegalStateException stopping) {
        f = CompletableFuture.failedFuture(stopping);
      }
      futures.add(f);
    }
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).handleAsync((ignored, anyFailure) -> {
      JsonObject published = new JsonObject();
      JsonArray failed = new JsonArray();
      Throwable failure = null;
      for (int i = 0; i < futures.size(); i++) {
        String channel = request.channels().get(i);
        CompletableFuture<StreamPosition> f = futures.get(i);
        if (f.isCompletedExceptionally()) {
          failed.add(channel);
          failure = failure != null ? failure : cause(f);
        } else {
          StreamPosition position = f.join();
          JsonObject p = new JsonObject();
          p.addProperty("offset", position.offset());
          p.addProperty("epoch", position.epoch());
          published.add(channel, p);
        }
      }
      JsonObject body = new JsonObject();
      body.add("published", published);
      if (failure == null) {
        respond(exchange, 200, body.toString(), Map.of());
      } else {
        body.add("failed", failed);
        unavailable(exchange, "publish to " + failed, failure, body, "could not publish to the channels under "
            + "\"failed\" (each may or may not have been published); those under \"published\" were");
      }
      return null;
    }, responders).exceptionally(e -> internal(exchange, e));
  }

  private void history(HttpExchange exchange, String channel, HistoryQuery query) {
    channels.history(channel, query).handleAsync((result, failure) -> {
      if (failure != null) {
        unavailable(exchange, "read the history of " + channel, unwrap(failure), null, "could not read the history");
        return null;
      }
      respond(exchange, 200, historyJson(channel, result), Map.of());
      return null;
    }, responders).exceptionally(e -> internal(exchange, e));
  }

  private void presence(HttpExchange exchange, String channel) {
    if (!channels.presenceEnabled(channel)) {
      throw new ApiError(404, "presence_disabled", "presence is off for channel " + channel
          + " (the server turns it on per namespace with ChannelOptions.withPresence(true))");
    }
    channels.presence(channel).handleAsync((clients, failure) -> {
      if (failure != null) {
        unavailable(exchange, "read the presence of " + channel, unwrap(failure), null, "could not read presence");
        return null;
      }
      JsonArray list = new JsonArray();
      for (ClientInfo c : clients) {
        JsonObject o = new JsonObject();
        o.addProperty("client", c.clientId());
        o.addProperty("user", c.userId());
        o.add("info", c.info());
        list.add(o);
      }
      JsonObject body = new JsonObject();
      body.addProperty("channel", channel);
      body.add("clients", list);
      respond(exchange, 200, body.toString(), Map.of());
      return null;
    }, responders).exceptionally(e -> internal(exchange, e));
  }

  private static String historyJson(String channel, HistoryResult result) {
    JsonArray publications = new JsonArray();
    for (Publication p : result.publications()) {
      JsonObject o = new JsonObject();
      o.addProperty("offset", p.offset());
      o.addProperty("event", p.event());
      o.add("data", p.data());
      publications.add(o);
    }
    JsonObject body = new JsonObject();
    body.addProperty("channel", channel);
    body.addProperty("offset", result.position().offset());
    body.addProperty("epoch", result.position().epoch());
    body.add("publications", publications);
    return body.toString();
  }

  // --- request parts --------------------------------------------------------------------------------

  private static void requireMethod(HttpExchange exchange, String method) {
    if (!exchange.getRequestMethod().equals(method)) {
      throw new ApiError(405, "method_not_allowed", exchange.getRequestMethod() + " is not allowed here; use "
          + method, Map.of("Allow", method));
    }
  }

  /** The request body: JSON, at most {@link #maxBodyBytes}, read within the I/O limit. */
  private byte[] body(HttpExchange exchange) throws IOException {
    String type = exchange.getRequestHeaders().getFirst("Content-Type");
    if (!isJson(type)) {
      throw new ApiError(415, "unsupported_media_type", "the body must be JSON, sent with "
          + "\"Content-Type: application/json\"; it was " + (type == null ? "sent without one" : PublishRequest.clip(type)));
    }
    String length = exchange.getRequestHeaders().getFirst("Content-Length");
    if (length != null && length.trim().matches("[0-9]{1,18}") && Long.parseLong(length.trim()) > maxBodyBytes) {
      throw tooLarge(); // before reading any of it
    }
    InputStream in = exchange.getRequestBody();
    byte[] body = deadlines.run(() -> in.readNBytes(maxBodyBytes + 1));
    if (body.length > maxBodyBytes) {
      throw tooLarge();
    }
    return body;
  }

  private ApiError tooLarge() {
    return new ApiError(413, "too_large", "the body is over " + maxBodyBytes + " bytes");
  }

  /** {@code application/json}, with no charset or UTF-8. */
  private static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    String[] parts = contentType.split(";");
    if (!parts[0].trim().equalsIgnoreCase("application/json")) {
      return false;
    }
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i].trim().toLowerCase(Locale.ROOT);
      if (p.startsWith("charset=") && !p.equals("charset=utf-8") && !p.equals("charset=\"utf-8\"")) {
        return false;
      }
    }
    return true;
  }

  /** {@code limit} (0 to 1,000, default 100) and {@code after} (an offset), both optional. */
  private static HistoryQuery historyQuery(String rawQuery) {
    Map<String, String> params = new HashMap<>();
    if (rawQuery != null && !rawQuery.isEmpty()) {
      for (String pair : rawQuery.split("&", -1)) {
        int eq = pair.indexOf('=');
        String name = eq < 0 ? pair : pair.substring(0, eq);
        if (!name.equals("limit") && !name.equals("after")) {
          throw ApiError.badRequest("unknown query parameter \"" + PublishRequest.clip(name)
              + "\"; history takes limit and after");
        }
        if (params.put(name, eq < 0 ? "" : decode(pair.substring(eq + 1))) != null) {
          throw ApiError.badRequest("query parameter " + name + " is given twice");
        }
      }
    }
    int limit = (int) integer(params.get("limit"), "limit", DEFAULT_LIMIT, MAX_LIMIT);
    long after = integer(params.get("after"), "after", -1, Long.MAX_VALUE);
    return after < 0 ? HistoryQuery.latest(limit) : HistoryQuery.after(after, limit);
  }

  private static long integer(String value, String name, long absent, long max) {
    if (value == null) {
      return absent;
    }
    long n;
    try {
      n = Long.parseLong(value);
    } catch (NumberFormatException e) {
      n = -1;
    }
    if (n < 0 || n > max || !value.matches("[0-9]+")) {
      throw ApiError.badRequest(name + " is \"" + PublishRequest.clip(value) + "\"; it must be an integer from 0 to "
          + max);
    }
    return n;
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest("the query is not validly percent-encoded");
    }
  }

  // --- responses ------------------------------------------------------------------------------------

  /**
   * A broker failure, or the server stopping: 503 {@code unavailable}. A broker failure is logged once at WARN
   * (something outside failed); its message stays in the log, as it may name the broker's address.
   *
   * @param what what failed, for the log
   * @param outcome what the client is told happened
   */
  private void unavailable(HttpExchange exchange, String what, Throwable failure, JsonObject extra, String outcome) {
    String message;
    if (failure instanceof IllegalStateException) {
      message = "the server is shutting down: " + outcome;
    } else {
      if (failure instanceof BrokerException) {
        log.warn("HTTP API: {} failed: {}", what, failure.toString());
      } else {
        log.warn("HTTP API: {} failed", what, failure);
      }
      message = "the broker failed: " + outcome + "; try again later";
    }
    respond(exchange, 503, ApiError.body("unavailable", message, extra), Map.of("Retry-After", "1"));
  }

  /** A bug in this feature: the client gets a 500, the log the cause. */
  private Void internal(HttpExchange exchange, Throwable e) {
    log.error("HTTP API {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(), e);
    respond(exchange, 500, ApiError.body("internal", "the server failed on this request", null), Map.of());
    return null;
  }

  /** Sends a whole JSON response within the I/O limit, or drops the connection. */
  private void respond(HttpExchange exchange, int status, String json, Map<String, String> headers) {
    respond(exchange, status, json, headers, deadlines.millis());
  }

  /** Sends a whole JSON response within {@code limitMillis}, or drops the connection. */
  private void respond(HttpExchange exchange, int status, String json, Map<String, String> headers,
      long limitMillis) {
    headers.forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
    try {
      deadlines.run(limitMillis, () -> {
        if (exchange.getRequestMethod().equals("HEAD")) {
          exchange.sendResponseHeaders(status, -1); // no body, or the JDK's server complains
          exchange.close();
        } else {
          HttpSide.sendJson(exchange, status, json);
        }
        return null;
      });
    } catch (IOException e) {
      log.debug("HTTP API response {} to {} not sent: {}", status, exchange.getRemoteAddress(), e.toString());
      exchange.close();
    }
  }

  private static Throwable cause(CompletableFuture<?> failed) {
    try {
      failed.join();
      return null;
    } catch (CompletionException | java.util.concurrent.CancellationException e) {
      return unwrap(e);
    }
  }

  private static Throwable unwrap(Throwable e) {
    return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
  }
}
