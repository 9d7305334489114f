package dev.pushline.transport.websocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pushline.PushException;
import dev.pushline.PushServer;
import dev.pushline.testing.ConnectionRecorder;
import dev.pushline.testing.RawWebSocket;
import dev.pushline.testing.Threads;
import dev.pushline.transport.Handshake;
import dev.pushline.transport.HandshakeDecision;
import dev.pushline.transport.InboundListener;
import dev.pushline.transport.TransportConnection;
import dev.pushline.transport.TransportListener;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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
  void endlessEmptyContinuationFramesCloseWith1009() throws IOException {
    // Empty fragments add nothing to the byte count, but Java-WebSocket keeps each one until the last.
    start(PushServer.builder());
    try (RawWebSocket evil = RawWebSocket.connect(server.port(), "/pushline")) {
      evil.readText();
      evil.sendFrame(RawWebSocket.TEXT, false, new byte[] {'{'});
      int code = -2;
      try {
        for (int i = 0; i < 100_000; i++) {
          evil.sendFrame(RawWebSocket.CONTINUATION, false, new byte[0]);
        }
      } catch (IOException closedWhileWriting) {
        code = -1;
      }
      int seen = evil.awaitClose();
      assertTrue(seen == 1009 || (code == -1 && seen == -1), "close code " + seen);
    }
    assertServerServes();
  }

  @Test
  void aClientFloodingPingsWithoutReadingGetsFewPongsNotOneEach() throws Exception {
    ConnectionRecorder connections = new ConnectionRecorder();
    start(PushServer.builder().maxQueuedBytes(32L * 1024 * 1024).connectionListener(connections));
    Socket s = new Socket();
    s.setReceiveBufferSize(4096);
    s.connect(new InetSocketAddress("127.0.0.1", server.port()));
    s.setSoTimeout(10_000);
    try (RawWebSocket flooder = RawWebSocket.upgrade(s, "/pushline")) {
      dev.pushline.ClientConnection connection = connections.nextOpened();
      server.channel("fill").subscribe(connection);
      String chunk = "f".repeat(64 * 1024);
      // Publish what the client does not read until the server's queue backs up behind the kernel's
      // socket buffers (4 MiB send buffer at most on Linux by default), 24 MB at most.
      for (int i = 0; i < 384 && connection.queuedBytes() < 1024 * 1024; i++) {
        server.channel("fill").publish("chunk", chunk);
      }
      assertTrue(connection.queuedBytes() >= 1024 * 1024, "queued: " + connection.queuedBytes());
      int pings = 50_000;
      for (int i = 0; i < pings; i++) {
        flooder.sendFrame(RawWebSocket.PING, true, new byte[0]);
      }
      flooder.sendText("{\"type\":\"ping\",\"id\":777}");
      int pongs = 0;
      while (true) {
        RawWebSocket.Frame f = flooder.readFrame();
        if (f.opcode() == RawWebSocket.PONG) {
          pongs++;
        } else if (f.opcode() == RawWebSocket.TEXT && f.text().contains("777")) {
          break;
        }
      }
      // At most one pong waits behind the backlog at a time (the RFC lets a server answer only the latest
      // ping); a few more leave whenever the kernel takes more of the backlog (its send buffer grows).
      // Without the bound: one pong per ping, all queued. How many leave early depends on how often the
      // selector gets to write while the pings arrive: usually under 1%, 1.2% seen on a loaded 2-core box.
      assertTrue(pongs >= 1 && pongs < pings / 20, pongs + " pongs for " + pings + " pings");
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
      RawWebSocket.Response response = RawWebSocket.exchange(s, RawWebSocket.upgradeRequest("/elsewhere", ""));
      assertEquals("HTTP/1.1 404 no WebSocket endpoint at this path", response.statusLine());
      assertEquals("{\"error\":\"no WebSocket endpoint at this path\"}", response.body());
      assertTrue(RawWebSocket.awaitEof(s), "Java-WebSocket alone leaves refused sockets open");
    }
    assertServerServes();
  }

  /** A transport on 127.0.0.1:0 at "/t" that echoes text and refuses handshakes whose query is refuse=STATUS. */
  private static final class EchoTransport implements AutoCloseable {
    final WebSocketTransport transport = WebSocketTransport.builder().decoderThreads(2).build();
    final int port;

    EchoTransport(TransportSettings settings) throws IOException {
      port = transport.start(settings, new TransportListener() {
        @Override
        public HandshakeDecision onHandshake(Handshake handshake) {
          if (handshake.query().startsWith("refuse=")) {
            int status = Integer.parseInt(handshake.query().substring("refuse=".length()));
            return HandshakeDecision.reject(status, "refused \"" + status + "\" for you");
          }
          return HandshakeDecision.ACCEPT;
        }

        @Override
        public InboundListener onOpen(TransportConnection connection) {
          return new InboundListener() {
            @Override
            public void onText(String text) {
              connection.send(transport.prepare("echo:" + text));
            }

            @Override
            public void onClosed(int code, String reason) {}
          };
        }
      }).getPort();
    }

    static TransportSettings settings(Duration handshakeTimeout, int maxHandshakeBytes, int maxConnections,
        int maxPerAddress) {
      return new TransportSettings("127.0.0.1", 0, "/t", 4096, handshakeTimeout, Duration.ofSeconds(25),
          maxHandshakeBytes, maxConnections, maxPerAddress, null);
    }

    void assertEchoes(RawWebSocket ws, String text) throws IOException {
      ws.sendText(text);
      assertEquals("echo:" + text, ws.readText());
    }

    /** Waits (10 s at most) until the transport counts exactly {@code expected} sockets. */
    void awaitSocketCount(int expected) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (transport.socketCount() != expected) {
        if (System.nanoTime() - deadline > 0) {
          throw new AssertionError("sockets counted: " + transport.socketCount() + ", expected " + expected);
        }
        Thread.onSpinWait();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
      }
    }

    @Override
    public void close() {
      transport.close(1001, "done");
    }
  }

  @Test
  void aRefusedHandshakeGetsItsStatusAndReasonThenTheEndOfTheStreamWhileOthersCarryOn() throws IOException {
    Set<String> before = Threads.serverThreads();
    try (EchoTransport t = new EchoTransport(EchoTransport.settings(Duration.ofSeconds(10), 16 * 1024, 100, 100));
         RawWebSocket good = RawWebSocket.connect(t.port, "/t")) {
      for (int status : List.of(400, 401, 403, 429, 503)) {
        try (Socket s = RawWebSocket.socket(t.port)) {
          RawWebSocket.Response r = RawWebSocket.exchange(s, RawWebSocket.upgradeRequest("/t?refuse=" + status, ""));
          assertEquals("HTTP/1.1 " + status + " refused \"" + status + "\" for you", r.statusLine());
          assertEquals("application/json", r.header("Content-Type"));
          assertEquals("close", r.header("Connection"));
          assertEquals("{\"error\":\"refused \\\"" + status + "\\\" for you\"}", r.body());
          assertTrue(RawWebSocket.awaitEof(s), "the server ends the stream after the response");
        }
        t.assertEchoes(good, "still here after " + status);
      }
      t.awaitSocketCount(1); // each refused socket closed once its client closed; only `good` is left
    }
    assertEquals(Set.of(), Threads.startedSince(before));
  }

  @Test
  void aRefusedClientThatNeitherClosesNorStopsSendingIsClosedByTheServer() throws IOException {
    try (EchoTransport t = new EchoTransport(EchoTransport.settings(Duration.ofMillis(300), 16 * 1024, 100, 100));
         Socket idle = RawWebSocket.socket(t.port);
         Socket chatty = RawWebSocket.socket(t.port)) {
      assertEquals(403, status(RawWebSocket.exchange(idle, RawWebSocket.upgradeRequest("/t?refuse=403", ""))));
      assertEquals(403, status(RawWebSocket.exchange(chatty, RawWebSocket.upgradeRequest("/t?refuse=403", ""))));
      // idle keeps its socket open: the handshake timeout closes it. chatty keeps sending: the server
      // drops what it sends, then closes once it is clearly not listening.
      RawWebSocket.sendUntilCutOff(chatty, new byte[16 * 1024], 64L * 1024 * 1024);
      t.awaitSocketCount(0);
    }
  }

  private static int status(RawWebSocket.Response r) {
    return Integer.parseInt(r.statusLine().substring(9, 12));
  }

  @Test
  void anUpgradeRequestJavaWebSocketRejectsGets400() throws IOException {
    try (EchoTransport t = new EchoTransport(EchoTransport.settings(Duration.ofSeconds(10), 16 * 1024, 100, 100))) {
      String wrongVersion = RawWebSocket.upgradeRequest("/t", "").replace("Version: 13", "Version: 8");
      String noUpgrade = "GET /t HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
      String post = RawWebSocket.upgradeRequest("/t", "").replace("GET ", "POST ");
      String notHttp = "HELLO\r\n\r\n";
      for (String request : List.of(wrongVersion, noUpgrade, post, notHttp)) {
        try (Socket s = RawWebSocket.socket(t.port)) {
          RawWebSocket.Response r = RawWebSocket.exchange(s, request);
          assertEquals("HTTP/1.1 400 not a valid WebSocket upgrade request", r.statusLine(), request);
          assertEquals("13", r.header("Sec-WebSocket-Version"));
          assertTrue(RawWebSocket.awaitEof(s));
        }
      }
      t.awaitSocketCount(0);
    }
  }

  @Test
  void aRequestHeadOverTheLimitGets431AndAnEndlessOneIsCutOff() throws IOException {
    try (EchoTransport t = new EchoTransport(EchoTransport.settings(Duration.ofSeconds(10), 4096, 100, 100));
         RawWebSocket good = RawWebSocket.connect(t.port, "/t")) {
      // Just under the limit passes: the limit counts the request line and headers, CR LF included.
      String base = RawWebSocket.upgradeRequest("/t", "X-Pad: \r\n");
      String fits = RawWebSocket.upgradeRequest("/t", "X-Pad: " + "p".repeat(4096 - base.length()) + "\r\n");
      assertEquals(4096, fits.length());
      try (Socket s = RawWebSocket.socket(t.port)) {
        assertEquals(101, status(RawWebSocket.exchange(s, fits)));
      }
      try (Socket s = RawWebSocket.socket(t.port)) {
        String big = RawWebSocket.upgradeRequest("/t", "X-Pad: " + "p".repeat(4097 - base.length()) + "\r\n");
        RawWebSocket.Response r = RawWebSocket.exchange(s, big);
        assertEquals("HTTP/1.1 431 the request head is over 4096 bytes", r.statusLine());
        assertEquals("{\"error\":\"the request head is over 4096 bytes\"}", r.body());
        assertTrue(RawWebSocket.awaitEof(s));
      }
      // A head that never ends: refused at 4 KiB, then cut off; never buffered
      try (Socket s = RawWebSocket.socket(t.port)) {
        s.getOutputStream().write("GET /t HTTP/1.1\r\nX-Endless: ".getBytes(StandardCharsets.US_ASCII));
        RawWebSocket.sendUntilCutOff(s, "a".repeat(16 * 1024).getBytes(StandardCharsets.US_ASCII),
            64L * 1024 * 1024);
      }
      t.assertEchoes(good, "unharmed");
      t.awaitSocketCount(1);
    }
  }

  @Test
  void pastMaxConnectionsSocketsAreClosedAtAcceptAndEveryClosePathGivesItsCountBack() throws IOException {
    int max = 4;
    try (EchoTransport t = new EchoTransport(EchoTransport.settings(Duration.ofMillis(300), 1024, max, max))) {
      // Silent sockets count from accept; they are closed at the handshake timeout.
      List<Socket> silent = new ArrayList<>();
      for (int i = 0; i < max; i++) {
        silent.add(RawWebSocket.socket(t.port));
      }
      t.awaitSocketCount(max);
      assertRefusedAtAccept(t.port);
      for (Socket s : silent) {
        assertTrue(RawWebSocket.awaitEof(s));
        s.close();
      }
      t.awaitSocketCount(0);
      // Refused handshakes, oversized heads, clients that give up halfway and normal closes give theirs back.
      for (int i = 0; i < max; i++) {
        try (Socket s = RawWebSocket.socket(t.port)) {
          assertEquals(429, status(RawWebSocket.exchange(s, RawWebSocket.upgradeRequest("/t?refuse=429", ""))));
        }
        try (Socket s = RawWebSocket.socket(t.port)) {
          String big = RawWebSocket.upgradeRequest("/t", "X-Pad: " + "p".repeat(2000) + "\r\n");
          assertEquals(431, status(RawWebSocket.exchange(s, big)));
        }
        try (Socket s = RawWebSocket.socket(t.port)) {
          s.getOutputStream().write("GET /t HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        try (RawWebSocket ws = RawWebSocket.connect(t.port, "/t")) {
          t.assertEchoes(ws, "n" + i);
        }
      }
      t.awaitSocketCount(0);
      // All of them given back: exactly max fit again, and one more is refused.
      List<RawWebSocket> open = new ArrayList<>();
      for (int i = 0; i < max; i++) {
        open.add(RawWebSocket.connect(t.port, "/t"));
      }
      assertRefusedAtAccept(t.port);
      for (RawWebSocket ws : open) {
        t.assertEchoes(ws, "full house");
        ws.close();
      }
    }
  }

  /** A valid upgrade request gets no response at all: the socket was closed as soon as it was accepted. */
  private static void assertRefusedAtAccept(int port) throws IOException {
    try (Socket s = RawWebSocket.socket(port)) {
      try {
        s.getOutputStream().write(RawWebSocket.upgradeRequest("/t", "").getBytes(StandardCharsets.US_ASCII));
        int first = s.getInputStream().read();
        assertEquals(-1, first, "expected the end of the stream, got a response");
      } catch (java.net.SocketException reset) {
        // also a refusal at accept: the server closed before (or while) we wrote
      }
    }
  }

  @Test
  void pastMaxConnectionsPerAddressOneAddressIsRefusedAndOthersGetIn() throws IOException {
    try (EchoTransport t = new EchoTransport(EchoTransport.settings(Duration.ofSeconds(10), 1024, 100, 3))) {
      List<RawWebSocket> open = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        open.add(RawWebSocket.connect(t.port, "/t"));
      }
      assertRefusedAtAccept(t.port);
      InetAddress other = InetAddress.getByName("127.0.0.2");
      Socket fromOther = new Socket();
      try {
        fromOther.bind(new InetSocketAddress(other, 0));
      } catch (IOException e) {
        fromOther.close();
        org.junit.jupiter.api.Assumptions.abort("127.0.0.2 is not a local address here (Linux has all of 127/8)");
      }
      try (Socket s = fromOther) {
        s.connect(new InetSocketAddress("127.0.0.1", t.port));
        s.setSoTimeout(10_000);
        assertEquals(101, status(RawWebSocket.exchange(s, RawWebSocket.upgradeRequest("/t", ""))));
      }
      for (RawWebSocket ws : open) {
        t.assertEchoes(ws, "unharmed");
        ws.close();
      }
    }
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
