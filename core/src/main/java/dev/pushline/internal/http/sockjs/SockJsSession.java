package dev.pushline.internal.http.sockjs;

import dev.pushline.CloseCodes;
import dev.pushline.transport.Handshake;
import dev.pushline.transport.InboundListener;
import dev.pushline.transport.OutboundMessage;
import dev.pushline.transport.TransportConnection;
import java.net.InetAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SockJS session seen through the transport SPI: a connection made of a series of HTTP requests. Messages
 * given to {@link #send} wait in a queue until a receiving request (a {@link Receiver}) takes them; a writer
 * task on the feature's writer pool writes them, never the thread that sent them.
 *
 * <h2>Lifecycle</h2>
 * {@code OPEN} until {@link #close} queues the close frame ({@code CLOSING}); {@code CLOSED} once the close frame
 * went out with everything queued before it, or the session timed out, lost a receiving request mid-write, or
 * its close was not taken within the close grace. The listener hears {@code onClosed} once, when the session
 * becomes {@code CLOSED}; from then on nothing is queued, the limits count is released, and every further
 * receiving request is answered with the close frame until the feature forgets the session (after the
 * disconnect delay).
 *
 * <h2>Concurrency</h2>
 * {@link #lock} guards the state, the queue and the receivers; listener calls and I/O happen outside it.
 * {@link #inbound} serialises {@code onText} calls and the opener (so {@code onOpen} returns before the first
 * message is delivered); it is never taken while {@link #lock} is held.
 *
 * <p>Thread-safe.
 */
final class SockJsSession implements TransportConnection {

  private static final Logger log = LoggerFactory.getLogger(SockJsSession.class);

  /** The frame a second receiving request gets while one is open. */
  static final String ANOTHER_CONNECTION = Frames.close(2010, "Another connection still open");
  /** What a session that lost its client mid-way answers until it is forgotten. */
  static final String INTERRUPTED = Frames.close(1002, "Connection interrupted");

  private enum State { OPEN, CLOSING, CLOSED }

  private final SockJsFeature feature;
  private final SockJsSettings settings;
  final String id;
  private final Handshake handshake;
  private final Object context;
  /** The opening request's {@code Origin}, or null: later requests must carry the same or none. */
  private final String origin;
  /** The address counted in the feature's limits. */
  final InetAddress address;
  private final Object lock = new Object();
  private final Object inbound = new Object();
  private final AtomicLong queued = new AtomicLong();
  /** -1, or the level at which to call {@code onDrained} once. */
  private final AtomicLong drainAt = new AtomicLong(-1);

  private State state = State.OPEN; // guarded by lock
  private final ArrayDeque<OutboundMessage> queue = new ArrayDeque<>(); // guarded by lock
  private long pendingBytes; // guarded by lock; the sizeBytes of what is in queue
  private boolean openSent; // guarded by lock
  private Receiver receiver; // guarded by lock; the attached receiving request
  /** Detached receiving requests still writing their last pass (more than one only for odd clients). */
  private final List<Receiver> finishing = new ArrayList<>(1); // guarded by lock
  private long idleSince; // guarded by lock; when the last receiving request ended
  private String closeFrame; // guarded by lock
  private int closeCode; // guarded by lock
  private String closeReason; // guarded by lock
  private long closingSince; // guarded by lock
  private long closedAt; // guarded by lock
  private int endCode; // guarded by lock
  private String endReason; // guarded by lock
  private InboundListener listener; // guarded by lock
  private boolean closeReported; // guarded by lock

  SockJsSession(SockJsFeature feature, SockJsSettings settings, String id, Handshake handshake, Object context,
      InetAddress address) {
    this.feature = feature;
    this.settings = settings;
    this.id = id;
    this.handshake = handshake;
    this.context = context;
    this.origin = handshake.header("origin");
    this.address = address;
    this.idleSince = now();
  }

  // --- TransportConnection -----------------------------------------------------------------------

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
    synchronized (lock) {
      if (state != State.OPEN) {
        return false;
      }
      queue.add(message);
      pendingBytes += message.sizeBytes();
      queued.addAndGet(message.sizeBytes());
      if (receiver != null) {
        kick(receiver);
      }
    }
    return true;
  }

  /**
   * Queues the close frame {@code c[code,"reason"]} behind everything queued; the session ends once a
   * receiving request took it, or after the close grace.
   */
  @Override
  public void close(int code, String reason) {
    synchronized (lock) {
      if (state != State.OPEN) {
        return;
      }
      state = State.CLOSING;
      closeCode = code;
      closeReason = clip(reason == null ? "" : reason);
      closeFrame = Frames.close(code, closeReason);
      closingSince = now();
      if (receiver != null) {
        kick(receiver);
      }
    }
    log.debug("sockjs session {}: closing with {} {}", id, code, reason);
  }

  /** Bytes given to {@link #send} and not yet written to a receiving request. O(1). */
  @Override
  public long queuedBytes() {
    return Math.max(0, queued.get());
  }

  @Override
  public void notifyWhenDrained(long bytes) {
    drainAt.set(bytes);
    checkDrained();
  }

  private void checkDrained() {
    long level = drainAt.get();
    if (level >= 0 && queuedBytes() <= level && drainAt.compareAndSet(level, -1)) {
      InboundListener l;
      synchronized (lock) {
        l = listener;
      }
      if (l != null) {
        try {
          l.onDrained();
        } catch (RuntimeException | Error e) {
          log.error("sockjs session {}: the listener failed on a drained queue", id, e);
        }
      }
    }
  }

  // --- what the feature does with a session --------------------------------------------------------

  /**
   * Asks the opener for this session's listener. Holds {@link #inbound} meanwhile, so no message is delivered
   * before the listener exists; replays a close that happened during the call.
   */
  void open(SockJsFeature.Opener opener) {
    synchronized (inbound) {
      InboundListener l;
      try {
        l = opener.open(this);
      } catch (RuntimeException | Error e) {
        log.error("sockjs session {}: opening failed", id, e);
        l = null;
      }
      if (l == null) {
        end(CloseCodes.INTERNAL_ERROR, "server error", false);
        return;
      }
      boolean replay;
      int code;
      String reason;
      synchronized (lock) {
        listener = l;
        replay = state == State.CLOSED && !closeReported;
        closeReported |= replay;
        code = endCode;
        reason = endReason;
      }
      if (replay) {
        tellClosed(l, code, reason);
      }
    }
  }

  /** Whether a request with this {@code Origin} header (or none) may use this session. */
  boolean allows(String requestOrigin) {
    return requestOrigin == null || requestOrigin.equals(origin);
  }

  /**
   * Hands {@code messages} to the listener, in order, serially with every other delivery.
   *
   * @return false if the session is closed (nothing was delivered)
   */
  boolean deliver(List<String> messages) {
    synchronized (inbound) {
      InboundListener l;
      synchronized (lock) {
        if (state == State.CLOSED || listener == null) {
          return false;
        }
        l = listener;
      }
      for (String m : messages) {
        try {
          l.onText(m);
        } catch (RuntimeException | Error e) {
          log.error("sockjs session {}: the listener failed on a message; closing with 1011", id, e);
          close(CloseCodes.INTERNAL_ERROR, "server error");
          break;
        }
      }
      return true;
    }
  }

  /**
   * Makes {@code r} this session's receiving request.
   *
   * @return null when attached; else the frame to answer it with and end it at once: the close frame of a
   *     closed session, or {@link #ANOTHER_CONNECTION} while another receiving request is attached
   */
  String attach(Receiver r) {
    synchronized (lock) {
      if (state == State.CLOSED) {
        return closeFrame;
      }
      if (receiver != null) {
        return ANOTHER_CONNECTION;
      }
      receiver = r;
      r.lastActivity = now();
      if (!openSent || !queue.isEmpty() || state != State.OPEN || r.kind != Receiver.Kind.POLLING) {
        kick(r);
      }
      return null;
    }
  }

  /**
   * Ends the session now: drops the queue, interrupts a write in progress, lets an idle receiving request
   * take the close frame, releases the limits count, and tells the listener {@code onClosed(code, reason)}.
   * Idempotent.
   *
   * @param interrupted whether the client is presumed gone: further requests then get
   *     {@code c[1002,"Connection interrupted"]} rather than a close frame of the server's
   */
  void end(int code, String reason, boolean interrupted) {
    InboundListener tell = null;
    synchronized (lock) {
      if (state == State.CLOSED) {
        return;
      }
      if (closeFrame == null || (interrupted && state == State.OPEN)) {
        closeFrame = interrupted ? INTERRUPTED : Frames.close(code, clip(reason));
      }
      state = State.CLOSED;
      closedAt = now();
      endCode = code;
      endReason = reason;
      queued.addAndGet(-pendingBytes);
      pendingBytes = 0;
      queue.clear();
      List<Receiver> all = new ArrayList<>(finishing);
      if (receiver != null) {
        all.add(receiver);
      }
      for (Receiver r : all) {
        if (r.writer != null) {
          r.writer.interrupt(); // closes the socket under a stuck write; the writer then ends the response
        } else if (r == receiver) {
          kick(r); // idle: it takes the close frame
        }
      }
      if (listener != null && !closeReported) {
        closeReported = true;
        tell = listener;
      }
    }
    log.debug("sockjs session {} ended: {} {}", id, code, reason);
    feature.ended(this);
    if (tell != null) {
      tellClosed(tell, code, reason);
    }
  }

  private void tellClosed(InboundListener l, int code, String reason) {
    try {
      l.onClosed(code, reason == null ? "" : reason);
    } catch (RuntimeException | Error e) {
      log.error("sockjs session {}: the listener failed on close", id, e);
    }
  }

  /** Whether a receiving request is attached or still being written to. */
  boolean hasReceiver() {
    synchronized (lock) {
      return receiver != null || !finishing.isEmpty();
    }
  }

  boolean isClosed() {
    synchronized (lock) {
      return state == State.CLOSED;
    }
  }

  /**
   * The feature's timer looks at this session: heartbeats due, a write stuck past the write timeout, no
   * receiving request for the disconnect delay, a close not taken within the close grace.
   *
   * @return false when the session is closed and may be forgotten
   */
  boolean tick(long now) {
    int code = 0;
    String reason = null;
    boolean interrupted = false;
    synchronized (lock) {
      Receiver stuck = stuck(receiver, now) ? receiver : null;
      for (Receiver r : finishing) {
        stuck = stuck != null ? stuck : stuck(r, now) ? r : null;
      }
      if (stuck != null && state == State.CLOSED) {
        stuck.writer.interrupt(); // the close frame does not go out either: free the thread
      } else if (stuck != null) {
        code = state == State.CLOSING ? closeCode : 1006;
        reason = state == State.CLOSING ? closeReason
            : "a write took longer than " + settings.ioTimeout().toMillis() + " ms";
        interrupted = state == State.OPEN;
      } else if (state == State.OPEN) {
        if (receiver == null && finishing.isEmpty()) {
          if (now - idleSince >= settings.disconnectDelay().toMillis()) {
            code = 1006;
            reason = "no receiving request for " + settings.disconnectDelay().toMillis() + " ms";
            interrupted = true;
          }
        } else if (receiver != null && !receiver.writing
            && now - receiver.lastActivity >= settings.heartbeat().toMillis()) {
          receiver.heartbeatDue = true;
          kick(receiver);
        }
      } else if (state == State.CLOSING) {
        if (now - closingSince >= settings.closeGrace().toMillis()) {
          code = closeCode;
          reason = closeReason;
        }
      } else if (receiver == null && finishing.isEmpty()
          && now - closedAt >= settings.disconnectDelay().toMillis()) {
        return false;
      }
    }
    if (reason != null) {
      end(code, reason, interrupted);
    }
    return true;
  }

  private boolean stuck(Receiver r, long now) {
    return r != null && r.writeStartedAt >= 0 && now - r.writeStartedAt >= settings.ioTimeout().toMillis();
  }

  // --- writing -----------------------------------------------------------------------------------

  /** Starts a writer task for {@code r} unless one is queued or running. Under {@link #lock}. */
  private void kick(Receiver r) {
    if (r.writing || r.done) {
      return;
    }
    r.writing = true;
    try {
      feature.writers().execute(() -> write(r));
    } catch (RejectedExecutionException closing) {
      // The feature is closed: its HTTP server stops and closes every exchange.
      r.writing = false;
      r.done = true;
    }
  }

  /** The writer task of {@code r}: writes passes until there is nothing left to write or the response ended. */
  private void write(Receiver r) {
    while (true) {
      Receiver.Batch b;
      synchronized (lock) {
        b = next(r);
        if (b == null) {
          r.writing = false;
          return;
        }
        r.writer = Thread.currentThread();
        r.writeStartedAt = now();
        r.lastActivity = r.writeStartedAt; // the next heartbeat is due an interval after this write began
      }
      Exception failure = null;
      try {
        r.write(b);
      } catch (java.io.IOException | RuntimeException e) {
        failure = e;
      }
      boolean wasOpen;
      synchronized (lock) {
        r.writer = null;
        // Interrupts come only under this lock while r.writer is set: one that came was meant for the write
        // just finished. Cleared here, not before taking the lock, so that one sent in between cannot fail
        // the next pass (the close frame).
        Thread.interrupted();
        r.writeStartedAt = -1;
        queued.addAndGet(-b.messageBytes());
        if (failure != null || b.last()) {
          r.done = true;
          r.writing = false;
          if (receiver == r) {
            receiver = null;
          }
          finishing.remove(r);
          idleSince = now();
        }
        wasOpen = state == State.OPEN;
      }
      checkDrained();
      if (failure != null) {
        r.abandon();
        log.debug("sockjs session {}: writing to a receiving request failed: {}", id, failure.toString());
        if (wasOpen) {
          end(1006, "connection interrupted", true);
        } else {
          endAsClosing();
        }
        return;
      }
      if (b.deliversClose()) {
        endAsClosing();
      }
      if (b.last()) {
        return;
      }
    }
  }

  /** Ends a closing session with the code and reason it was closed with. */
  private void endAsClosing() {
    int code;
    String reason;
    synchronized (lock) {
      if (state != State.CLOSING) {
        return;
      }
      code = closeCode;
      reason = closeReason;
    }
    end(code, reason, false);
  }

  /**
   * What {@code r} writes next, taken from the queue; null when there is nothing. A poll takes one frame and
   * ends; a stream takes everything up to about the stream limit and ends once past it. The receiver that
   * takes its last pass is detached here, before it writes, so that the client's next request (which it sends
   * once it has read this one) finds no receiving request attached. Under {@link #lock}.
   */
  private Receiver.Batch next(Receiver r) {
    if (r.done) {
      return null;
    }
    boolean polling = r.kind == Receiver.Kind.POLLING;
    List<String> frames = new ArrayList<>(3);
    boolean last = false;
    boolean deliversClose = false;
    long messageBytes = 0;
    if (!openSent) {
      openSent = true;
      frames.add(Frames.OPEN);
      last = polling;
    } else if (state == State.CLOSED) {
      frames.add(closeFrame);
      last = true;
    }
    if (!last && state != State.CLOSED) {
      if (!queue.isEmpty()) {
        List<String> texts = new ArrayList<>();
        long chars = 0;
        while (!queue.isEmpty() && (texts.isEmpty() || chars < settings.streamLimitBytes())) {
          OutboundMessage m = queue.poll();
          texts.add(m.text());
          chars += m.text().length();
          messageBytes += m.sizeBytes();
        }
        pendingBytes -= messageBytes;
        frames.add(Frames.array(texts));
        last = polling;
      }
      if (!last && queue.isEmpty() && state == State.CLOSING) {
        frames.add(closeFrame);
        last = true;
        deliversClose = true;
      }
    }
    if (frames.isEmpty() && r.heartbeatDue) {
      frames.add(Frames.HEARTBEAT);
      last = polling;
    }
    r.heartbeatDue = false;
    boolean head = !r.headSent;
    if (frames.isEmpty() && !(head && !polling)) {
      return null;
    }
    r.headSent = true;
    String text = r.kind.encode(head, frames);
    r.streamed += text.length();
    if (!polling && r.streamed >= settings.streamLimitBytes()) {
      last = true;
    }
    if (last) {
      r.done = true;
      if (receiver == r) {
        receiver = null;
      }
      finishing.add(r);
    }
    return new Receiver.Batch(head, text, last, messageBytes, deliversClose);
  }

  private long now() {
    return settings.clock().millis();
  }

  /** A close reason of at most 123 characters, as a WebSocket close frame would carry. */
  private static String clip(String reason) {
    return reason.length() <= 123 ? reason : reason.substring(0, 123);
  }

  @Override
  public String toString() {
    return "SockJsSession[" + id + "]";
  }
}
