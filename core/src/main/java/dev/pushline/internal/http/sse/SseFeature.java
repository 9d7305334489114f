package dev.pushline.internal.http.sse;

import dev.pushline.internal.NamedThreads;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import dev.pushline.CloseCodes;
import dev.pushline.broker.StreamPosition;
import dev.pushline.internal.http.HttpFeature;
import dev.pushline.internal.http.HttpLimits;
import dev.pushline.internal.http.HttpSide;
import dev.pushline.transport.Handshake;
import dev.pushline.transport.HandshakeDecision;
import dev.pushline.transport.InboundListener;
import dev.pushline.transport.OutboundMessage;
import dev.pushline.transport.TransportListener;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server-Sent Events at {@code /sse}: {@code GET /sse?channel=a&channel=b} subscribes to those channels and
 * streams their publications as {@code text/event-stream}, each event's {@code id:} carrying the position of
 * every channel of the stream (see {@link EventId}), so that {@code EventSource}'s automatic reconnect with
 * {@code Last-Event-ID} resumes all of them with no gap. The protocol is documented in {@code protocol.md},
 * "Server-Sent Events".
 *
 * <h2>How a stream meets the engine</h2>
 * The stream is a transport connection ({@link SseConnection}) like a WebSocket: the request goes through
 * the engine's {@link TransportListener#onHandshake} (origin, credentials: {@code Authorization: Bearer},
 * the {@code token} query parameter, or whatever the authenticator reads, cookies included), counts against
 * {@link HttpLimits}, and is opened with {@link TransportListener#onOpen}; then the feature sends the engine
 * one native {@code subscribe} per channel, with {@code since} from {@code Last-Event-ID} and {@code history}
 * when asked. Everything else (authorization, history, order, slow consumers) is the engine's.
 *
 * <h2>Threads</h2>
 * {@link #handle} runs on the HTTP side's handler pool and returns once the response head is sent and the
 * subscribes are handed over. Response bodies are written by {@code pushline-sse-writer-N} threads (a pool
 * that grows with the streams that have something to write and shrinks when idle); heartbeats and close
 * deadlines run on one {@code pushline-sse-timer} thread. Both start with the first stream and end in
 * {@link #close}.
 *
 * <p>Thread-safe.
 */
public final class SseFeature implements HttpFeature {

  private static final Logger log = LoggerFactory.getLogger(SseFeature.class);

  /** The path served. */
  public static final String PATH = "/sse";
  /** The reconnection delay sent to every stream first ({@code retry:}), in milliseconds. */
  static final int RETRY_MILLIS = 2_000;

  private final TransportListener engine;
  private final HttpLimits limits;
  private final long pingNanos;
  private final int maxChannelNameLength;
  private final NamedThreads writerThreads = new NamedThreads("pushline-sse-writer-");
  private final NamedThreads timerThreads = new NamedThreads("pushline-sse-timer");
  /** Threads start on demand and end 30 s after their last write. */
  private final ThreadPoolExecutor writers = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS,
      new SynchronousQueue<>(), writerThreads);
  private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, timerThreads);
  private final AtomicBoolean sweeping = new AtomicBoolean();
  private final Set<SseConnection> open = new HashSet<>(); // guarded by itself
  private boolean closed; // guarded by open
  /** The last frame parsed, shared by the streams a publication fans out to one after the other. */
  private volatile Parsed lastParsed;

  private record Parsed(OutboundMessage frame, JsonObject json) {}

  /**
   * @param engine who decides on requests and serves the streams (the server's engine)
   * @param limits the HTTP side's session limits, shared with the other streaming features
   * @param pingInterval how often an idle stream gets a heartbeat comment
   * @param maxChannelNameLength the longest channel name a client may name
   */
  public SseFeature(TransportListener engine, HttpLimits limits, Duration pingInterval, int maxChannelNameLength) {
    this.engine = engine;
    this.limits = limits;
    this.pingNanos = pingInterval.toNanos();
    this.maxChannelNameLength = maxChannelNameLength;
  }

  @Override
  public String path() {
    return PATH;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getRawPath();
    if (!path.equals(PATH)) {
      HttpSide.sendJson(exchange, 404, HttpSide.error("not_found", "nothing is served at " + path));
      return;
    }
    if (!exchange.getRequestMethod().equals("GET")) {
      exchange.getResponseHeaders().set("Allow", "GET");
      HttpSide.sendJson(exchange, 405, HttpSide.error("method_not_allowed", PATH + " answers GET only"));
      return;
    }
    String query = exchange.getRequestURI().getRawQuery();
    SseRequest request;
    try {
      request = SseRequest.parse(query, exchange.getRequestHeaders().getFirst("Last-Event-ID"),
          maxChannelNameLength);
    } catch (SseRequest.Invalid e) {
      HttpSide.sendJson(exchange, 400, HttpSide.error(e.code, e.getMessage()));
      return;
    }
    InetSocketAddress remote = exchange.getRemoteAddress();
    Handshake handshake = new Handshake(path, query == null ? "" : query, exchange.getRequestHeaders(), remote);
    HandshakeDecision decision = engine.onHandshake(handshake);
    if (!decision.accepted()) {
      HttpSide.sendJson(exchange, decision.status(), HttpSide.error(codeOf(decision.status()), decision.reason()));
      return;
    }
    InetAddress address = remote.getAddress();
    if (!limits.tryAcquire(address)) {
      log.debug("refused an SSE stream from {}: connection limits reached", remote);
      HttpSide.sendJson(exchange, 503, HttpSide.error("unavailable", "too many connections; retry later"));
      return;
    }
    SseConnection connection = new SseConnection(this, exchange, handshake, decision.context(), address, request);
    synchronized (open) {
      if (closed) {
        limits.release(address);
        HttpSide.sendJson(exchange, 503, HttpSide.error("unavailable", "the server is shutting down"));
        return;
      }
      open.add(connection);
    }
    InboundListener listener;
    try {
      listener = engine.onOpen(connection);
    } catch (RuntimeException e) {
      connection.refuse(CloseCodes.INTERNAL_ERROR, "the server failed to open the stream");
      throw e; // answered 500 by the HTTP side
    }
    switch (connection.opened(listener)) {
      case CLOSED -> {
        connection.refuse(CloseCodes.GOING_AWAY, "server shutting down");
        HttpSide.sendJson(exchange, 503, HttpSide.error("unavailable", "the server is shutting down"));
        return;
      }
      case AWAITS_CREDENTIALS -> {
        connection.refuse(CloseCodes.UNAUTHORIZED, "no credentials");
        HttpSide.sendJson(exchange, 401, HttpSide.error("unauthorized", "credentials required: a token query "
            + "parameter, an Authorization: Bearer header, or a cookie the server accepts"));
        return;
      }
      case WELCOMED -> { }
    }
    Headers headers = exchange.getResponseHeaders();
    headers.set("Content-Type", "text/event-stream; charset=utf-8");
    headers.set("Cache-Control", "no-cache");
    headers.set("X-Accel-Buffering", "no");
    String origin = handshake.header("origin");
    if (origin != null) { // admitted by onHandshake, else refused above
      headers.set("Access-Control-Allow-Origin", origin);
      headers.set("Access-Control-Allow-Credentials", "true");
      headers.add("Vary", "Origin");
    }
    try {
      exchange.sendResponseHeaders(200, 0);
    } catch (IOException e) {
      connection.abort(SseConnection.ABNORMAL, "the response head could not be sent");
      connection.start(RETRY_MILLIS); // ends it on a writer thread, which tells the engine
      return;
    }
    startSweeping();
    connection.start(RETRY_MILLIS);
    List<String> channels = request.channels();
    for (int i = 0; i < channels.size(); i++) {
      connection.request(subscribe(EventTranslator.requestId(i), channels.get(i),
          request.resume().get(channels.get(i)), request.history()));
    }
    log.debug("SSE stream from {} on {} channel(s)", remote, channels.size());
  }

  private static String subscribe(long id, String channel, StreamPosition since, int history) {
    JsonObject s = new JsonObject();
    s.addProperty("type", "subscribe");
    s.addProperty("id", id);
    s.addProperty("channel", channel);
    if (since != null) {
      JsonObject p = new JsonObject();
      p.addProperty("offset", since.offset());
      p.addProperty("epoch", since.epoch());
      s.add("since", p);
    }
    if (history > 0) {
      s.addProperty("history", history);
    }
    return s.toString();
  }

  private static String codeOf(int status) {
    return switch (status) {
      case 400 -> "bad_request";
      case 401 -> "unauthorized";
      case 403 -> "forbidden";
      case 429 -> "rate_limited";
      case 503 -> "unavailable";
      default -> "refused";
    };
  }

  /**
   * Ends every stream with the {@code close} event (code 1001), waits (at most about 6 s) until each has
   * written it or been cut, then ends the feature's threads. Idempotent.
   */
  @Override
  public void close() {
    List<SseConnection> streams;
    synchronized (open) {
      if (closed) {
        return;
      }
      closed = true;
      streams = List.copyOf(open);
    }
    for (SseConnection c : streams) {
      c.close(CloseCodes.GOING_AWAY, "server shutting down");
    }
    // The timer cuts a stream that does not finish within 5 s of its close; wait a little longer than that.
    if (!awaitEnded(SseConnection.CLOSE_TIMEOUT_NANOS + TimeUnit.SECONDS.toNanos(1))) {
      synchronized (open) {
        streams = List.copyOf(open);
      }
      for (SseConnection c : streams) {
        c.abort(SseConnection.ABNORMAL, "server shutting down");
      }
      if (!awaitEnded(TimeUnit.SECONDS.toNanos(2))) {
        log.warn("{} SSE stream(s) still open 8 s after the server began closing", streams.size());
      }
    }
    timer.shutdownNow();
    writers.shutdown();
    try {
      if (!writers.awaitTermination(5, TimeUnit.SECONDS)) {
        writers.shutdownNow();
      }
      timer.awaitTermination(5, TimeUnit.SECONDS);
      writerThreads.join(5_000);
      timerThreads.join(5_000);
    } catch (InterruptedException e) {
      writers.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private boolean awaitEnded(long nanos) {
    long deadline = System.nanoTime() + nanos;
    synchronized (open) {
      while (!open.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(open, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
    }
  }

  /** Streams open now (for tests). */
  int openStreams() {
    synchronized (open) {
      return open.size();
    }
  }

  // --- what streams use ----------------------------------------------------------------------------

  Executor writers() {
    return writers;
  }

  /** A stream ended: uncount it. Called once per stream. */
  void ended(SseConnection c) {
    synchronized (open) {
      if (!open.remove(c)) {
        return;
      }
      open.notifyAll();
    }
    limits.release(c.address());
  }

  /**
   * The JSON of a native frame, parsed once for all the streams a publication is sent to in a row; null
   * (logged) if it is not a JSON object, which the engine never sends.
   */
  JsonObject parse(OutboundMessage frame) {
    Parsed last = lastParsed;
    if (last != null && last.frame == frame) {
      return last.json;
    }
    JsonObject json;
    try {
      json = JsonParser.parseString(frame.text()).getAsJsonObject();
    } catch (RuntimeException e) {
      log.error("the engine sent a frame that is not a JSON object; SSE streams skip it", e);
      return null;
    }
    lastParsed = new Parsed(frame, json);
    return json;
  }

  /** Starts the heartbeat and deadline sweep with the first stream. */
  private void startSweeping() {
    if (!sweeping.compareAndSet(false, true)) {
      return;
    }
    long period = Math.max(TimeUnit.MILLISECONDS.toNanos(10), Math.min(pingNanos / 2, TimeUnit.SECONDS.toNanos(1)));
    try {
      timer.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      // closed meanwhile: close() ends every stream without the sweep
    }
  }

  private void sweep() {
    try {
      List<SseConnection> streams;
      synchronized (open) {
        streams = List.copyOf(open);
      }
      long now = System.nanoTime();
      for (SseConnection c : streams) {
        c.sweep(now, pingNanos, 2 * pingNanos);
      }
    } catch (RuntimeException e) {
      log.error("SSE heartbeat sweep failed; it runs again at the next tick", e);
    }
  }
}
