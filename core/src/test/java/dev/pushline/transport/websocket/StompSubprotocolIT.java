package dev.pushline.transport.websocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pushline.testing.RawWebSocket;
import dev.pushline.transport.TransportSettings;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Subprotocol negotiation of the WebSocket transport: the client's most preferred STOMP version, or none
 * (protocol v1) for a client that offers none of them, exactly as before subprotocols existed.
 */
class StompSubprotocolIT {

  private final WebSocketTransport transport = WebSocketTransport.create();
  private final BlockingQueue<String> opened = new LinkedBlockingQueue<>();
  private int port;

  @BeforeEach
  void start() throws IOException {
    port = transport.start(new TransportSettings("127.0.0.1", 0, "/p", 4096, Duration.ofSeconds(5),
        Duration.ofSeconds(25)), connection -> {
          opened.add(connection.subprotocol());
          return IgnoringInbound.INSTANCE;
        }).getPort();
  }

  @AfterEach
  void close() {
    transport.close(1001, "test over");
  }

  @ParameterizedTest(name = "offer \"{0}\" → \"{1}\"")
  @CsvSource(delimiter = '|', value = {
      "v12.stomp, v11.stomp, v10.stomp | v12.stomp",
      "v10.stomp, v11.stomp, v12.stomp | v10.stomp", // the client's order, not the server's
      "v11.stomp | v11.stomp",
      "mqtt, v11.stomp | v11.stomp",
      "mqtt | ''",
      "v13.stomp | ''",
  })
  void choosesTheClientsMostPreferredSupportedSubprotocol(String offer, String expected)
      throws IOException, InterruptedException {
    try (Socket s = RawWebSocket.socket(port)) {
      String head = RawWebSocket.handshake(s, "/p", Map.of("Sec-WebSocket-Protocol", offer));
      assertTrue(head.startsWith("HTTP/1.1 101"), head);
      RawWebSocket.Response response = new RawWebSocket.Response(head, "");
      if (expected.isEmpty()) {
        assertNull(response.header("Sec-WebSocket-Protocol"), head);
      } else {
        assertEquals(expected, response.header("Sec-WebSocket-Protocol"), head);
      }
      assertEquals(expected, opened.poll(10, TimeUnit.SECONDS));
    }
  }

  @Test
  void aClientWithoutSubprotocolIsUpgradedWithoutOne() throws IOException, InterruptedException {
    try (Socket s = RawWebSocket.socket(port)) {
      String head = RawWebSocket.handshake(s, "/p");
      assertTrue(head.startsWith("HTTP/1.1 101"), head);
      assertNull(new RawWebSocket.Response(head, "").header("Sec-WebSocket-Protocol"), head);
      assertEquals("", opened.poll(10, TimeUnit.SECONDS));
    }
  }
}
