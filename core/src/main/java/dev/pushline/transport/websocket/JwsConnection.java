package dev.pushline.transport.websocket;

import dev.pushline.transport.Handshake;
import dev.pushline.transport.InboundListener;
import dev.pushline.transport.OutboundMessage;
import dev.pushline.transport.TransportConnection;
import java.nio.charset.StandardCharsets;
import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Java-WebSocket connection seen through the transport SPI. Attached to its {@link WebSocketImpl}.
 *
 * <h2>Concurrency</h2>
 * Java-WebSocket may report the close (selector thread) while {@code onOpen} is still running (decoder
 * thread). {@link #opened} and {@link #closed} under this object's monitor make sure the engine hears
 * {@code onClosed} exactly once and only after it has returned a listener from {@code onOpen}.
 *
 * <p>Thread-safe.
 */
final class JwsConnection implements TransportConnection {

  private static final Logger log = LoggerFactory.getLogger(JwsConnection.class);

  private final WebSocketImpl socket;
  private final Handshake handshake;
  private final Object context;
  private final String subprotocol;
  private final CountingChannel channel;
  private final java.util.concurrent.atomic.AtomicLong enqueued = new java.util.concurrent.atomic.AtomicLong();
  /** -1, or the level at which to call {@code onDrained} once. */
  private final java.util.concurrent.atomic.AtomicLong drainAt = new java.util.concurrent.atomic.AtomicLong(-1);
  /** When close() was first asked for (System.nanoTime), 0 before. */
  volatile long closeRequestedNanos;
  private InboundListener inbound; // guarded by this
  private boolean closeReported; // guarded by this
  private int closeCode; // guarded by this
  private String closeReason; // guarded by this
  private boolean closedBeforeOpen; // guarded by this
  volatile long lastPongNanos = System.nanoTime();
  /**
   * Our pong to the client's last ping, until the next one; read and written by the connection's decoder
   * thread only. (Its position is moved by the selector thread; the decoder sees it through the queue that
   * hands it each read.)
   */
  java.nio.ByteBuffer lastPong;

  /** A connection with no subprotocol (for benchmarks that make connections by hand). */
  JwsConnection(WebSocketImpl socket, Handshake handshake, Object context) {
    this(socket, handshake, context, "");
  }

  JwsConnection(WebSocketImpl socket, Handshake handshake, Object context, String subprotocol) {
    this.socket = socket;
    this.handshake = handshake;
    this.context = context;
    this.subprotocol = subprotocol;
    this.channel = (CountingChannel) socket.getChannel();
    channel.afterWrite(this::checkDrained);
  }

  @Override
  public Handshake handshake() {
    return handshake;
  }

  @Override
  public Object context() {
    return context;
  }

  @Override
  public String subprotocol() {
    return subprotocol;
  }

  @Override
  public boolean send(OutboundMessage message) {
    if (!(message instanceof TextFrame frame)) {
      throw new IllegalArgumentException(
          "message was prepared by another transport: " + message.getClass().getName());
    }
    if (!socket.isOpen()) {
      return false;
    }
    // The frame is complete and unmasked; queue a view of the shared bytes and ask the selector to
    // write, exactly what WebSocketImpl.write does after framing, minus the per-recipient copy.
    enqueued.addAndGet(frame.sizeBytes());
    socket.outQueue.add(frame.view());
    socket.getWebSocketListener().onWriteDemand(socket);
    return true;
  }

  @Override
  public void close(int code, String reason) {
    if (closeRequestedNanos == 0) {
      closeRequestedNanos = System.nanoTime();
    }
    socket.close(code, clipReason(reason));
  }

  @Override
  public long queuedBytes() {
    return Math.max(0, enqueued.get() - channel.written());
  }

  @Override
  public void notifyWhenDrained(long bytes) {
    drainAt.set(bytes);
    checkDrained();
  }

  private void checkDrained() {
    long level = drainAt.get();
    if (level >= 0 && queuedBytes() <= level && drainAt.compareAndSet(level, -1)) {
      InboundListener listener = inbound();
      if (listener != null) {
        try {
          listener.onDrained();
        } catch (Throwable t) {
          log.error("engine failed on a drained queue of {}", handshake.remoteAddress(), t);
        }
      }
    }
  }

  WebSocket socket() {
    return socket;
  }

  /** The engine accepted the connection; replays a close that raced with the open. */
  void opened(InboundListener listener) {
    boolean replayClose;
    synchronized (this) {
      inbound = listener;
      replayClose = closedBeforeOpen;
    }
    if (replayClose) {
      reportClosed(closeCode, closeReason);
    }
  }

  InboundListener inbound() {
    synchronized (this) {
      return inbound;
    }
  }

  /** Tells the engine once; if the engine has not seen the open yet, remembers the close for later. */
  void reportClosed(int code, String reason) {
    InboundListener listener;
    synchronized (this) {
      if (closeReported) {
        return;
      }
      if (inbound == null) {
        closedBeforeOpen = true;
        closeCode = code;
        closeReason = reason;
        return;
      }
      closeReported = true;
      listener = inbound;
    }
    try {
      listener.onClosed(code, reason == null ? "" : reason);
    } catch (Throwable t) {
      log.error("engine failed while handling the close of {}", handshake.remoteAddress(), t);
    }
  }

  /** A close reason must fit in a control frame: at most 123 bytes of UTF-8. */
  static String clipReason(String reason) {
    if (reason == null) {
      return "";
    }
    byte[] bytes = reason.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= 123) {
      return reason;
    }
    String clipped = reason;
    while (clipped.getBytes(StandardCharsets.UTF_8).length > 123) {
      clipped = clipped.substring(0, clipped.length() - 1);
    }
    return clipped;
  }
}
