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
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLEngineResult.Status;
import org.java_websocket.SSLSocketChannel2;

/**
 * Java-WebSocket's TLS channel, with the handshake driven here and what {@link CountingChannel} needs.
 *
 * <h2>The handshake</h2>
 * The parent's handshake step ({@code SSLSocketChannel2.processHandshake}) is not used; {@link #handshake}
 * replaces it. Measured or read in the parent:
 * <ul>
 *   <li>It says it needs to write for as long as the handshake lasts, so the selector keeps the socket's
 *       write interest and spins: one idle TCP connection to the TLS port kept the selector thread at 90%
 *       of a core until the handshake timeout closed it.</li>
 *   <li>When a delegated task ends the handshake, bytes the client sent with its last handshake message
 *       (its HTTP request, in TLS 1.3) wait in the parent's buffer with nothing to read them: the client
 *       never got its upgrade (seen about once in 300 connections).</li>
 *   <li>It ends with {@code assert status != NOT_HANDSHAKING}, which fails when the wrap that ends a TLS
 *       1.3 handshake reports {@code NOT_HANDSHAKING}: with {@code -ea} (as in tests) the
 *       {@code AssertionError} ends the selector thread.</li>
 *   <li>When the handshake finishes it resizes its buffers, dropping encrypted bytes not yet written.</li>
 * </ul>
 * Here {@link #isNeedWrite} is true only when the handshake can take a step without the peer (the engine
 * asks to wrap or to run a task, or a whole record waits to be unwrapped) or encrypted bytes wait; a read
 * that leaves such a step asks for write interest, and so does each delegated task when it ends (they run on
 * the server's TLS pool, not on the selector). Application bytes already received when the handshake ends
 * are reported by {@link #hasBufferedInput}, for the server to read without waiting for the socket.
 *
 * <h2>Writing</h2>
 * A gathering {@link #write(ByteBuffer[], int, int)}: the engine wraps many queued frames into one record (up
 * to 16 KiB of plaintext) instead of one record and one system call per frame. {@link #writeMore} only
 * flushes what is encrypted (the parent's wraps its own output buffer again). {@link #shutdownOutput}
 * sends {@code close_notify}, then half-closes the TCP connection.
 *
 * <p>Used by the selector thread only, as its parent is, but for the delegated tasks, which run on the
 * server's TLS pool and only touch the selection key. Application reads after the handshake and
 * {@code close} are the parent's.
 */
final class TlsChannel extends SSLSocketChannel2 implements TlsLayer {

  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
  /** Steps one call of {@link #handshake} may take; a handshake needs a handful. */
  private static final int MAX_STEPS = 32;

  /**
   * @param tasks the pool that runs the engine's delegated tasks
   * @param key the socket's selection key
   */
  TlsChannel(SocketChannel channel, SSLEngine engine, Executor tasks, SelectionKey key) throws IOException {
    super(channel, engine, new WakingTasks(tasks, key), key);
  }

  private boolean handshakeDone() {
    HandshakeStatus s = sslEngine.getHandshakeStatus();
    return s == HandshakeStatus.FINISHED || s == HandshakeStatus.NOT_HANDSHAKING;
  }

  /** Whether the handshake can take a step now, without waiting for the peer or for a task. */
  private boolean handshakeCanStep() {
    if (handshakeDone() || tasksRunning()) {
      return false;
    }
    return switch (sslEngine.getHandshakeStatus()) {
      case NEED_WRAP, NEED_TASK -> true;
      case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> inCrypt.hasRemaining() && readEngineResult.getStatus() == Status.OK;
      default -> false;
    };
  }

  private boolean tasksRunning() {
    tasks.removeIf(Future::isDone);
    return !tasks.isEmpty();
  }

  /**
   * Takes every handshake step that can be taken now: runs out of socket input, socket room, or steps that
   * do not need the peer; or starts delegated tasks, which wake the selector when they end.
   */
  private synchronized void handshake() throws IOException {
    for (int step = 0; step < MAX_STEPS && !handshakeDone() && !tasksRunning(); step++) {
      switch (sslEngine.getHandshakeStatus()) {
        case NEED_TASK -> consumeDelegatedTasks();
        case NEED_WRAP -> {
          if (outCrypt.hasRemaining()) {
            socketChannel.write(outCrypt);
            if (outCrypt.hasRemaining()) {
              return; // the socket is full; isNeedWrite() keeps the selector asking
            }
          }
          outCrypt.compact();
          SSLEngineResult r = sslEngine.wrap(EMPTY, outCrypt);
          writeEngineResult = r;
          outCrypt.flip();
          socketChannel.write(outCrypt);
          if (r.getHandshakeStatus() == HandshakeStatus.FINISHED) {
            finished();
          }
        }
        case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
          if (!inCrypt.hasRemaining() || readEngineResult.getStatus() != Status.OK) {
            inCrypt.compact();
            int n = socketChannel.read(inCrypt);
            inCrypt.flip();
            if (n < 0) {
              throw new EOFException("the peer closed the connection during the TLS handshake");
            }
            if (n == 0) {
              return; // wait for the peer: a read event brings us back
            }
          }
          inData.compact();
          SSLEngineResult r = sslEngine.unwrap(inCrypt, inData);
          readEngineResult = r;
          inData.flip();
          if (r.getStatus() == Status.CLOSED) {
            throw new EOFException("the peer closed TLS during the handshake");
          }
          if (r.getHandshakeStatus() == HandshakeStatus.FINISHED) {
            finished();
          }
        }
        default -> {
          return;
        }
      }
    }
  }

  /**
   * The parent resizes its buffers to the negotiated session here; that drops encrypted bytes not yet
   * written and decrypted bytes not yet read, so only when there are none. (Its buffers were sized for
   * the largest records at construction, so they are big enough either way.)
   */
  private void finished() {
    if (!outCrypt.hasRemaining() && !inData.hasRemaining()) {
      createBuffers(sslEngine.getSession()); // keeps the encrypted input still to be unwrapped
    }
  }

  @Override
  public boolean isNeedWrite() {
    return outCrypt.hasRemaining() || handshakeCanStep();
  }

  @Override
  public void writeMore() throws IOException {
    if (!handshakeDone()) {
      handshake();
    } else if (outCrypt.hasRemaining()) {
      socketChannel.write(outCrypt);
    }
  }

  @Override
  public boolean hasBufferedInput() {
    return handshakeDone() && isNeedRead();
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (!handshakeDone()) {
      handshake();
      if (!handshakeDone()) {
        askToWriteIfNeeded();
        return 0;
      }
    }
    int n = super.read(dst); // the handshake is done: the parent only unwraps application data
    askToWriteIfNeeded();
    return n;
  }

  /** A read can leave the handshake wanting to write; the selector learns it here. */
  private void askToWriteIfNeeded() {
    if (selectionKey != null && isNeedWrite()) {
      addWriteInterest(selectionKey);
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
  public int write(ByteBuffer src) throws IOException {
    return (int) write(new ByteBuffer[] {src}, 0, 1);
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
      handshake(); // our frames only come after the upgrade, so this is the rare renegotiation
      return 0;
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
      if (result.getStatus() == Status.CLOSED) {
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

  @Override
  public boolean hasPendingOutput() {
    return outCrypt.hasRemaining();
  }

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

  /**
   * Runs delegated tasks on the server's TLS pool and, when one ends, asks the selector to write, which
   * resumes the handshake.
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
}
