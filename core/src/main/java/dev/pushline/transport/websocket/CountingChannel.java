package dev.pushline.transport.websocket;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.SocketChannel;
import java.util.Iterator;
import java.util.Queue;

/**
 * The socket as Java-WebSocket writes to it.
 *
 * <h2>Counting</h2>
 * It counts the bytes of our own frames as they leave. Our frames are the only read-only buffers in a
 * connection's queue (Java-WebSocket allocates its own control frames and handshake writable), so
 * {@code isReadOnly()} tells them apart exactly.
 *
 * <h2>Gathering writes</h2>
 * Java-WebSocket's selector writes a connection's queue one buffer, one system call, at a time. When it
 * asks to write the buffer at the head of the queue, this channel writes that buffer and the ones queued
 * behind it (up to {@link #GATHER_BUFFERS} buffers or {@link #GATHER_BYTES} bytes) with one gathering
 * {@code write}. The selector then finds those buffers already written ({@code remaining() == 0}), polls them
 * and asks for the next, which costs nothing here. Order is kept: buffers are written in queue order.
 *
 * <p>Written only by the selector thread; {@link #written} is read by any thread.
 */
final class CountingChannel implements ByteChannel {

  static final int GATHER_BUFFERS = 64;
  static final int GATHER_BYTES = 256 * 1024;

  private final SocketChannel channel;
  private volatile long written;
  private volatile Runnable afterWrite;
  private final Queue<ByteBuffer> queue;
  private final ByteBuffer[] batch = new ByteBuffer[GATHER_BUFFERS]; // selector thread only
  private final int[] before = new int[GATHER_BUFFERS]; // selector thread only

  /**
   * @param queue the connection's outgoing queue, whose head is what the selector writes
   */
  CountingChannel(SocketChannel channel, Queue<ByteBuffer> queue) {
    this.channel = channel;
    this.queue = queue;
  }

  /** Bytes of our frames written to the socket so far. */
  long written() {
    return written;
  }

  /** Runs after each write of our bytes, on the selector thread. */
  void afterWrite(Runnable hook) {
    this.afterWrite = hook;
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    if (!src.hasRemaining()) {
      return 0; // written already by an earlier gathering write
    }
    int count = gather(src);
    long n;
    long ours = 0;
    if (count == 1) {
      int start = src.position();
      n = channel.write(src);
      if (src.isReadOnly()) {
        ours = src.position() - start;
      }
    } else {
      n = channel.write(batch, 0, count);
      for (int i = 0; i < count; i++) {
        if (batch[i].isReadOnly()) {
          ours += batch[i].position() - before[i];
        }
        batch[i] = null;
      }
    }
    if (ours > 0) {
      written += ours; // single writer: the selector thread
      Runnable hook = afterWrite;
      if (hook != null) {
        hook.run();
      }
    }
    return (int) Math.min(Integer.MAX_VALUE, n);
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
      batch[count] = next;
      before[count] = next.position();
      bytes += next.remaining();
      count++;
    }
    return count;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    return channel.read(dst);
  }

  @Override
  public boolean isOpen() {
    return channel.isOpen();
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
