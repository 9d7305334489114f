package dev.pushline.transport.websocket;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HttpRefusalTest {

  @Test
  void theReasonIsTheReasonPhraseAndTheJsonBodyWithAnExactLength() {
    String response = StandardCharsets.UTF_8.decode(HttpRefusal.response(401, "token expired")).toString();
    assertEquals("HTTP/1.1 401 token expired\r\nContent-Type: application/json\r\nContent-Length: 25\r\n"
        + "Connection: close\r\n\r\n{\"error\":\"token expired\"}", response);
  }

  @Test
  void aHostileReasonCannotBreakTheResponse() {
    String reason = "bad\r\nSet-Cookie: x=1\r\n\r\n\"é\"\u0000\ud800";
    ByteBuffer b = HttpRefusal.response(403, reason);
    String response = StandardCharsets.UTF_8.decode(b).toString();
    String head = response.substring(0, response.indexOf("\r\n\r\n"));
    assertEquals("HTTP/1.1 403 bad??Set-Cookie: x=1????\"?\"??", head.lines().findFirst().orElseThrow());
    assertEquals(4, head.lines().count(), head);
    String body = response.substring(response.indexOf("\r\n\r\n") + 4);
    assertEquals("{\"error\":\"bad\\r\\nSet-Cookie: x=1\\r\\n\\r\\n\\\"é\\\"\\u0000\\ud800\"}", body);
    assertEquals(body.getBytes(StandardCharsets.UTF_8).length,
        Integer.parseInt(head.lines().filter(l -> l.startsWith("Content-Length")).findFirst().orElseThrow()
            .substring("Content-Length: ".length())));
  }

  @Test
  void longReasonsAreClipped() {
    String response = StandardCharsets.UTF_8.decode(HttpRefusal.response(503, "r".repeat(1_000))).toString();
    assertEquals("HTTP/1.1 503 " + "r".repeat(HttpRefusal.MAX_REASON_CHARS), response.lines().findFirst().orElseThrow());
  }

  @Test
  void statusOfReadsOnlyAnHttpStatusLine() {
    assertEquals(404, HttpRefusal.statusOf(ByteBuffer.wrap("HTTP/1.1 404 WebSocket Upgrade Failure".getBytes())));
    assertEquals(101, HttpRefusal.statusOf(ByteBuffer.wrap("HTTP/1.1 101 Switching Protocols".getBytes())));
    assertEquals(-1, HttpRefusal.statusOf(ByteBuffer.wrap(new byte[] {(byte) 0x81, 5, 'h', 'e', 'l', 'l', 'o', 0, 0, 0, 0, 0})));
    assertEquals(-1, HttpRefusal.statusOf(ByteBuffer.wrap("HTTP/1.1 4x4 nope".getBytes())));
  }
}
