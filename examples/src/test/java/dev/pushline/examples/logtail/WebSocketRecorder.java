package dev.pushline.examples.logtail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@code java.net.http} WebSocket client that records every frame it receives in a queue, for tests
 * to take in order with bounded waits.
 *
 * <p>Thread-safe.
 */
public final class WebSocketRecorder implements WebSocket.Listener, AutoCloseable {

  public static final Duration WAIT = Duration.ofSeconds(10);

  private final BlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
  private final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
  private final StringBuilder partial = new StringBuilder(); // only the client's listener thread
  private WebSocket webSocket;

  private WebSocketRecorder() {}

  /** Connects to {@code uri}, sending {@code origin} as the Origin header unless it is null. */
  public static WebSocketRecorder connect(HttpClient client, URI uri, String origin) throws Exception {
    WebSocketRecorder recorder = new WebSocketRecorder();
    WebSocket.Builder builder = client.newWebSocketBuilder().connectTimeout(WAIT);
    if (origin != null) {
      builder.header("Origin", origin);
    }
    recorder.webSocket = builder.buildAsync(uri, recorder).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    return recorder;
  }

  /** The next frame received, waiting at most {@link #WAIT}. */
  public JsonObject next() throws InterruptedException {
    JsonObject frame = frames.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertNotNull(frame, "no frame within " + WAIT);
    return frame;
  }

  /** The next frame, which must be of {@code type}. */
  public JsonObject expect(String type) throws InterruptedException {
    JsonObject frame = next();
    assertEquals(type, frame.get("type").getAsString(), "frame " + frame);
    return frame;
  }

  /**
   * Sends the subscribe request of protocol v1 and returns the {@code subscribed} reply; a
   * {@code welcome} not taken yet is skipped.
   */
  JsonObject subscribe(int id, String channel) throws Exception {
    send("{\"type\":\"subscribe\",\"id\":" + id + ",\"channel\":\"" + channel + "\"}");
    JsonObject reply = next();
    if (reply.get("type").getAsString().equals("welcome")) {
      reply = next();
    }
    assertEquals("subscribed", reply.get("type").getAsString(), "reply " + reply);
    assertEquals(id, reply.get("id").getAsInt());
    assertEquals(channel, reply.get("channel").getAsString());
    return reply;
  }

  public void send(String text) throws Exception {
    webSocket.sendText(text, true).get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /** The close code the server sent, waiting at most {@link #WAIT}. */
  public int awaitCloseCode() throws Exception {
    return closeCode.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /** Frames received and not taken yet. */
  int pendingFrames() {
    return frames.size();
  }

  @Override
  public void onOpen(WebSocket ws) {
    ws.request(1);
  }

  @Override
  public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
    partial.append(data);
    if (last) {
      frames.add(JsonParser.parseString(partial.toString()).getAsJsonObject());
      partial.setLength(0);
    }
    ws.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
    closeCode.complete(statusCode);
    return null;
  }

  @Override
  public void onError(WebSocket ws, Throwable error) {
    closeCode.completeExceptionally(error);
  }

  /** Closes the connection at once, without waiting for the server. */
  @Override
  public void close() {
    webSocket.abort();
  }
}
