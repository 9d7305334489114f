package dev.pushline.internal.http.sse;

import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import dev.pushline.CloseCodes;
import dev.pushline.transport.Handshake;
import dev.pushline.transport.InboundListener;
import dev.pushline.transport.OutboundMessage;
import dev.pushline.transport.TransportConnection;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SSE stream as the engine sees it: a transport connection whose outbound frames become SSE events
 * written to an HTTP response body. It never receives anything after the {@code subscribe} requests the
 * {@link SseFeature} sends for it.
 *
 * <h2>Lifecycle</h2>
 * {@code PENDING} from {@code engine.onOpen} until the response head is sent (frames are queued, nothing
 * written); {@code OPEN} while streaming; {@code CLOSING} after {@link #close}: the {@code close} event is
 * queued last, and the stream ends once it is written; {@code CLOSED} after the end, a write failure, or an
 * abort. The engine hears {@code onClosed} exactly once, from the writer thread that ended the response
 * (or the handler thread for a stream refused before its head was sent).
 *
 * <h2>Queue and writer</h2>
 * {@link #send} translates a frame and queues its bytes; it never blocks. A writer task on the feature's
 * writer pool drains the queue into the response body, one task per stream at a time, so no engine thread
 * and no HTTP handler thread ever writes. {@link #queuedBytes} counts bytes queued and not yet written.
 * The writer sets {@link #writer} while it is inside a write; an abort interrupts that thread, and an
 * interrupt during a blocking socket write closes the socket (the JDK server's sockets are
 * interruptible channels), so a writer blocked by a peer that stopped reading is always released.
 *
 * <h2>Concurrency</h2>
 * Every mutable field is guarded by {@link #lock} unless it says otherwise. Listener calls and socket
 * writes happen with the lock released.
 *
 * <p>Thread-safe.
 */
final class SseConnection implements TransportConnection {

  private static final Logger log = LoggerFactory.getLogger(SseConnection.class);

  /** How long a closing stream may take to write what is queued before it is cut. */
  static final long CLOSE_TIMEOUT_NANOS = 5_000_000_000L;
  /** What the engine hears when the stream was cut rather than ended (as WebSocket's 1006). */
  static final int ABNORMAL = 1006;
  private static final byte[] PING = ": ping\n\n".getBytes(StandardCharsets.UTF_8);

  enum State { PENDING, OPEN, CLOSING, CLOSED }

  private final SseFeature feature;
  private final HttpExchange exchange;
  private final Handshake handshake;
  private final Object context;
  private final InetAddress address;
  private final Object lock = new Object();
  private final EventTranslator translator; // guarded by lock
  private final ArrayDeque<byte[]> queue = new ArrayDeque<>(); // guarded by lock
  /** Written under lock; read anywhere. */
  private volatile long queuedBytes;
  private State state = State.PENDING; // guarded by lock
  /** Whether a writer task is queued or running for this stream. */
  private boolean draining; // guarded by lock
  /** The thread inside a write of this stream's response body, or null. */
  private Thread writer; // guarded by lock
  /** When the writer last started a batch or wrote an event (System.nanoTime); written by the writer. */
  private volatile long lastProgressNanos;
  private long drainLevel = -1; // guarded by lock
  /** Whether the engine welcomed the session: it is authenticated. */
  private boolean welcomed; // guarded by lock
  private int closeCode; // guarded by lock
  private String closeReason = ""; // guarded by lock
  private long closeStartedNanos; // guarded by lock
  /** Set once by the handler, before the stream opens. */
  private volatile InboundListener listener;
  private final AtomicBoolean finished = new AtomicBoolean();

  SseConnection(SseFeature feature, HttpExchange exchange, Handshake handshake, Object context,
      InetAddress address, SseRequest request) {
    this.feature = feature;
    this.exchange = exchange;
    this.handshake = handshake;
    this.context = context;
    this.address = address;
    this.translator = new EventTranslator(request.channels(), request.history(), request.resume());
  }

  InetAddress address() {
    return address;
  }

  // --- TransportConnection ---------------------------------------------------------------------

  @Override
  public Handshake handshake() {
    return handshake;
  }

  @Override
  public Object context() {
    return context;
  }

  @Override
  public boolean send(OutboundMessage message) {
    JsonObject frame = feature.parse(message);
    String unavailable;
    boolean submit;
    synchronized (lock) {
      if (state == State.CLOSING || state == State.CLOSED) {
        return false;
      }
      if (frame == null) {
        return true; // not JSON: logged by the feature, nothing to send
      }
      if (!welcomed && "welcome".equals(frame.has("type") ? frame.get("type").getAsString() : null)) {
        welcomed = true;
      }
      String text = translator.translate(message.text(), frame);
      submit = text != null && enqueue(text.getBytes(StandardCharsets.UTF_8));
      unavailable = translator.takeUnavailable();
    }
    if (submit) {
      submitDrain();
    }
    if (unavailable != null) {
      // The subscription was not made; reconnecting retries it (EventSource does so by itself).
      close(CloseCodes.RECONNECT, "subscribe to " + unavailable + " unavailable; reconnect to retry");
    }
    return true;
  }

  /**
   * Ends the stream: queues the {@code close} event after everything queued and ends the response once it
   * is written; a peer that does not read it within 5 s is cut. A slow consumer (3001) is cut at once:
   * it does not read, and the close event would wait behind what it does not read.
   */
  @Override
  public void close(int code, String reason) {
    if (code == CloseCodes.SLOW_CONSUMER) {
      abort(code, reason);
      return;
    }
    boolean submit = false;
    synchronized (lock) {
      switch (state) {
        case PENDING -> {
          state = State.CLOSED; // the handler sees it and answers instead of streaming
          closeCode = code;
          closeReason = reason;
          return;
        }
        case OPEN -> {
          state = State.CLOSING;
          closeCode = code;
          closeReason = reason;
          closeStartedNanos = System.nanoTime();
          enqueue(translator.close(code, reason).getBytes(StandardCharsets.UTF_8));
          if (!draining) {
            draining = true;
            submit = true;
          }
        }
        default -> {
          return; // closing or closed already
        }
      }
    }
    log.debug("SSE stream from {} closing: {} {}", handshake.remoteAddress(), code, reason);
    if (submit) {
      submitDrain();
    }
  }

  @Override
  public long queuedBytes() {
    return queuedBytes;
  }

  @Override
  public void notifyWhenDrained(long bytes) {
    synchronized (lock) {
      if (queuedBytes > bytes) {
        drainLevel = bytes;
        return;
      }
      if (state == State.CLOSED) {
        return;
      }
    }
    listener.onDrained();
  }

  // --- the handler's side ----------------------------------------------------------------------

  /** What became of the stream while the engine opened it. */
  enum Opened { WELCOMED, AWAITS_CREDENTIALS, CLOSED }

  /**
   * Records the engine's listener once {@code engine.onOpen} returned. The engine welcomes an authenticated
   * session from within {@code onOpen} (the server speaks first); a session without a welcome waits for
   * {@code connect} credentials, which an SSE client cannot send.
   */
  Opened opened(InboundListener l) {
    listener = l;
    synchronized (lock) {
      if (state == State.CLOSED) {
        return Opened.CLOSED;
      }
      return welcomed ? Opened.WELCOMED : Opened.AWAITS_CREDENTIALS;
    }
  }

  /** The stream is refused before its head was sent: the engine hears {@code code}; no writer ran. */
  void refuse(int code, String reason) {
    synchronized (lock) {
      if (state == State.PENDING) {
        state = State.CLOSED;
        closeCode = code;
        closeReason = reason;
      }
      queue.clear();
      queuedBytes = 0;
    }
    finish();
  }

  /**
   * The response head is sent: writes {@code retry} first, then what the engine queued meanwhile. A stream
   * closed meanwhile is ended at once (and the engine told).
   */
  void start(int retryMillis) {
    synchronized (lock) {
      if (state != State.PENDING) {
        // Closed while the head was sent: nothing was written, end now.
        draining = true;
      } else {
        state = State.OPEN;
        byte[] retry = ("retry: " + retryMillis + "\n\n").getBytes(StandardCharsets.UTF_8);
        queue.addFirst(retry);
        queuedBytes += retry.length;
        draining = true;
      }
      lastProgressNanos = System.nanoTime();
    }
    submitDrain();
  }

  /** Hands one native request to the engine, as if the client had sent it. */
  void request(String json) {
    listener.onText(json);
  }

  // --- the timer's side ------------------------------------------------------------------------

  /** Heartbeat and deadlines; runs on the feature's timer. */
  void sweep(long now, long pingNanos, long stallNanos) {
    boolean submit = false;
    String cut = null;
    synchronized (lock) {
      switch (state) {
        case OPEN -> {
          if (writer != null && now - lastProgressNanos > stallNanos) {
            cut = "no write progress for " + (now - lastProgressNanos) / 1_000_000 + " ms";
          } else if (!draining && now - lastProgressNanos >= pingNanos) {
            enqueue(PING);
            draining = true;
            submit = true;
          }
        }
        case CLOSING -> {
          if (now - closeStartedNanos > CLOSE_TIMEOUT_NANOS) {
            cut = "close not completed within 5 s";
          }
        }
        default -> { }
      }
    }
    if (submit) {
      submitDrain();
    }
    if (cut != null) {
      log.debug("SSE stream from {}: {}; dropping it", handshake.remoteAddress(), cut);
      abort(ABNORMAL, cut);
    }
  }

  // --- internals -------------------------------------------------------------------------------

  /** Queues bytes; returns whether a writer task must be submitted. Call under lock. */
  private boolean enqueue(byte[] bytes) {
    queue.add(bytes);
    queuedBytes += bytes.length;
    if (state == State.OPEN && !draining) {
      draining = true;
      return true;
    }
    return false;
  }

  /**
   * Cuts the stream now: drops what is queued, releases a writer blocked in a write, and has a writer
   * thread end the response and tell the engine.
   */
  void abort(int code, String reason) {
    boolean submit = false;
    synchronized (lock) {
      if (state == State.CLOSED) {
        return;
      }
      if (state == State.PENDING) {
        state = State.CLOSED;
        closeCode = code;
        closeReason = reason;
        return; // the handler answers and finishes
      }
      if (state == State.OPEN) { // a close under way keeps the code it announced
        closeCode = code;
        closeReason = reason;
      }
      state = State.CLOSED;
      queue.clear();
      queuedBytes = 0;
      if (writer != null) {
        writer.interrupt(); // the blocked socket write fails and closes the socket
      }
      if (!draining) {
        draining = true;
        submit = true;
      }
    }
    if (submit) {
      submitDrain();
    }
  }

  private void submitDrain() {
    try {
      feature.writers().execute(this::drain);
    } catch (RejectedExecutionException shuttingDown) {
      // The feature closed its writers: every stream was ended before; the server's stop closes the socket.
      synchronized (lock) {
        state = State.CLOSED;
        if (closeCode == 0) {
          closeCode = CloseCodes.GOING_AWAY;
          closeReason = "server shutting down";
        }
      }
      finish();
    }
  }

  /** The writer task: writes what is queued until nothing is; ends the response when the stream ends. */
  private void drain() {
    OutputStream body = exchange.getResponseBody();
    List<byte[]> batch = new ArrayList<>();
    while (true) {
      boolean end = false;
      boolean graceful = false;
      synchronized (lock) {
        if (state == State.CLOSED) {
          end = true;
        } else if (queue.isEmpty()) {
          if (state != State.CLOSING) {
            draining = false;
            return;
          }
          end = true;
          graceful = true;
        } else {
          batch.addAll(queue);
          queue.clear();
        }
        writer = Thread.currentThread();
        lastProgressNanos = System.nanoTime();
      }
      if (end) {
        endResponse(graceful);
        return;
      }
      long written = 0;
      IOException failure = null;
      try {
        for (byte[] b : batch) {
          body.write(b);
          written += b.length;
          lastProgressNanos = System.nanoTime();
        }
        body.flush();
      } catch (IOException e) {
        failure = e;
      }
      batch.clear();
      boolean drained = false;
      synchronized (lock) {
        writer = null;
        Thread.interrupted(); // an interrupt meant for that write; the state says what happened
        lastProgressNanos = System.nanoTime();
        if (state != State.CLOSED) {
          queuedBytes -= written;
          if (drainLevel >= 0 && queuedBytes <= drainLevel) {
            drainLevel = -1;
            drained = true;
          }
        }
      }
      if (failure != null) {
        log.debug("SSE stream from {}: write failed: {}", handshake.remoteAddress(), failure.toString());
        abort(ABNORMAL, "write failed");
        continue; // the next round ends the response
      }
      if (drained) {
        listener.onDrained();
      }
    }
  }

  /**
   * Ends the response on the writer thread (the only one that touches the body). After an abort the thread
   * interrupts itself first, so the JDK server's final write closes the socket at once instead of waiting
   * on a peer that does not read.
   */
  private void endResponse(boolean graceful) {
    if (!graceful) {
      Thread.currentThread().interrupt();
    }
    try {
      exchange.close();
    } catch (RuntimeException e) {
      log.debug("SSE stream from {}: ending the response failed: {}", handshake.remoteAddress(), e.toString());
    } finally {
      synchronized (lock) {
        writer = null;
        state = State.CLOSED;
        Thread.interrupted(); // clear the self-interrupt, or one from an abort during a graceful end
      }
    }
    finish();
  }

  /** Frees the stream's share of the limits and tells the engine, once. */
  private void finish() {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    int code;
    String reason;
    synchronized (lock) {
      code = closeCode == 0 ? ABNORMAL : closeCode;
      reason = closeReason;
    }
    feature.ended(this);
    InboundListener l = listener;
    if (l == null) {
      return;
    }
    try {
      l.onClosed(code, reason);
    } catch (RuntimeException e) {
      log.error("engine failed while handling the close of an SSE stream from {}", handshake.remoteAddress(), e);
    }
  }
}
