package dev.pushline.transport.websocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.Test;

/**
 * Gathering writes in queue order and counting only our (read-only) frames, on a real socket pair; and over
 * a fake TLS layer whose socket takes only what the test allows, the hold-back that keeps the count from
 * reaching zero while an encrypted record still waits.
 */
class CountingChannelTest {

  @Test
  void writesTheHeadAndWhatIsQueuedBehindItInOrderAndCountsOnlyOurFrames() throws Exception {
    try (ServerSocketChannel server = ServerSocketChannel.open()) {
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      try (SocketChannel client = SocketChannel.open(server.getLocalAddress());
           SocketChannel accepted = server.accept()) {
        LinkedBlockingQueue<ByteBuffer> queue = new LinkedBlockingQueue<>();
        CountingChannel channel = new CountingChannel(accepted, queue);
        int[] hooks = new int[1];
        channel.afterWrite(() -> hooks[0]++);
        StringBuilder expected = new StringBuilder();
        long ours = 0;
        for (int i = 0; i < 100; i++) { // more than one gather's worth of buffers
          String text = "frame-" + i + ";";
          ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
          boolean control = i % 10 == 0; // Java-WebSocket's own frames are writable buffers
          queue.add(control ? b : b.asReadOnlyBuffer());
          expected.append(text);
          ours += control ? 0 : text.length();
        }
        // What Java-WebSocket's selector does: write the head until empty, poll, repeat.
        int calls = 0;
        while (!queue.isEmpty()) {
          ByteBuffer head = queue.peek();
          channel.write(head);
          calls++;
          if (!head.hasRemaining()) {
            queue.poll();
          }
        }
        assertEquals(ours, channel.written());
        assertEquals(100, calls, "one call per buffer, as the selector makes them");
        assertEquals(2, hooks[0], "one system call per gather of 64 buffers, so two hook runs");
        accepted.shutdownOutput();
        InputStream in = client.socket().getInputStream();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        in.transferTo(got);
        assertEquals(expected.toString(), got.toString(StandardCharsets.UTF_8));
      }
    }
  }

  /**
   * A TLS layer that cuts plaintext into records of {@link #RECORD} bytes (gathering across buffers, as
   * the engine does) and whose socket takes only {@link #room} bytes; ciphertext is the plaintext itself.
   */
  private static final class FakeTls implements TlsLayer {
    static final int RECORD = 16;
    int room;
    int pending; // bytes of the last record not yet taken by the socket
    long delivered;
    boolean outputShut;

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) {
      flush();
      if (pending > 0) {
        return 0;
      }
      long consumed = 0;
      int i = offset;
      while (pending == 0) {
        int record = 0;
        while (record < RECORD && i < offset + length) {
          ByteBuffer b = srcs[i];
          int n = Math.min(RECORD - record, b.remaining());
          b.position(b.position() + n);
          record += n;
          if (!b.hasRemaining()) {
            i++;
          }
        }
        if (record == 0) {
          break;
        }
        consumed += record;
        pending = record;
        flush();
      }
      return consumed;
    }

    private void flush() {
      int n = Math.min(room, pending);
      room -= n;
      pending -= n;
      delivered += n;
    }

    @Override
    public long write(ByteBuffer[] srcs) {
      return write(srcs, 0, srcs.length);
    }

    @Override
    public int write(ByteBuffer src) {
      return (int) write(new ByteBuffer[] {src}, 0, 1);
    }

    @Override
    public boolean hasPendingOutput() {
      return pending > 0;
    }

    @Override
    public void shutdownOutput() {
      outputShut = true;
    }

    @Override
    public boolean hasBufferedInput() {
      return false;
    }

    @Override
    public boolean isNeedWrite() {
      return pending > 0;
    }

    @Override
    public void writeMore() {
      flush();
    }

    @Override
    public boolean isNeedRead() {
      return false;
    }

    @Override
    public int readMore(ByteBuffer dst) {
      return 0;
    }

    @Override
    public int read(ByteBuffer dst) {
      return 0;
    }

    @Override
    public boolean isBlocking() {
      return false;
    }

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public void close() {}
  }

  /** What Java-WebSocket's selector does once the socket is writable: write the head until it stops. */
  private static void selectorWrites(CountingChannel channel, LinkedBlockingQueue<ByteBuffer> queue)
      throws Exception {
    while (!queue.isEmpty()) {
      ByteBuffer head = queue.peek();
      channel.write(head);
      if (head.hasRemaining()) {
        return; // the selector waits for the socket to be writable again
      }
      queue.poll();
    }
  }

  /** A channel over a {@link FakeTls}, with the connection's queue. */
  private record TlsFixture(LinkedBlockingQueue<ByteBuffer> queue, FakeTls tls, CountingChannel channel) {
    static TlsFixture create(SocketChannel unused) {
      LinkedBlockingQueue<ByteBuffer> queue = new LinkedBlockingQueue<>();
      FakeTls tls = new FakeTls();
      return new TlsFixture(queue, tls, new CountingChannel(unused, tls, queue, new CountingChannel.Events() {}));
    }
  }

  private static ByteBuffer frame(int bytes) {
    return ByteBuffer.allocate(bytes).asReadOnlyBuffer();
  }

  @Test
  void overTlsTheLastBufferIsHeldBackByOneByteUntilItsRecordHasLeft() throws Exception {
    try (SocketChannel unused = SocketChannel.open()) {
      TlsFixture f = TlsFixture.create(unused);
      LinkedBlockingQueue<ByteBuffer> queue = f.queue();
      FakeTls tls = f.tls();
      CountingChannel channel = f.channel();
      ByteBuffer frame = frame(20);
      queue.add(frame);
      tls.room = 18; // the first record (16) leaves, the second (4) only half
      selectorWrites(channel, queue);
      assertEquals(1, frame.remaining(), "consumed by the engine, but held back: the selector keeps asking");
      assertEquals(19, channel.written());
      selectorWrites(channel, queue); // the socket is still full: nothing changes
      assertEquals(19, channel.written());
      assertEquals(1, queue.size());
      tls.room = 100;
      selectorWrites(channel, queue);
      assertTrue(queue.isEmpty());
      assertEquals(20, channel.written());
      assertEquals(20, tls.delivered);
    }
  }

  @Test
  void overTlsAFrameCutByARecordBoundaryIsNotHeldBack() throws Exception {
    try (SocketChannel unused = SocketChannel.open()) {
      TlsFixture f = TlsFixture.create(unused);
      LinkedBlockingQueue<ByteBuffer> queue = f.queue();
      FakeTls tls = f.tls();
      CountingChannel channel = f.channel();
      ByteBuffer a = frame(40);
      ByteBuffer b = frame(10);
      queue.add(a);
      queue.add(b);
      tls.room = 45; // records 16, 16, then 8 of a and 8 of b, of which 13 leave
      selectorWrites(channel, queue);
      assertEquals(0, a.remaining());
      assertEquals(2, b.remaining(), "b is partly unconsumed: that alone keeps the selector asking");
      assertEquals(48, channel.written());
      tls.room = 100;
      selectorWrites(channel, queue);
      assertEquals(50, channel.written());
      assertEquals(50, tls.delivered);
    }
  }

  @Test
  void aRefusalShutsTheOutputOnlyOnceItsLastRecordHasLeftAndNothingElseIsSent() throws Exception {
    try (SocketChannel unused = SocketChannel.open()) {
      TlsFixture f = TlsFixture.create(unused);
      LinkedBlockingQueue<ByteBuffer> queue = f.queue();
      FakeTls tls = f.tls();
      CountingChannel channel = f.channel();
      ByteBuffer refusal = ByteBuffer.allocate(30);
      ByteBuffer libraryPage = ByteBuffer.wrap("HTTP/1.1 404 WebSocket Upgrade Failure\r\n".getBytes(StandardCharsets.US_ASCII));
      assertTrue(channel.refuse(refusal));
      assertFalse(channel.refuse(ByteBuffer.allocate(5)), "the first refusal wins");
      queue.add(refusal);
      queue.add(libraryPage);
      tls.room = 20;
      selectorWrites(channel, queue);
      assertFalse(tls.outputShut, "10 bytes of the refusal are still waiting");
      tls.room = 1000;
      selectorWrites(channel, queue);
      assertTrue(tls.outputShut);
      assertEquals(30, tls.delivered, "the refusal only; Java-WebSocket's own page is dropped");
      assertEquals(0, channel.written(), "a refusal is not one of our frames");
    }
  }
}
