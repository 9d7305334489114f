package dev.pushline.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A recording STOMP test client on {@code java.net.http.WebSocket}: it sends exactly the frames a test
 * writes, and queues every frame the server sends for bounded reads. Heart-beats (messages of end-of-lines
 * only) are counted, not queued. Reads STOMP 1.2's escapes in headers of frames other than CONNECTED.
 *
 * <p>Thread-safe.
 */
public final class StompClient implements WebSocket.Listener, AutoCloseable {

  /** A frame from the server, headers unescaped (the first of a repeated one). */
  public record Frame(String command, Map<String, String> headers, String body) {
    public String header(String name) {
      return headers.get(name);
    }
  }

  private final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
  private final BlockingQueue<Long> heartBeats = new LinkedBlockingQueue<>();
  private final AtomicInteger heartBeatCount = new AtomicInteger();
  private final CompletableFuture<Integer> closed = new CompletableFuture<>();
  private final StringBuilder partial = new StringBuilder();
  private volatile boolean unescape = true;
  private WebSocket ws;
  private CompletableFuture<?> sends = CompletableFuture.completedFuture(null);

  private StompClient() {}

  /** Connects offering {@code subprotocols} (most preferred first); none: no subprotocol at all. */
  public static StompClient connect(HttpClient http, URI uri, String... subprotocols) {
    return connect(http, uri, Map.of(), subprotocols);
  }

  /** As {@link #connect(HttpClient, URI, String...)}, with {@code headers} on the opening request. */
  public static StompClient connect(HttpClient http, URI uri, Map<String, String> headers, String... subprotocols) {
    StompClient c = new StompClient();
    WebSocket.Builder b = http.newWebSocketBuilder();
    headers.forEach(b::header);
    if (subprotocols.length > 0) {
      b.subprotocols(subprotocols[0], Arrays.copyOfRange(subprotocols, 1, subprotocols.length));
    }
    c.ws = b.buildAsync(uri, c).orTimeout(10, TimeUnit.SECONDS).join();
    return c;
  }

  /** The subprotocol the server chose; empty for none. */
  public String subprotocol() {
    return ws.getSubprotocol();
  }

  /** Reads headers as STOMP 1.0 does (no escapes), for a connection that negotiated 1.0 or 1.1. */
  public void unescapeHeaders(boolean on) {
    unescape = on;
  }

  /** Sends {@code text} as one WebSocket text message, as is. */
  public synchronized CompletableFuture<?> sendRaw(String text) {
    sends = sends.thenCompose(x -> ws.sendText(text, true));
    return sends;
  }

  /** Sends one text message in several parts (WebSocket fragments), each as is. */
  public synchronized CompletableFuture<?> sendFragments(String... parts) {
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i];
      boolean last = i == parts.length - 1;
      sends = sends.thenCompose(x -> ws.sendText(part, last));
    }
    return sends;
  }

  /**
   * Sends a frame: {@code headers} are name, value, ...; written as given (escape them yourself where the
   * test is about escaping); a body gets no content-length unless the test gives one.
   */
  public CompletableFuture<?> send(String command, String body, String... headers) {
    StringBuilder b = new StringBuilder(command).append('\n');
    for (int i = 0; i < headers.length; i += 2) {
      b.append(headers[i]).append(':').append(headers[i + 1]).append('\n');
    }
    return sendRaw(b.append('\n').append(body).append('\0').toString());
  }

  /** Sends CONNECT for STOMP 1.2 with the given extra headers and returns the server's first frame. */
  public Frame connectStomp(String... headers) throws InterruptedException {
    String[] all = Arrays.copyOf(new String[] {"accept-version", "1.2", "host", "localhost"}, 4 + headers.length);
    System.arraycopy(headers, 0, all, 4, headers.length);
    send("CONNECT", "", all);
    return next();
  }

  /** The next frame, waiting at most 10 s; fails when none comes. */
  public Frame next() throws InterruptedException {
    Frame f = frames.poll(10, TimeUnit.SECONDS);
    if (f == null) {
      throw new AssertionError("no STOMP frame within 10 s (closed: " + closed.getNow(null) + ")");
    }
    return f;
  }

  /** The next frame, which must be a {@code command}. */
  public Frame next(String command) throws InterruptedException {
    Frame f = next();
    if (!f.command().equals(command)) {
      throw new AssertionError("expected " + command + ", got " + f);
    }
    return f;
  }

  /** The next frame, or null when none came within {@code timeout}. */
  public Frame poll(Duration timeout) throws InterruptedException {
    return frames.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Waits (at most 10 s) for the next heart-beat from the server. */
  public void awaitHeartBeat() throws InterruptedException {
    if (heartBeats.poll(10, TimeUnit.SECONDS) == null) {
      throw new AssertionError("no heart-beat within 10 s");
    }
  }

  /** Heart-beats received so far. */
  public int heartBeatCount() {
    return heartBeatCount.get();
  }

  /** Completes with the close code (-1 on an error) when the connection is closed. */
  public CompletableFuture<Integer> closed() {
    return closed;
  }

  /** The close code, waiting at most 10 s. */
  public int awaitClose() {
    return closed.orTimeout(10, TimeUnit.SECONDS).join();
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    synchronized (partial) {
      partial.append(data);
      if (last) {
        String message = partial.toString();
        partial.setLength(0);
        if (message.chars().allMatch(c -> c == '\n' || c == '\r')) {
          heartBeatCount.incrementAndGet();
          heartBeats.add(System.nanoTime());
        } else {
          try {
            parse(message);
          } catch (RuntimeException | AssertionError e) { // surfaces in the test's next read
            frames.add(new Frame("MALFORMED: " + e.getMessage(), Map.of(), message));
          }
        }
      }
    }
    webSocket.request(1);
    return null;
  }

  /** Parses every frame of one message (frames from the server are whole; no NUL in our bodies). */
  private void parse(String message) {
    int pos = 0;
    while (pos < message.length()) {
      while (pos < message.length() && (message.charAt(pos) == '\n' || message.charAt(pos) == '\r')) {
        pos++;
      }
      if (pos >= message.length()) {
        return;
      }
      int headEnd = message.indexOf("\n\n", pos);
      if (headEnd < 0) {
        throw new AssertionError("a frame without the blank line after its headers: " + message);
      }
      String[] lines = message.substring(pos, headEnd).split("\n");
      String command = lines[0];
      Map<String, String> headers = new LinkedHashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        String name = lines[i].substring(0, colon);
        String value = lines[i].substring(colon + 1);
        boolean escaped = unescape && !command.equals("CONNECTED");
        headers.putIfAbsent(escaped ? unescape(name) : name, escaped ? unescape(value) : value);
      }
      int bodyStart = headEnd + 2;
      int nul = message.indexOf('\0', bodyStart);
      if (nul < 0) {
        throw new AssertionError("a frame without NUL: " + message);
      }
      String body = message.substring(bodyStart, nul);
      String length = headers.get("content-length");
      if (length != null && Integer.parseInt(length) != body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length) {
        throw new AssertionError("content-length " + length + " does not match the body: " + message);
      }
      frames.add(new Frame(command, headers, body));
      pos = nul + 1;
    }
  }

  private static String unescape(String s) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\') {
        char n = s.charAt(++i);
        out.append(switch (n) {
          case 'n' -> '\n';
          case 'r' -> '\r';
          case 'c' -> ':';
          case '\\' -> '\\';
          default -> throw new AssertionError("the server wrote an undefined escape \\" + n + " in " + s);
        });
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    closed.complete(statusCode);
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    closed.complete(-1);
  }

  @Override
  public void close() {
    if (ws != null && !ws.isOutputClosed()) {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").exceptionally(e -> null);
    }
    if (ws != null) {
      ws.abort();
    }
  }
}
