package dev.pushline.internal.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pushline.PushException;
import dev.pushline.PushServer;
import dev.pushline.testing.Threads;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The HTTP side's own routing and answers, with a real server. */
class HttpSideTest {

  private PushServer server;
  private final List<Socket> sockets = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (Socket s : sockets) {
      s.close();
    }
    if (server != null) {
      server.close();
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
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!Threads.startedSince(before).isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(10); // polling a condition with a deadline
    }
    assertEquals(Set.of(), Threads.startedSince(before));
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
    for (int i = 0; i < 12; i++) {
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
}
