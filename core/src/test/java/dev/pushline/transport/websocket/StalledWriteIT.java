package dev.pushline.transport.websocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pushline.testing.RawWebSocket;
import dev.pushline.transport.TransportSettings;
import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.java_websocket.WebSocketImpl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Java-WebSocket's selector thread, when it has written a connection's last queued frame, sets the key back
 * to {@code OP_READ}. A frame queued by another thread just before that (whose {@code OP_WRITE} the
 * selector then overwrites) stays queued with nobody to write it until the connection's next frame or ping.
 * Found by the Redis cluster test: a client's publish reply, sent while the selector was flushing the
 * previous one, arrived after 15 s or more. This test puts a connection in exactly that state (a frame
 * queued, no write interest, no wakeup) and needs the frame delivered long before the next ping (60 s).
 */
class StalledWriteIT {

  private final WebSocketTransport transport = WebSocketTransport.create();
  private final BlockingQueue<JwsConnection> opened = new LinkedBlockingQueue<>();

  @AfterEach
  void close() {
    transport.close(1001, "test over");
  }

  @Test
  void aFrameLeftQueuedWithoutWriteInterestIsStillDelivered() throws Exception {
    int port = transport.start(new TransportSettings("127.0.0.1", 0, "/t", 4096, Duration.ofSeconds(5),
        Duration.ofSeconds(60)), connection -> {
          opened.add((JwsConnection) connection);
          return IgnoringInbound.INSTANCE;
        }).getPort();
    try (RawWebSocket client = RawWebSocket.connect(port, "/t")) {
      JwsConnection connection = opened.poll(10, TimeUnit.SECONDS);
      assertNotNull(connection, "the transport never opened the connection");
      // First an ordinary frame, read back: the handshake and this frame are written, the selector idle.
      assertTrue(connection.send(transport.prepare("first")));
      assertEquals("first", client.readText());

      WebSocketImpl socket = (WebSocketImpl) connection.socket();
      SelectionKey key = socket.getSelectionKey();
      key.interestOps(SelectionKey.OP_READ); // what the selector leaves after the race
      socket.outQueue.add(((TextFrame) transport.prepare("stranded")).view());

      assertEquals("stranded", readWithin(client, Duration.ofSeconds(5)));
    }
  }

  private static String readWithin(RawWebSocket client, Duration limit) throws IOException {
    client.socket().setSoTimeout((int) limit.toMillis());
    return client.readText();
  }
}
