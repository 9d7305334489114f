package dev.pushline.internal.http.sse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pushline.ClientConnection;
import dev.pushline.CloseCodes;
import dev.pushline.ConnectionListener;
import dev.pushline.PushServer;
import dev.pushline.testing.SelfSignedTls;
import dev.pushline.testing.Threads;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SSE over HTTPS (the HTTP side with {@code tls(context)}): streaming, and cutting a reader that stopped. */
class SseTlsTest {

  @Test
  void streamsOverTlsAndCutsAStalledTlsReader(@TempDir Path dir) throws Exception {
    Set<String> before = Threads.serverThreads();
    SelfSignedTls tls = SelfSignedTls.create(dir);
    BlockingQueue<Integer> closed = new LinkedBlockingQueue<>();
    PushServer server = PushServer.builder().host("127.0.0.1").port(0).httpPort(0).tls(tls.server())
        .maxQueuedBytes(64 * 1024).connectionListener(new ConnectionListener() {
          @Override
          public void onClosed(ClientConnection connection, int code, String reason) {
            closed.add(code);
          }
        }).build().start();
    try {
      HttpClient http = HttpClient.newBuilder().sslContext(tls.client()).build();
      SseTestClient reader = SseTestClient.open(http,
          URI.create("https://127.0.0.1:" + server.httpPort() + "/sse?channel=big"));
      assertEquals(200, reader.status());
      reader.next("welcome");
      reader.next("subscribed");

      SSLSocket stalled = (SSLSocket) tls.client().getSocketFactory().createSocket();
      stalled.setReceiveBufferSize(4096);
      stalled.connect(new java.net.InetSocketAddress("127.0.0.1", server.httpPort()));
      stalled.setSoTimeout(10_000);
      stalled.startHandshake();
      OutputStream out = stalled.getOutputStream();
      out.write("GET /sse?channel=big HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (server.connectionCount() < 2) {
        if (System.nanoTime() > deadline) {
          fail("the stalled stream did not open");
        }
        Thread.sleep(10); // bounded poll of a condition
      }

      String payload = "y".repeat(8 * 1024);
      long published = 0;
      while (server.connectionCount() == 2) {
        if (published == 4_000) {
          fail("the stalled TLS stream was never cut");
        }
        published = server.channel("big").publish("blob", payload);
        assertEquals(published, reader.next("message").json().get("offset").getAsLong());
      }
      assertEquals(CloseCodes.SLOW_CONSUMER, closed.poll(10, TimeUnit.SECONDS));
      InputStream in = stalled.getInputStream();
      byte[] buffer = new byte[64 * 1024];
      try {
        while (in.read(buffer) >= 0) {
          // what the kernel held, then the end
        }
      } catch (SocketTimeoutException e) {
        fail("the cut TLS stream's socket is still open");
      } catch (SocketException | javax.net.ssl.SSLException reset) {
        // also an end
      }
      stalled.close();

      server.close();
      reader.next("close");
      reader.awaitEnd();
      reader.close();
    } finally {
      server.close();
    }
    assertEquals(Set.of(), Threads.startedSince(before), "threads left running after close");
  }
}
