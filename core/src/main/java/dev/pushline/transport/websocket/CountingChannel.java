package dev.pushline.transport.websocket;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.SocketChannel;

/**
 * The socket as Java-WebSocket writes to it, counting the bytes of our own frames as they leave. Our
 * frames are the only read-only buffers in a connection's queue (Java-WebSocket allocates its own control
 * frames and handshake writable), so {@code src.isReadOnly()} tells them apart exactly.
 *
 * <p>Written only by the selector thread; {@link #written} is read by any thread.
 */
final class CountingChannel implements ByteChannel {

  private final SocketChannel channel;
  private volatile long written;
  private volatile Runnable afterWrite;

  CountingChannel(SocketChannel channel) {
    this.channel = channel;
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
    int n = channel.write(src);
    if (n > 0 && src.isReadOnly()) {
      written += n; // single writer: the selector thread
      Runnable hook = afterWrite;
      if (hook != null) {
        hook.run();
      }
    }
    return n;
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
