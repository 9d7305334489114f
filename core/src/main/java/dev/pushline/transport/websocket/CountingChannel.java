package dev.pushline.transport.websocket;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.SocketChannel;
import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.java_websocket.WrappedByteChannel;

/**
 * The socket as Java-WebSocket reads and writes it: plain, or TLS through a {@link TlsLayer} ({@link TlsChannel}).
 *
 * <h2>Counting</h2>
 * It counts the bytes of our own frames as they leave. Our frames are the only read-only buffers in a
 * connection's queue (Java-WebSocket allocates its own control frames and handshake writable), so
 * {@code isReadOnly()} tells them apart exactly. With TLS, a byte leaves when the engine has encrypted it
 * <em>and</em> the socket has taken the record: while encrypted bytes wait, the last byte of the last
 * buffer written is held back (its position stays one short of its limit), so the selector keeps asking
 * to write. Java-WebSocket alone would stop asking once the queue is empty and leave up to a record
 * unsent until the next message.
 *
 * <h2>Gathering writes</h2>
 * Java-WebSocket's selector writes a connection's queue one buffer, one system call, at a time. When it
 * asks to write the buffer at the head of the queue, this channel writes that buffer and the ones queued
 * behind it (up to {@link #GATHER_BUFFERS} buffers or {@link #GATHER_BYTES} bytes) with one gathering
 * {@code write} (with TLS: as few records as fit). The selector then finds those buffers already written
 * ({@code remaining() == 0}), polls them and asks for the next, which costs nothing here. Order is kept:
 * buffers are written in queue order.
 *
 * <h2>Refusals</h2>
 * After {@link #refuse}, only the refusal's own buffer is written; anything else queued (Java-WebSocket's
 * own "404 WebSocket Upgrade Failure" page) is dropped unsent. Once it is out, the output is shut down
 * (with TLS after {@code close_notify}), so the client reads the response and then the end of the stream.
 * The socket itself stays open until the client closes its side (see {@link PushSocket} for what it
 * still sends), so that closing does not reset the connection under a response the client has not read.
 * Java-WebSocket's own error responses (to an invalid upgrade request) are dropped and
 * {@link Events#upgradeRejected} runs: the server refuses with a response of ours instead.
 *
 * <h2>Threads</h2>
 * Read and written by the selector thread only. {@link #refuse} may be called from a worker thread;
 * {@link #written} is read and {@link #close} called by any thread. {@code onClose} runs once, on the
 * thread that closes first.
 */
final class CountingChannel implements WrappedByteChannel {

  static final int GATHER_BUFFERS = 64;
  static final int GATHER_BYTES = 256 * 1024;
  /** Told of what happens on the channel. */
  interface Events {
    /** Java-WebSocket tried to answer the upgrade with an error response of its own; selector thread. */
    default void upgradeRejected(int status) {}

    /**
     * TLS input waits to be read with no read event to come (it arrived with the end of the handshake,
     * which a delegated task finished); selector thread. The server reads it with {@link #readMore}.
     */
    default void inputBuffered() {}

    /** {@code channel} closed; runs once. */
    default void closed(CountingChannel channel) {}
  }

  private static final Events NO_EVENTS = new Events() {};

  private final SocketChannel socket;
  private final TlsLayer tls; // null for plain sockets
  private final GatheringByteChannel out;
  private final Queue<ByteBuffer> queue;
  private final Events events;
  private volatile long written;
  private volatile Runnable afterWrite;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final ByteBuffer[] batch = new ByteBuffer[GATHER_BUFFERS]; // selector thread only
  private final int[] before = new int[GATHER_BUFFERS]; // selector thread only
  /** A buffer written to its last byte, which is held back while TLS output waits. Selector thread only. */
  private ByteBuffer heldBack;
  private volatile ByteBuffer refusal;
  private boolean refusalSent; // selector thread only
  /** Whether the 101 response went out: from then on no write is an HTTP response. Selector thread only. */
  private boolean upgraded;

  /**
   * @param tls the TLS layer over {@code socket}, or null for a plain socket
   * @param queue the connection's outgoing queue, whose head is what the selector writes
   */
  CountingChannel(SocketChannel socket, TlsLayer tls, Queue<ByteBuffer> queue, Events events) {
    this.socket = socket;
    this.tls = tls;
    this.out = tls != null ? tls : socket;
    this.queue = queue;
    this.events = events;
  }

  /** A plain channel with no events, for tests of writing. */
  CountingChannel(SocketChannel socket, Queue<ByteBuffer> queue) {
    this(socket, null, queue, NO_EVENTS);
  }

  /** Bytes of our frames written to the socket so far. */
  long written() {
    return written;
  }

  /** Runs after each write of our bytes, on the selector thread. */
  void afterWrite(Runnable hook) {
    this.afterWrite = hook;
  }

  /**
   * Makes {@code response} the only thing this channel still writes; the caller then queues it. The first
   * refusal wins.
   *
   * @return false if the channel was refusing already (do not queue {@code response})
   */
  synchronized boolean refuse(ByteBuffer response) {
    if (refusal != null) {
      return false;
    }
    refusal = response;
    return true;
  }

  boolean refusing() {
    return refusal != null;
  }

  // --- writing ---------------------------------------------------------------------------------

  @Override
  public int write(ByteBuffer src) throws IOException {
    if (src == heldBack) {
      return releaseHeldBack(src);
    }
    if (!src.hasRemaining()) {
      return 0; // written already by an earlier gathering write
    }
    ByteBuffer refusing = refusal;
    if (refusing == null && !upgraded && !src.isReadOnly()) {
      int status = HttpRefusal.statusOf(src);
      if (status == 101) {
        upgraded = true;
      } else if (status > 0) {
        // Java-WebSocket answering an invalid upgrade itself: drop its page, the server queues ours
        src.position(src.limit());
        events.upgradeRejected(status);
        return 0;
      }
    }
    if (refusing != null) {
      if (src != refusing) {
        src.position(src.limit()); // never sent: Java-WebSocket's own error page, or anything else
        return 0;
      }
      int n = (int) writeOut(src, 1);
      finishRefusalIfSent();
      return n;
    }
    return (int) Math.min(Integer.MAX_VALUE, writeOut(src, gather(src)));
  }

  /** Writes {@code batch[0..count)} (batch[0] is {@code src}), counts our bytes, holds back for TLS. */
  private long writeOut(ByteBuffer src, int count) throws IOException {
    if (count == 1) {
      batch[0] = src;
      before[0] = src.position();
    }
    // TLS always gathers: its single-buffer write makes one record of 16 KiB at most per call
    long n = count == 1 && tls == null ? socket.write(src) : out.write(batch, 0, count);
    long ours = 0;
    ByteBuffer last = null;
    for (int i = 0; i < count; i++) {
      ByteBuffer b = batch[i];
      if (b.isReadOnly()) {
        ours += b.position() - before[i];
      }
      if (b.position() > before[i]) {
        last = b;
      }
      batch[i] = null;
    }
    if (tls != null && last != null && !last.hasRemaining() && tls.hasPendingOutput()) {
      // The socket did not take the whole last record: keep the selector asking until it has.
      last.position(last.limit() - 1);
      heldBack = last;
      if (last.isReadOnly()) {
        ours--;
      }
    }
    count(ours);
    return n;
  }

  private int releaseHeldBack(ByteBuffer src) throws IOException {
    tls.writeMore();
    if (tls.hasPendingOutput()) {
      return 0;
    }
    heldBack = null;
    src.position(src.limit());
    count(src.isReadOnly() ? 1 : 0);
    finishRefusalIfSent();
    return 1;
  }

  private void count(long ours) {
    if (ours > 0) {
      written += ours; // single writer: the selector thread
      Runnable hook = afterWrite;
      if (hook != null) {
        hook.run();
      }
    }
  }

  private void finishRefusalIfSent() throws IOException {
    ByteBuffer refusing = refusal;
    if (refusalSent || refusing == null || refusing.hasRemaining() || heldBack == refusing) {
      return;
    }
    refusalSent = true;
    if (tls != null) {
      tls.shutdownOutput();
    } else {
      socket.shutdownOutput();
    }
  }

  /** Fills {@link #batch} with {@code src} and, if it heads the queue, the buffers behind it. */
  private int gather(ByteBuffer src) {
    batch[0] = src;
    before[0] = src.position();
    int count = 1;
    long bytes = src.remaining();
    Iterator<ByteBuffer> it = queue.iterator();
    if (!it.hasNext() || it.next() != src) {
      return 1; // not the head (cannot happen with Java-WebSocket 1.6.0): write it alone
    }
    while (count < GATHER_BUFFERS && bytes < GATHER_BYTES && it.hasNext()) {
      ByteBuffer next = it.next();
      if (next == refusal) {
        break;
      }
      batch[count] = next;
      before[count] = next.position();
      bytes += next.remaining();
      count++;
    }
    return count;
  }

  @Override
  public boolean isNeedWrite() {
    return tls != null && tls.isNeedWrite();
  }

  @Override
  public void writeMore() throws IOException {
    if (tls != null) {
      tls.writeMore();
      if (tls.hasBufferedInput()) {
        events.inputBuffered();
      }
    }
  }

  // --- reading ---------------------------------------------------------------------------------

  @Override
  public int read(ByteBuffer dst) throws IOException {
    return tls != null ? tls.read(dst) : socket.read(dst);
  }

  @Override
  public int readMore(ByteBuffer dst) throws IOException {
    return tls != null ? tls.readMore(dst) : 0;
  }

  @Override
  public boolean isNeedRead() {
    return tls != null && tls.hasBufferedInput();
  }

  // --- the rest --------------------------------------------------------------------------------

  @Override
  public boolean isBlocking() {
    return socket.isBlocking();
  }

  @Override
  public boolean isOpen() {
    return socket.isOpen();
  }

  @Override
  public void close() throws IOException {
    try {
      if (tls != null) {
        tls.close(); // close_notify, then the socket
      }
    } catch (IOException e) {
      // The peer is gone or the output was shut down after a refusal: close_notify cannot be sent,
      // and there is nobody to tell. The socket is closed below either way.
    } finally {
      socket.close();
      if (closed.compareAndSet(false, true)) {
        events.closed(this);
      }
    }
  }
}
