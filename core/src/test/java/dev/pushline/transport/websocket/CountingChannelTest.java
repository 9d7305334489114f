package dev.pushline.transport.websocket;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

/** Gathering writes in queue order, and counting only our (read-only) frames, on a real socket pair. */
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
}
