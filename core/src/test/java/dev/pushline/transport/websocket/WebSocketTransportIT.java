package dev.pushline.transport.websocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pushline.PushException;
import dev.pushline.PushServer;
import dev.pushline.testing.RawWebSocket;
import dev.pushline.testing.Threads;
import dev.pushline.transport.InboundListener;
import dev.pushline.transport.TransportSettings;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The Java-WebSocket transport on real sockets: its hardening against hostile peers and its lifecycle. */
class WebSocketTransportIT {

  private PushServer server;

  @AfterEach
  void close() {
    if (server != null) {
      server.close();
    }
  }

  private PushServer start(PushServer.Builder b) {
    server = b.host("127.0.0.1").port(0).build().start();
    return server;
  }

  private RawWebSocket subscribed(String channel) throws IOException {
    RawWebSocket ws = RawWebSocket.connect(server.port(), "/pushline");
    assertTrue(ws.readText().contains("\"welcome\""));
    ws.sendText("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"" + channel + "\"}");
    assertTrue(ws.readText().contains("\"subscribed\""));
    return ws;
  }

  /** The server still accepts clients and delivers to them. */
  private void assertServerServes() throws IOException {
    try (RawWebSocket ws = subscribed("alive")) {
      long offset = server.channel("alive").publish("e", "still here");
      assertTrue(ws.readText().contains("\"offset\":" + offset));
    }
  }

  @Test
  void startOnABusyPortThrowsAndLeavesNoThread() throws IOException {
    Set<String> before = Threads.serverThreads();
    try (ServerSocket busy = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      PushServer s = PushServer.builder().host("127.0.0.1").port(busy.getLocalPort()).build();
      PushException e = assertThrows(PushException.class, s::start);
      assertInstanceOf(BindException.class, e.getCause(), String.valueOf(e.getCause()));
      assertTrue(e.getMessage().contains(String.valueOf(busy.getLocalPort())), e.getMessage());
    }
    assertEquals(Set.of(), Threads.startedSince(before));
  }

  @Test
  void closeEndsEveryThreadAndFreesThePort() throws IOException {
    Set<String> before = Threads.serverThreads();
    start(PushServer.builder());
    int port = server.port();
    List<RawWebSocket> clients = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      clients.add(subscribed("c"));
    }
    server.channel("c").publish("e", 1);
    server.close();
    for (RawWebSocket c : clients) {
      // the close frame comes after anything still queued
      assertEquals(1001, c.awaitClose());
      c.close();
    }
    assertEquals(Set.of(), Threads.startedSince(before), "threads left after close()");
    try (ServerSocket again = new ServerSocket()) {
      again.setReuseAddress(true);
      again.bind(new InetSocketAddress("127.0.0.1", port));
    }
    server = null;
  }

  @Test
  void aFrameHeaderClaimingTwoGigabytesClosesWith1009AndTheServerStaysUp() throws IOException {
    start(PushServer.builder());
    try (RawWebSocket evil = RawWebSocket.connect(server.port(), "/pushline")) {
      evil.readText();
      evil.sendHeaderOnly(RawWebSocket.TEXT, 0x7FFFFFF0L);
      assertEquals(1009, evil.awaitClose());
    }
    assertServerServes();
  }

  @Test
  void endlessContinuationFramesCloseWith1009() throws IOException {
    start(PushServer.builder().maxMessageBytes(64 * 1024));
    try (RawWebSocket evil = RawWebSocket.connect(server.port(), "/pushline")) {
      evil.readText();
      byte[] chunk = new byte[30 * 1024];
      java.util.Arrays.fill(chunk, (byte) 'a');
      evil.sendFrame(RawWebSocket.TEXT, false, chunk);
      int code = -2;
      try {
        for (int i = 0; i < 100; i++) { // 3 MB at most: the limit is 64 KiB
          evil.sendFrame(RawWebSocket.CONTINUATION, false, chunk);
        }
      } catch (IOException closedWhileWriting) {
        code = -1; // the server closed the socket under us: fine, check the close below
      }
      int seen = evil.awaitClose();
      assertTrue(seen == 1009 || (code == -1 && seen == -1), "close code " + seen);
    }
    assertServerServes();
  }

  @Test
  void aMessageOverTheLimitInOneFrameClosesWith1009() throws IOException {
    start(PushServer.builder().maxMessageBytes(1024));
    try (RawWebSocket ws = subscribed("x")) {
      boolean writeFailed = false;
      try {
        ws.sendText("{\"type\":\"ping\",\"pad\":\"" + "p".repeat(200_000) + "\"}");
      } catch (IOException closedWhileWriting) {
        writeFailed = true; // the server refused the frame from its header and closed under us
      }
      int code = ws.awaitClose();
      assertTrue(code == 1009 || (writeFailed && code == -1), "close code " + code);
    }
    assertServerServes();
  }

  @Test
  void binaryMessagesCloseWith1003() throws IOException {
    start(PushServer.builder());
    try (RawWebSocket ws = subscribed("x")) {
      ws.sendFrame(RawWebSocket.BINARY, true, new byte[] {1, 2, 3});
      assertEquals(1003, ws.awaitClose());
    }
    assertServerServes();
  }

  @Test
  void invalidUtf8ClosesWith1007() throws IOException {
    start(PushServer.builder());
    try (RawWebSocket ws = subscribed("x")) {
      ws.sendFrame(RawWebSocket.TEXT, true, new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'});
      assertEquals(1007, ws.awaitClose());
    }
    assertServerServes();
  }

  @Test
  void unknownOpcodeClosesWith1002() throws IOException {
    start(PushServer.builder());
    try (RawWebSocket ws = subscribed("x")) {
      ws.sendFrame(3, true, new byte[] {1});
      assertEquals(1002, ws.awaitClose());
    }
    assertServerServes();
  }

  @Test
  void socketsThatNeverFinishTheHandshakeAreClosed() throws IOException {
    start(PushServer.builder().handshakeTimeout(Duration.ofMillis(200)));
    try (Socket silent = RawWebSocket.socket(server.port());
         Socket halfway = RawWebSocket.socket(server.port())) {
      halfway.getOutputStream().write("GET /pushline HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
      assertTrue(RawWebSocket.awaitEof(silent));
      assertTrue(RawWebSocket.awaitEof(halfway));
    }
    assertServerServes();
  }

  @Test
  void aHandshakeForAnotherPathIsRefusedAndItsSocketClosed() throws IOException {
    start(PushServer.builder().handshakeTimeout(Duration.ofMillis(200)));
    try (Socket s = RawWebSocket.socket(server.port())) {
      String response = RawWebSocket.handshake(s, "/elsewhere");
      assertTrue(response.startsWith("HTTP/1.1 404"), response);
      assertTrue(RawWebSocket.awaitEof(s), "Java-WebSocket alone leaves refused sockets open");
    }
    assertServerServes();
  }

  @Test
  void pingsKeepAnsweringPeersAndDropSilentOnes() throws IOException {
    // Short enough to keep the test quick, long enough that a busy machine answers pings in time.
    start(PushServer.builder().pingInterval(Duration.ofMillis(250)));
    try (RawWebSocket answering = RawWebSocket.connect(server.port(), "/pushline");
         RawWebSocket silent = RawWebSocket.connect(server.port(), "/pushline")) {
      // The answering peer gets pings and answers them: five pings span more than two intervals.
      int pings = 0;
      while (pings < 5) {
        RawWebSocket.Frame f = answering.readFrame();
        if (f.opcode() == RawWebSocket.PING) {
          answering.sendFrame(RawWebSocket.PONG, true, f.payload());
          pings++;
        }
      }
      answering.sendText("{\"type\":\"ping\",\"id\":5}");
      assertTrue(answering.readText().contains("\"pong\""));
      // The silent peer never answered a ping: it was dropped without a close frame.
      assertEquals(-1, silent.awaitClose());
    }
  }

  @Test
  void anErrorThrownByTheEngineClosesOnlyThatConnection() throws Exception {
    Set<String> before = Threads.serverThreads();
    WebSocketTransport transport = WebSocketTransport.builder().decoderThreads(1).build();
    TransportSettings settings = new TransportSettings("127.0.0.1", 0, "/t", 4096, Duration.ofSeconds(5),
        Duration.ofSeconds(25));
    InetSocketAddress address = transport.start(settings, connection -> new InboundListener() {
      @Override
      public void onText(String text) {
        switch (text) {
          case "overflow" -> throw new StackOverflowError("simulated");
          case "linkage" -> throw new NoClassDefFoundError("simulated");
          case "runtime" -> throw new IllegalStateException("simulated");
          default -> connection.send(transport.prepare("echo:" + text));
        }
      }

      @Override
      public void onClosed(int code, String reason) {}
    });
    try {
      // One decoder thread: every connection shares it, so a dead decoder would stall them all.
      Set<Integer> codes = new HashSet<>();
      for (String poison : List.of("overflow", "linkage", "runtime")) {
        try (RawWebSocket bad = RawWebSocket.connect(address.getPort(), "/t");
             RawWebSocket good = RawWebSocket.connect(address.getPort(), "/t")) {
          bad.sendText(poison);
          codes.add(bad.awaitClose());
          good.sendText("hello");
          assertEquals("echo:hello", good.readText());
        }
      }
      assertEquals(Set.of(1011), codes);
    } finally {
      transport.close(1001, "done");
    }
    assertEquals(Set.of(), Threads.startedSince(before));
  }
}
