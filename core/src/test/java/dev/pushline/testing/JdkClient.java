package dev.pushline.testing;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A recording protocol-v1 test client on {@code java.net.http.WebSocket}: every text message goes into a
 * queue that tests read with bounded waits.
 *
 * <p>Thread-safe.
 */
public final class JdkClient implements WebSocket.Listener, AutoCloseable {

  private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
  private final CompletableFuture<Integer> closed = new CompletableFuture<>();
  private final StringBuilder partial = new StringBuilder();
  private WebSocket ws;
  private CompletableFuture<?> sends = CompletableFuture.completedFuture(null);

  private JdkClient() {}

  public static JdkClient connect(HttpClient http, URI uri) {
    JdkClient c = new JdkClient();
    c.ws = http.newWebSocketBuilder().buildAsync(uri, c).orTimeout(10, TimeUnit.SECONDS).join();
    return c;
  }

  public static CompletableFuture<JdkClient> connectAsync(HttpClient http, URI uri) {
    JdkClient c = new JdkClient();
    return http.newWebSocketBuilder().buildAsync(uri, c).thenApply(ws -> {
      c.ws = ws;
      return c;
    });
  }

  /** Sends a text message; sends are chained so only one is outstanding. */
  public synchronized CompletableFuture<?> send(String text) {
    sends = sends.thenCompose(x -> ws.sendText(text, true));
    return sends;
  }

  /** The next message, waiting at most 10 s; fails when none comes. */
  public String next() throws InterruptedException {
    String m = messages.poll(10, TimeUnit.SECONDS);
    if (m == null) {
      throw new AssertionError("no message within 10 s");
    }
    return m;
  }

  /** The next message, or null when none came within {@code timeout}. */
  public String poll(java.time.Duration timeout) throws InterruptedException {
    return messages.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  public JsonObject nextJson() throws InterruptedException {
    return JsonParser.parseString(next()).getAsJsonObject();
  }

  /** Skips the welcome, subscribes, and waits for the reply. */
  public JsonObject subscribe(String channel) throws InterruptedException {
    send("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"" + channel + "\"}");
    JsonObject reply;
    do {
      reply = nextJson();
    } while (reply.get("type").getAsString().equals("welcome"));
    if (!reply.get("type").getAsString().equals("subscribed")) {
      throw new AssertionError("expected subscribed, got " + reply);
    }
    return reply;
  }

  public CompletableFuture<Integer> closed() {
    return closed;
  }

  public WebSocket webSocket() {
    return ws;
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    synchronized (partial) {
      partial.append(data);
      if (last) {
        messages.add(partial.toString());
        partial.setLength(0);
      }
    }
    webSocket.request(1);
    return null;
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
