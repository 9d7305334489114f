package dev.pushline.bench.scenario;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * One load-side client of protocol v1 on the JDK's {@link WebSocket}, for the scenarios that need exact
 * control over connect, subscribe, resume and disconnect. It checks every channel's stream itself: each
 * publication must carry the offset after the last one (or, right after a {@code subscribed} reply, the
 * one after the reply's offset, or after {@code since} when the server recovered); a lower offset is a
 * duplicate, a higher one a gap. Unlike {@code PushClient}, it filters nothing, so it sees exactly what the
 * server sends.
 *
 * <p>A client may connect again after it was closed ({@link #connect}); its streams carry over, so a
 * {@link #subscribe subscribe with resume} sends {@code since} with the last offset it received.
 *
 * <p>Thread-safe: the WebSocket's callbacks (one at a time per connection, on the HttpClient's executor)
 * and the scenario's thread share state under this object's monitor; {@link Events} are called outside
 * it.
 */
final class LoadClient {

  /** What the scenario hears. Called on the HttpClient's threads; must not block. */
  interface Events {
    default void onWelcome(LoadClient client) {}

    /** @param recovered null for a fresh subscription */
    default void onSubscribed(LoadClient client, String channel, Boolean recovered) {}

    default void onPublication(LoadClient client, String channel, long offset) {}

    /** The connection ended: the server's close code, or 1006 when it failed or was aborted. */
    default void onClosed(LoadClient client, int code) {}
  }

  /** One channel's stream as this client saw it, over all its connections. Guarded by its client. */
  static final class Stream {
    String epoch;
    long first = -1; // offset in the first subscribed reply
    long last = -1; // offset of the last publication received, or of the subscribed reply
    long received;
    long gaps; // offsets skipped in the stream (never silently: a gap is a failure of the server)
    long duplicates;
    long recovered;
    long notRecovered;
    long missedNotRecovered; // offsets the server said it could not replay

    Stream copy() {
      Stream c = new Stream();
      c.epoch = epoch;
      c.first = first;
      c.last = last;
      c.received = received;
      c.gaps = gaps;
      c.duplicates = duplicates;
      c.recovered = recovered;
      c.notRecovered = notRecovered;
      c.missedNotRecovered = missedNotRecovered;
      return c;
    }
  }

  final int index;
  private final HttpClient http;
  private final URI uri;
  private final Latencies latencies; // null: no latency recording
  private final Events events;
  private final Map<String, Stream> streams = new HashMap<>(); // guarded by this
  private WebSocket socket; // guarded by this; the current connection, null before the first
  private CompletableFuture<WebSocket> sendChain; // guarded by this; one outstanding send at a time
  private Connection current; // guarded by this
  private long nextId; // guarded by this
  private int connections; // guarded by this

  LoadClient(int index, HttpClient http, URI uri, Latencies latencies, Events events) {
    this.index = index;
    this.http = http;
    this.uri = uri;
    this.latencies = latencies;
    this.events = events;
  }

  /**
   * Opens a new connection; completes on the server's {@code welcome}, fails after {@code timeout}. A
   * connection that fails or times out is abandoned: if it opens later all the same, it is aborted at once,
   * so no connection outlives the scenario's interest in it.
   */
  CompletableFuture<Void> connect(Duration timeout) {
    Connection c;
    synchronized (this) {
      c = new Connection(++connections);
      current = c;
    }
    http.newWebSocketBuilder().connectTimeout(timeout).buildAsync(uri, c).whenComplete((ws, e) -> {
      if (e != null) {
        c.welcomed.completeExceptionally(e);
      } else if (c.abandoned) {
        ws.abort();
      }
    });
    return c.welcomed.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((v, e) -> {
      if (e != null) {
        c.abandon();
      }
    });
  }

  /**
   * Subscribes to {@code channel}; with {@code resume} and a stream seen before, with {@code since} its
   * last offset and epoch.
   */
  void subscribe(String channel, boolean resume) {
    String text;
    synchronized (this) {
      Stream s = streams.computeIfAbsent(channel, k -> new Stream());
      long id = ++nextId;
      if (resume && s.epoch != null) {
        text = "{\"type\":\"subscribe\",\"id\":" + id + ",\"channel\":\"" + channel + "\",\"since\":{\"offset\":"
            + s.last + ",\"epoch\":\"" + s.epoch + "\"}}";
      } else {
        text = "{\"type\":\"subscribe\",\"id\":" + id + ",\"channel\":\"" + channel + "\"}";
      }
      send(text);
    }
  }

  /** Sends a Close frame (1000) and completes when the server's reply closed the connection; aborts after {@code timeout}. */
  CompletableFuture<Void> closeCleanly(Duration timeout) {
    Connection c;
    synchronized (this) {
      c = current;
      if (socket == null || c == null) {
        return CompletableFuture.completedFuture(null);
      }
      sendChain = sendChain.thenCompose(ws -> ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye"));
    }
    return c.closed.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).handle((v, e) -> {
      if (e != null) {
        abort();
      }
      return null;
    });
  }

  /** Drops the connection without a Close frame, as a network failure would; abandons one still opening. */
  void abort() {
    WebSocket ws;
    Connection c;
    synchronized (this) {
      ws = socket;
      c = current;
    }
    if (c != null) {
      c.abandon();
    }
    if (ws != null) {
      ws.abort();
    }
  }

  /** A snapshot of every channel's stream as this client saw it so far. */
  synchronized Map<String, Stream> streams() {
    Map<String, Stream> copy = new HashMap<>();
    streams.forEach((k, v) -> copy.put(k, v.copy()));
    return copy;
  }

  private void send(String text) { // under this
    if (sendChain == null) {
      throw new IllegalStateException("client " + index + " is not connected");
    }
    sendChain = sendChain.thenCompose(ws -> ws.sendText(text, true));
  }

  private void onMessage(Connection c, String text) {
    JsonObject m = JsonParser.parseString(text).getAsJsonObject();
    String type = m.get("type").getAsString();
    switch (type) {
      case "welcome" -> {
        c.welcomed.complete(null);
        events.onWelcome(this);
      }
      case "subscribed" -> {
        String channel = m.get("channel").getAsString();
        long offset = m.get("offset").getAsLong();
        String epoch = m.get("epoch").getAsString();
        JsonElement r = m.get("recovered");
        Boolean recovered = r == null ? null : r.getAsBoolean();
        synchronized (this) {
          Stream s = streams.computeIfAbsent(channel, k -> new Stream());
          if (s.first < 0) {
            s.first = offset;
          }
          if (Boolean.TRUE.equals(recovered)) {
            s.recovered++; // the replay continues from s.last
          } else {
            if (Boolean.FALSE.equals(recovered)) {
              s.notRecovered++;
              s.missedNotRecovered += epoch.equals(s.epoch) ? Math.max(0, offset - s.last) : offset;
            }
            s.last = offset;
          }
          s.epoch = epoch;
        }
        events.onSubscribed(this, channel, recovered);
      }
      case "publication" -> {
        String channel = m.get("channel").getAsString();
        long offset = m.get("offset").getAsLong();
        synchronized (this) {
          Stream s = streams.computeIfAbsent(channel, k -> new Stream());
          if (offset <= s.last) {
            s.duplicates++;
            return;
          }
          if (offset > s.last + 1) {
            s.gaps += offset - s.last - 1;
          }
          s.last = offset;
          s.received++;
        }
        if (latencies != null) {
          String data = m.get("data").getAsString();
          long sent = Long.parseLong(data.substring(0, data.indexOf('|')));
          latencies.record((System.nanoTime() - sent) / 1000);
        }
        events.onPublication(this, channel, offset);
      }
      case "error" -> throw new IllegalStateException("client " + index + " got " + text);
      default -> { } // unsubscribed, pong, message: not used by the scenarios
    }
  }

  /** One WebSocket connection of this client. */
  private final class Connection implements WebSocket.Listener {
    final int number;
    final CompletableFuture<Void> welcomed = new CompletableFuture<>();
    final CompletableFuture<Void> closed = new CompletableFuture<>();
    /** Set when the scenario gave up on this connection; it is aborted as soon as it exists. */
    volatile boolean abandoned;
    private volatile WebSocket ws; // set by onOpen
    private final StringBuilder partial = new StringBuilder(); // touched by this connection's callbacks only

    Connection(int number) {
      this.number = number;
    }

    /** Gives up on this connection: aborts it now, or as soon as it opens (onOpen checks the flag). */
    void abandon() {
      abandoned = true;
      WebSocket w = ws;
      if (w != null) {
        w.abort();
      }
    }

    @Override
    public void onOpen(WebSocket ws) {
      this.ws = ws;
      if (abandoned) {
        ws.abort();
        return;
      }
      synchronized (LoadClient.this) {
        if (current == this) {
          socket = ws;
          sendChain = CompletableFuture.completedFuture(ws);
        }
      }
      ws.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        String text = partial.toString();
        partial.setLength(0);
        try {
          onMessage(this, text);
        } catch (RuntimeException e) {
          System.err.println("client " + index + ": " + e);
        }
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
      ended(code);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      welcomed.completeExceptionally(error);
      ended(1006);
    }

    private void ended(int code) {
      if (closed.complete(null)) {
        events.onClosed(LoadClient.this, code);
      }
    }
  }
}
