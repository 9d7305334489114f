package dev.pushline.internal.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pushline.PushException;
import dev.pushline.PushServer;
import dev.pushline.testing.Threads;
import dev.pushline.testing.SelfSignedTls;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP side's own routing and answers, and how it keeps its handler threads, with a real server. */
class HttpSideTest {

  private PushServer server;
  private final List<Socket> sockets = new ArrayList<>();
  private Set<String> threadsBefore;

  @BeforeEach
  void rememberThreads() {
    threadsBefore = Threads.serverThreads();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (server != null) {
      server.close();
    }
    for (Socket s : sockets) {
      s.close(); // after the server: a half head ended by the client is taken as whole and answered
    }
    await(() -> Threads.startedSince(threadsBefore).isEmpty(),
        "threads left after close: " + Threads.startedSince(threadsBefore));
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 10 s: " + what);
      }
      Thread.sleep(10); // polling a condition with a deadline, not synchronising on time
    }
  }

  @Test
  void anHttpPortInUseFailsTheStartAndLeavesNothingRunning() throws Exception {
    Set<String> before = Threads.serverThreads();
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      PushServer s = PushServer.builder().host("127.0.0.1").port(0).httpPort(taken.getLocalPort()).build();
      PushException e = assertThrows(PushException.class, s::start);
      assertTrue(e.getMessage().contains("cannot start"), e.getMessage());
      assertThrows(IllegalStateException.class, s::port, "closed after the failed start");
    }
    await(() -> Threads.startedSince(before).isEmpty(), "threads left: " + Threads.startedSince(before));
  }

  @Test
  void anUnknownPathIsAJson404() throws Exception {
    server = PushServer.builder().host("127.0.0.1").port(0).httpPort(0).build().start();
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + "/nothing/here")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(404, r.statusCode());
    assertEquals("application/json; charset=utf-8", r.headers().firstValue("content-type").orElse(""));
    assertEquals("{\"error\":{\"code\":\"not_found\",\"message\":\"nothing is served at /nothing/here\"}}", r.body());
  }

  @Test
  void clientsThatDeclareABodyAndNeverSendItDoNotHoldTheHandlerThreads() throws Exception {
    server = PushServer.builder().host("127.0.0.1").port(0).httpPort(0).build().start();
    // More stalled requests than handler threads: each one's 404 would wait for its body for ever, as the
    // JDK server reads off an unread body before it ends the exchange.
    for (int i = 0; i < HttpSide.MAX_HANDLER_THREADS + 8; i++) {
      Socket s = new Socket("127.0.0.1", server.httpPort());
      sockets.add(s);
      OutputStream out = s.getOutputStream();
      out.write(("POST /elsewhere HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    HttpResponse<String> r = http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + "/other"))
            .timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(404, r.statusCode());
    assertTrue(r.body().contains("not_found"), r.body());
  }

  // --- the request head --------------------------------------------------------------------------

  @Test
  void clientsThatSendHalfARequestHeadDoNotStopTheHttpPort() throws Exception {
    server = PushServer.builder().host("127.0.0.1").port(0).httpPort(0).handshakeTimeout(Duration.ofSeconds(1))
        .build().start();
    // More than the handler threads: the JDK server reads a request's head on a handler thread, with no limit.
    for (int i = 0; i < HttpSide.MAX_HANDLER_THREADS + 8; i++) {
      halfHead();
    }
    HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + "/sockjs/info"))
            .timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertTrue(r.body().contains("\"websocket\":false"), r.body());
  }

  @Test
  void featuresRefusingABodyTheClientNeverSendsDoNotStopTheHttpPort() throws Exception {
    server = PushServer.builder().host("127.0.0.1").port(0).httpPort(0).handshakeTimeout(Duration.ofSeconds(1))
        .pingInterval(Duration.ofMillis(500)).build().start();
    // Each feature answers these without reading the body (405, 404, a protocol error): the JDK server then
    // reads off the declared body before it ends the exchange, with no limit, on the handler thread.
    List<String> refused = List.of("POST /sse", "POST /pushline.js", "PUT /sockjs/info", "POST /sse/elsewhere");
    for (int i = 0; i < HttpSide.MAX_HANDLER_THREADS + 8; i++) {
      Socket s = new Socket("127.0.0.1", server.httpPort());
      sockets.add(s);
      s.getOutputStream().write((refused.get(i % refused.size()) + " HTTP/1.1\r\nHost: x\r\n"
          + "Content-Length: 1000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
    }
    HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + "/sockjs/info"))
            .timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
  }

  @Test
  void tlsClientsThatStallTheirHandshakeDoNotStopTheHttpsPort(@TempDir Path dir) throws Exception {
    SelfSignedTls tls = SelfSignedTls.create(dir);
    server = PushServer.builder().host("127.0.0.1").port(0).httpPort(0).tls(tls.server())
        .handshakeTimeout(Duration.ofSeconds(1)).build().start();
    // The first byte of a TLS record and no more: the JDK server does the TLS handshake on a handler thread too.
    List<Socket> stalled = new ArrayList<>();
    for (int i = 0; i < HttpSide.MAX_HANDLER_THREADS + 8; i++) {
      Socket s = new Socket("127.0.0.1", server.httpPort());
      sockets.add(s);
      s.setSoTimeout(10_000);
      s.getOutputStream().write(0x16);
      s.getOutputStream().flush();
      stalled.add(s);
    }
    HttpResponse<String> r = HttpClient.newBuilder().sslContext(tls.client()).connectTimeout(Duration.ofSeconds(10))
        .build().send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.httpPort() + "/sockjs/info"))
            .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    for (Socket s : stalled) {
      assertClosedByServer(s);
    }
  }

  @Test
  void aConnectionWhoseHeadIsNotReadInTimeIsClosed() throws Exception {
    server = PushServer.builder().host("127.0.0.1").port(0).httpPort(0).handshakeTimeout(Duration.ofSeconds(1))
        .build().start();
    List<Socket> stalled = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      stalled.add(halfHead());
    }
    for (Socket s : stalled) {
      assertClosedByServer(s);
    }
  }

  @Test
  void aKeptAliveConnectionIdleLongerThanTheHeadDeadlineServesItsNextRequest() throws Exception {
    server = PushServer.builder().host("127.0.0.1").port(0).httpPort(0).handshakeTimeout(Duration.ofSeconds(1))
        .build().start();
    Socket client = new Socket("127.0.0.1", server.httpPort());
    sockets.add(client);
    client.setSoTimeout(10_000);
    for (int i = 0; i < 3; i++) {
      assertEquals(200, info(client));
    }
    // A half head sent now is cut one head deadline after a thread took it; once it is, the kept-alive
    // connection has been idle for longer than that deadline.
    assertClosedByServer(halfHead());
    for (int i = 0; i < 3; i++) {
      assertEquals(200, info(client));
    }
  }

  @Test
  void aRequestWhoseHeadWasReadIsNotCutByTheHeadDeadline() throws Exception {
    server = PushServer.builder().host("127.0.0.1").port(0).httpPort(0).handshakeTimeout(Duration.ofSeconds(1))
        .build().start();
    int port = server.httpPort();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    HttpResponse<String> open = http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/sockjs/000/s1/xhr"))
            .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals("o\n", open.body());
    // An xhr_send whose body takes longer than the head deadline (its own limit is the ping interval, 25 s):
    // the handler reads it on the thread that read the head.
    String body = "[\"{\\\"type\\\":\\\"ping\\\"}\"]";
    Socket send = new Socket("127.0.0.1", port);
    sockets.add(send);
    send.setSoTimeout(10_000);
    OutputStream out = send.getOutputStream();
    out.write(("POST /sockjs/000/s1/xhr_send HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length() + "\r\n\r\n"
        + body.substring(0, 3)).getBytes(StandardCharsets.US_ASCII));
    out.flush();
    assertClosedByServer(halfHead()); // one head deadline has passed since the xhr_send's thread took it
    out.write(body.substring(3).getBytes(StandardCharsets.US_ASCII));
    out.flush();
    assertTrue(readResponse(send.getInputStream()).startsWith("HTTP/1.1 204 "));
  }

  @Test
  void closeEndsTheHandlerThreadsWhileHeadsAreStalled() throws Exception {
    server = PushServer.builder().host("127.0.0.1").port(0).httpPort(0).build().start(); // head deadline 10 s
    List<Socket> stalled = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      stalled.add(halfHead());
    }
    // Wait until the handler threads hold them, then close under them.
    await(() -> handlerThreads() >= 12, "12 handler threads reading heads, not " + handlerThreads());
    assertTimeoutPreemptively(Duration.ofSeconds(8), () -> server.close());
    assertEquals(Set.of(), Threads.startedSince(threadsBefore), "threads left after close");
    for (Socket s : stalled) {
      assertClosedByServer(s);
    }
  }

  private static int handlerThreads() {
    int n = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("pushline-http-") && !t.getName().equals("pushline-http-timer")) {
        n++;
      }
    }
    return n;
  }

  /** Opens a socket that sends a request line and one header, and no more. */
  private Socket halfHead() throws IOException {
    Socket s = new Socket("127.0.0.1", server.httpPort());
    sockets.add(s);
    s.setSoTimeout(10_000);
    OutputStream out = s.getOutputStream();
    out.write("GET /sockjs/info HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return s;
  }

  /** Asserts that the server closed {@code s}: reading ends (EOF or reset) within its 10 s read timeout. */
  private static void assertClosedByServer(Socket s) throws IOException {
    try {
      int n = s.getInputStream().read();
      assertEquals(-1, n, "the server sent a byte instead of closing");
    } catch (SocketTimeoutException e) {
      fail("the server did not close the connection within 10 s");
    } catch (SocketException reset) {
      // closed by the server with unread data: a reset, which is a close too
    }
  }

  /** Sends {@code GET /sockjs/info} on a kept-alive connection and reads the whole answer; returns its status. */
  private static int info(Socket s) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write("GET /sockjs/info HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    String response = readResponse(s.getInputStream());
    return Integer.parseInt(response.substring(9, 12));
  }

  /** Reads one response with a {@code Content-Length} body (or none) off {@code in}, leaving the connection open. */
  private static String readResponse(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new AssertionError("the connection ended mid-head: " + head.toString(StandardCharsets.ISO_8859_1));
      }
      head.write(b);
    }
    String h = head.toString(StandardCharsets.ISO_8859_1);
    int length = 0;
    for (String line : h.split("\r\n")) {
      if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    byte[] body = in.readNBytes(length);
    assertEquals(length, body.length, "the connection ended mid-body");
    return h + new String(body, StandardCharsets.UTF_8);
  }
}
