package dev.pushline.transport.websocket;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RequestHeadTest {

  private static ByteBuffer bytes(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static String text(ByteBuffer b) {
    return StandardCharsets.ISO_8859_1.decode(b).toString();
  }

  @Test
  void aHeadSplitAnywhereCompletesAtTheFirstEmptyLineAndKeepsWhatFollows() {
    String request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    for (int split = 0; split <= request.length(); split++) {
      RequestHead head = new RequestHead(1024);
      assertEquals(split == request.length() ? RequestHead.Verdict.COMPLETE : RequestHead.Verdict.INCOMPLETE,
          head.take(bytes(request.substring(0, split))), "split at " + split);
      if (split < request.length()) {
        assertEquals(RequestHead.Verdict.COMPLETE, head.take(bytes(request.substring(split) + "FRAME")));
      }
      assertEquals(request + (split < request.length() ? "FRAME" : ""), text(head.bytes()));
    }
  }

  @Test
  void onlyCrLfCrLfEndsAHeadAsJavaWebSocketParsesIt() {
    RequestHead head = new RequestHead(1024);
    assertEquals(RequestHead.Verdict.INCOMPLETE, head.take(bytes("GET / HTTP/1.1\n\nHost: x\r\n\r\r\n")));
    assertEquals(RequestHead.Verdict.COMPLETE, head.take(bytes("\r\n")));
  }

  @Test
  void theLimitCountsTheHeadUpToItsEndAndNothingAfter() {
    String request = "GET / HTTP/1.1\r\nX: " + "a".repeat(100) + "\r\n\r\n";
    RequestHead exact = new RequestHead(request.length());
    assertEquals(RequestHead.Verdict.COMPLETE, exact.take(bytes(request + "x".repeat(5_000))));
    RequestHead oneShort = new RequestHead(request.length() - 1);
    assertEquals(RequestHead.Verdict.TOO_LARGE, oneShort.take(bytes(request)));
  }

  @Test
  void anEndlessHeadIsRefusedWithoutHoldingMoreThanTheLimit() {
    RequestHead head = new RequestHead(4096);
    RequestHead.Verdict v = RequestHead.Verdict.INCOMPLETE;
    int chunks = 0;
    while (v == RequestHead.Verdict.INCOMPLETE) {
      v = head.take(bytes("X-A: b\r\n"));
      chunks++;
    }
    assertEquals(RequestHead.Verdict.TOO_LARGE, v);
    assertEquals(4096 / 8 + 1, chunks);
  }
}
