package dev.pushline.client;

import dev.pushline.PushException;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt to connect, and if it succeeds the WebSocket it opened: receives on behalf of its
 * {@link PushClient} and sends the client's frames one at a time.
 *
 * <h2>Receiving</h2>
 * {@code java.net.http} may hand a text message over in parts ({@code last == false}); they are
 * aggregated here, up to {@link #MAX_MESSAGE_CHARS}, and each whole message goes to
 * {@link PushClient#onFrame}. Demand is one message at a time: {@code request(1)} after each invocation,
 * once the client (and the handlers it ran inline) are done with it, so a slow handler slows down reading
 * of its own connection rather than piling messages up in memory.
 *
 * <h2>Sending</h2>
 * A {@code java.net.http.WebSocket} allows one outstanding {@code sendText}. {@link #enqueue} adds to the
 * {@link #outbox}; {@link #flush} sends the head and, when that send completes, the next. The client
 * enqueues while holding its own lock, so frames leave in the order the client decided on them (request
 * ids grow on the wire), and flushes after releasing it.
 *
 * <h2>Dead servers</h2>
 * Once the server's {@code welcome} told its ping interval, {@link #watchForSilence} arms a check on the
 * shared timer: every frame from the server (messages, and the WebSocket pings it sends every interval)
 * moves {@link #lastHeardNanos}; if nothing at all arrives for the limit, the socket is aborted and the
 * client told, so that it reconnects. A half-open TCP connection (server gone, no FIN or RST) is found
 * that way. {@code java.net.http} answers each ping with a pong on its own.
 *
 * <h2>Concurrency</h2>
 * Listener methods are called by the WebSocket one at a time. {@link #outbox}, {@link #sending},
 * {@link #webSocket}, {@link #closing} and the timers are guarded by this object's monitor, which is only
 * ever taken inside the client's lock, never the other way round, and never while calling the WebSocket.
 *
 * <p>Thread-safe.
 */
final class Connection implements WebSocket.Listener {

  private static final Logger log = LoggerFactory.getLogger(Connection.class);

  /** The largest message accepted from a server, in chars; a larger one drops the connection (1009). */
  static final int MAX_MESSAGE_CHARS = 16 * 1024 * 1024;

  /** How many chars may wait to be sent before publishing fails with a full queue. */
  static final long MAX_OUTBOX_CHARS = 16L * 1024 * 1024;

  private final PushClient client;
  final long number;

  private final ArrayDeque<String> outbox = new ArrayDeque<>(); // guarded by this
  private long outboxChars; // guarded by this
  private boolean sending; // guarded by this
  private WebSocket webSocket; // guarded by this; set by onOpen
  private boolean closing; // guarded by this
  private boolean inputClosed; // guarded by this
  private ScheduledFuture<?> abortTimer; // guarded by this
  /** Checks that the server is still heard from; null until the welcome, and once closing. */
  private ScheduledFuture<?> silenceTimer; // guarded by this
  private long silenceLimitNanos; // guarded by this

  /** When a frame (of any kind) last arrived; written by the listener thread, read by the timer. */
  private volatile long lastHeardNanos = System.nanoTime();

  /** Parts of a text message received so far; WebSocket listener thread only. */
  private StringBuilder parts;

  /** Ends a connection attempt that has not reached the welcome in time; guarded by the client's lock. */
  ScheduledFuture<?> attemptTimer;

  Connection(PushClient client, long number) {
    this.client = client;
    this.number = number;
  }

  // --- sending ---------------------------------------------------------------------------------

  /** Whether {@code chars} more fit in the outbox. */
  synchronized boolean hasRoomFor(long chars) {
    return outboxChars + chars <= MAX_OUTBOX_CHARS;
  }

  /** Queues {@code text}; call {@link #flush} once the caller's lock is released. */
  synchronized void enqueue(String text) {
    if (closing) {
      return;
    }
    outbox.add(text);
    outboxChars += text.length();
  }

  /** Sends what is queued, one frame at a time. Call without holding a lock. */
  void flush() {
    for (;;) {
      WebSocket ws;
      String next;
      synchronized (this) {
        if (sending || closing || webSocket == null) {
          return;
        }
        next = outbox.poll();
        if (next == null) {
          return;
        }
        outboxChars -= next.length();
        sending = true;
        ws = webSocket;
      }
      CompletableFuture<WebSocket> sent;
      try {
        sent = ws.sendText(next, true);
      } catch (RuntimeException e) {
        sent = CompletableFuture.failedFuture(e);
      }
      if (sent.isDone() && !sent.isCompletedExceptionally()) {
        synchronized (this) {
          sending = false;
        }
        continue; // sent at once: loop rather than recurse
      }
      sent.whenComplete((w, failure) -> {
        synchronized (this) {
          sending = false;
        }
        if (failure != null) {
          sendFailed(failure);
        } else {
          flush();
        }
      });
      return;
    }
  }

  private void sendFailed(Throwable failure) {
    boolean expected;
    synchronized (this) {
      expected = closing || inputClosed;
    }
    if (!expected) {
      log.debug("{}: send failed: {}", this, failure.toString());
      abort();
      client.connectionLost(this, PushClient.ABNORMAL_CLOSURE, "", PushClient.unwrap(failure));
    }
  }

  /**
   * Starts an orderly close: drops what is queued, sends a Close frame, and aborts the socket if the server
   * has not closed its side within {@code grace}. Idempotent.
   */
  void close(int code, String reason, Duration grace) {
    WebSocket ws;
    synchronized (this) {
      if (closing) {
        return;
      }
      closing = true;
      outbox.clear();
      outboxChars = 0;
      stopSilenceTimer();
      ws = webSocket;
      if (ws == null || inputClosed) {
        return; // not open yet: onOpen aborts it; or the server closed already
      }
      abortTimer = ClientThreads.timer().schedule(this::abort, PushClient.nanos(grace), TimeUnit.NANOSECONDS);
    }
    ws.sendClose(code, reason).whenComplete((w, failure) -> {
      if (failure != null) {
        log.debug("{}: close frame not sent: {}", this, failure.toString());
        abort();
      }
    });
  }

  /** Closes the socket at once, without a Close frame. Idempotent. */
  void abort() {
    WebSocket ws;
    synchronized (this) {
      closing = true;
      outbox.clear();
      outboxChars = 0;
      stopSilenceTimer();
      ws = webSocket;
      if (abortTimer != null) {
        abortTimer.cancel(false);
        abortTimer = null;
      }
    }
    if (ws != null) {
      ws.abort();
    }
  }

  // --- dead-server detection --------------------------------------------------------------------

  /**
   * How long the server may stay silent before the connection counts as dead: two ping intervals (one
   * ping may be late or lost) plus a margin of half an interval, at least 250 ms and at most 5 s.
   */
  static Duration silenceLimit(long pingIntervalMillis) {
    long margin = Math.max(250, Math.min(5_000, pingIntervalMillis / 2));
    long interval = Math.min(pingIntervalMillis, Duration.ofDays(1).toMillis()); // no overflow below
    return Duration.ofMillis(2 * interval + margin);
  }

  /**
   * Aborts the connection and tells the client if nothing at all arrives from the server for
   * {@code limit}. Call once, when the welcome has arrived.
   */
  void watchForSilence(Duration limit) {
    synchronized (this) {
      if (closing) {
        return;
      }
      silenceLimitNanos = PushClient.nanos(limit);
      scheduleSilenceCheck(silenceLimitNanos);
    }
  }

  private void scheduleSilenceCheck(long delayNanos) { // under this
    silenceTimer = ClientThreads.timer().schedule(this::checkSilence, delayNanos, TimeUnit.NANOSECONDS);
  }

  private void stopSilenceTimer() { // under this
    if (silenceTimer != null) {
      silenceTimer.cancel(false);
      silenceTimer = null;
    }
  }

  private void checkSilence() {
    long silentNanos;
    synchronized (this) {
      if (closing || silenceTimer == null) {
        return;
      }
      silentNanos = System.nanoTime() - lastHeardNanos;
      if (silentNanos < silenceLimitNanos) {
        scheduleSilenceCheck(silenceLimitNanos - silentNanos);
        return;
      }
      silenceTimer = null;
    }
    long millis = TimeUnit.NANOSECONDS.toMillis(silentNanos);
    log.debug("{}: nothing from the server for {} ms; reconnecting", this, millis);
    abort();
    client.connectionLost(this, PushClient.ABNORMAL_CLOSURE, "", new PushException(
        "the server sent nothing, not even a ping, for " + millis + " ms", new TimeoutException()));
  }

  private void heard() {
    lastHeardNanos = System.nanoTime();
  }

  // --- WebSocket.Listener ----------------------------------------------------------------------

  @Override
  public void onOpen(WebSocket ws) {
    boolean closed;
    synchronized (this) {
      webSocket = ws;
      closed = closing;
    }
    if (closed) {
      ws.abort(); // the client gave this attempt up while the upgrade was under way
      return;
    }
    log.debug("{}: WebSocket open", this);
    ws.request(1);
    flush();
  }

  @Override
  public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
    heard();
    String message = null;
    if (parts == null && last) {
      message = data.toString();
    } else {
      if (parts == null) {
        parts = new StringBuilder(Math.max(256, data.length() * 2));
      }
      if (parts.length() + data.length() > MAX_MESSAGE_CHARS) {
        parts = null;
        log.warn("{}: the server sent a message over {} chars; reconnecting", this, MAX_MESSAGE_CHARS);
        abort();
        client.connectionLost(this, 1009, "message too big",
            new PushException("the server sent a message over " + MAX_MESSAGE_CHARS + " chars"));
        return null;
      }
      parts.append(data);
      if (last) {
        message = parts.toString();
        parts = null;
      }
    }
    if (message != null) {
      try {
        client.onFrame(this, message);
      } catch (RuntimeException | Error e) {
        // A bug of ours: drop this frame, keep the connection (WebSocket would call onError otherwise).
        log.error("{}: failed to handle a frame", this, e);
      }
      heard(); // handling a large message, or a burst of them, is not silence
    }
    ws.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
    heard();
    log.debug("{}: ignoring a binary message part of {} bytes (protocol v1 is text only)", this,
        data.remaining());
    ws.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onPing(WebSocket ws, ByteBuffer message) {
    heard();
    ws.request(1);
    return null; // java.net.http answers with a pong on its own
  }

  @Override
  public CompletionStage<?> onPong(WebSocket ws, ByteBuffer message) {
    heard();
    ws.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
    inputClosed();
    log.debug("{}: closed by the server: {} {}", this, statusCode, reason);
    client.connectionLost(this, statusCode, reason, null);
    return null; // WebSocket answers with a Close frame of its own
  }

  @Override
  public void onError(WebSocket ws, Throwable error) {
    inputClosed();
    log.debug("{}: failed: {}", this, error.toString());
    client.connectionLost(this, PushClient.ABNORMAL_CLOSURE, "", error);
  }

  private void inputClosed() {
    synchronized (this) {
      inputClosed = true;
      closing = true;
      outbox.clear();
      outboxChars = 0;
      stopSilenceTimer();
      if (abortTimer != null) {
        abortTimer.cancel(false);
        abortTimer = null;
      }
    }
  }

  @Override
  public String toString() {
    return client + " connection " + number;
  }
}
