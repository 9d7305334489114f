package dev.pushline.transport.websocket;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import org.java_websocket.SSLSocketChannel2;

/**
 * Java-WebSocket's TLS channel, with what {@link CountingChannel} needs on top.
 *
 * <ul>
 *   <li>A gathering {@link #write(ByteBuffer[], int, int)}: the engine wraps many queued frames into one
 *       TLS record (up to 16 KiB of plaintext) instead of one record and one system call per frame.</li>
 *   <li>{@link #hasPendingOutput()}: encrypted bytes wrapped but not yet taken by the socket.</li>
 *   <li>{@link #shutdownOutput()}: {@code close_notify}, then a TCP half-close.</li>
 *   <li>No busy selector during handshakes. The parent says it needs to write for as long as its
 *       handshake is not finished, so the selector keeps the socket's write interest and spins: measured,
 *       one idle TCP connection to the TLS port kept the selector thread at 90% of a core until the
 *       handshake timeout closed it. Here {@link #isNeedWrite} is true only when there is something to
 *       write (encrypted bytes waiting, or the engine asking to wrap); a read that leaves the engine
 *       wanting to write asks for write interest, and so does each delegated task when it ends.</li>
 * </ul>
 *
 * <p>Used by the selector thread only, as its parent is, but for the delegated tasks, which run on the
 * server's TLS pool and only touch the selection key.
 */
final class TlsChannel extends SSLSocketChannel2 implements TlsLayer {

  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  /**
   * @param tasks the pool that runs the engine's delegated tasks
   * @param key the socket's selection key
   */
  TlsChannel(SocketChannel channel, SSLEngine engine, Executor tasks, SelectionKey key) throws IOException {
    super(channel, engine, new WakingTasks(tasks, key), key);
  }

  @Override
  public boolean isNeedWrite() {
    return outCrypt.hasRemaining()
        || sslEngine.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_WRAP;
  }

  /**
   * While the engine asks to wrap a handshake message, wraps it here; else as the parent. The parent's
   * handshake step ends in {@code assert status != NOT_HANDSHAKING}, which fails when the wrap that ends a
   * TLS 1.3 handshake reports {@code NOT_HANDSHAKING} rather than {@code FINISHED}: harmless without
   * {@code -ea}, but with it (as in tests) the {@code AssertionError} ends the selector thread.
   */
  @Override
  public int write(ByteBuffer src) throws IOException {
    if (wrapHandshakeIfAsked()) {
      return 0;
    }
    return super.write(src);
  }

  @Override
  public void writeMore() throws IOException {
    if (!wrapHandshakeIfAsked()) {
      super.writeMore();
    }
  }

  private boolean wrapHandshakeIfAsked() throws IOException {
    if (sslEngine.getHandshakeStatus() != SSLEngineResult.HandshakeStatus.NEED_WRAP) {
      return false;
    }
    SSLEngineResult result;
    synchronized (this) {
      outCrypt.compact();
      result = sslEngine.wrap(EMPTY, outCrypt);
      writeEngineResult = result;
      outCrypt.flip();
    }
    socketChannel.write(outCrypt);
    if (result.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.FINISHED) {
      createBuffers(sslEngine.getSession()); // what the parent does when its handshake finishes
    }
    return true;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    int n = super.read(dst);
    askToWriteIfNeeded(selectionKey, this);
    return n;
  }

  @Override
  public int readMore(ByteBuffer dst) throws javax.net.ssl.SSLException {
    int n = super.readMore(dst);
    askToWriteIfNeeded(selectionKey, this);
    return n;
  }

  /** A read can move the handshake to where the engine must write; the selector learns it here. */
  private static void askToWriteIfNeeded(SelectionKey key, TlsChannel channel) {
    if (key != null && channel.isNeedWrite()) {
      addWriteInterest(key);
    }
  }

  private static void addWriteInterest(SelectionKey key) {
    try {
      if (key.isValid()) {
        key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
      }
    } catch (CancelledKeyException e) {
      // closed meanwhile: nothing to write any more
    }
  }

  @Override
  public boolean hasPendingOutput() {
    return outCrypt.hasRemaining();
  }

  private boolean handshakeDone() {
    SSLEngineResult.HandshakeStatus s = sslEngine.getHandshakeStatus();
    return s == SSLEngineResult.HandshakeStatus.FINISHED
        || s == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING;
  }

  /**
   * Wraps as much of {@code srcs} as the socket takes, record by record, and stops at the first record the
   * socket does not take whole (the rest of it waits in {@code outCrypt}, see {@link #hasPendingOutput}).
   *
   * @return plaintext bytes consumed from {@code srcs} (not the encrypted bytes written)
   */
  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    if (!handshakeDone()) {
      return write(srcs[offset]); // drives the handshake; consumes nothing
    }
    if (outCrypt.hasRemaining()) { // a record from before goes first
      socketChannel.write(outCrypt);
      if (outCrypt.hasRemaining()) {
        return 0;
      }
    }
    long before = remaining(srcs, offset, length);
    long left = before;
    while (left > 0) {
      SSLEngineResult result;
      synchronized (this) { // the parent wraps and unwraps under this monitor
        outCrypt.compact();
        result = sslEngine.wrap(srcs, offset, length, outCrypt);
        writeEngineResult = result;
        outCrypt.flip();
      }
      socketChannel.write(outCrypt);
      if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
        throw new EOFException("Connection is closed");
      }
      left = remaining(srcs, offset, length);
      if (outCrypt.hasRemaining() || result.bytesConsumed() == 0) {
        break; // the socket is full, or the engine wants the previous record out first
      }
    }
    return before - left;
  }

  @Override
  public long write(ByteBuffer[] srcs) throws IOException {
    return write(srcs, 0, srcs.length);
  }

  private static long remaining(ByteBuffer[] srcs, int offset, int length) {
    long n = 0;
    for (int i = offset; i < offset + length; i++) {
      n += srcs[i].remaining();
    }
    return n;
  }

  /**
   * Runs delegated tasks on the server's TLS pool and, when one ends, asks the selector to write, which
   * resumes the handshake. (The parent only checks its tasks when it is asked to write or read.)
   */
  private static final class WakingTasks extends AbstractExecutorService {
    private final Executor pool;
    private final SelectionKey key;

    WakingTasks(Executor pool, SelectionKey key) {
      this.pool = pool;
      this.key = key;
    }

    @Override
    public void execute(Runnable task) {
      Runnable waking = () -> {
        try {
          task.run();
        } finally {
          addWriteInterest(key);
          key.selector().wakeup();
        }
      };
      try {
        pool.execute(waking);
      } catch (RejectedExecutionException e) {
        waking.run(); // the server is shutting down: finish here rather than leave the handshake hanging
      }
    }

    @Override
    public void shutdown() {
      // the pool is the server's: it shuts it down
    }

    @Override
    public List<Runnable> shutdownNow() {
      return List.of();
    }

    @Override
    public boolean isShutdown() {
      return false;
    }

    @Override
    public boolean isTerminated() {
      return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return true;
    }
  }

  /** Sends {@code close_notify} and half-closes the TCP connection: the peer reads the end of the stream. */
  @Override
  public void shutdownOutput() throws IOException {
    sslEngine.closeOutbound();
    synchronized (this) {
      outCrypt.compact();
      writeEngineResult = sslEngine.wrap(EMPTY, outCrypt);
      outCrypt.flip();
    }
    socketChannel.write(outCrypt);
    socketChannel.shutdownOutput();
  }
}
