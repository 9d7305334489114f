package dev.pushline.internal.http.sockjs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pushline.MutableClock;
import dev.pushline.Publication;
import dev.pushline.PushServer;
import dev.pushline.client.PushClient;
import dev.pushline.testing.Threads;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A peer that opens a streaming response and stops reading: its writer thread blocks in a socket write (the JDK
 * HTTP server has no write timeout). The session must still end — by the slow-consumer close and its grace, or by
 * the write timeout — and ending it must free the blocked thread; other clients are not affected.
 */
class SockJsStuckReaderTest {

  private final MutableClock clock = new MutableClock();
  private PushServer server;
  private Set<String> threadsBefore;

  @BeforeEach
  void rememberThreads() {
    threadsBefore = Threads.serverThreads();
  }

  @AfterEach
  void close() throws InterruptedException {
    if (server != null) {
      server.close();
    }
    await(() -> Threads.startedSince(threadsBefore).isEmpty(), "server threads ended");
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        StringBuilder dump = new StringBuilder();
        Thread.getAllStackTraces().forEach((t, st) -> {
          if (t.getName().startsWith("pushline-sockjs")) {
            dump.append(t.getName()).append(' ').append(t.getState()).append('\n');
            for (StackTraceElement f : st) {
              dump.append("  ").append(f).append('\n');
            }
          }
        });
        throw new AssertionError("not within 10 s: " + what + "\n" + dump);
      }
      Thread.sleep(10); // polling a condition with a deadline, not synchronising on time
    }
  }

  /** SockJS writer threads blocked in a socket write now. */
  private static int writersInSocketWrite() {
    int n = 0;
    for (var e : Thread.getAllStackTraces().entrySet()) {
      if (!e.getKey().getName().startsWith("pushline-sockjs-writer-")) {
        continue;
      }
      for (StackTraceElement f : e.getValue()) {
        if (f.getClassName().startsWith("sun.nio.ch.") && f.getMethodName().startsWith("write")) {
          n++;
          break;
        }
      }
    }
    return n;
  }

  /**
   * Opens {@code xhr_streaming} for {@code session} on a raw socket with a small receive buffer, subscribes it to
   * {@code channel}, reads up to the {@code subscribed} reply and no further.
   */
  private Socket stuckReader(SockJsHttp sockJs, String session, String channel) throws IOException {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4096);
    socket.connect(new InetSocketAddress("127.0.0.1", server.httpPort()), 10_000);
    socket.setSoTimeout(10_000);
    socket.getOutputStream().write(("POST /sockjs/000/" + session + "/xhr_streaming HTTP/1.1\r\n"
        + "Host: 127.0.0.1:" + server.httpPort() + "\r\nContent-Length: 0\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    readUntil(socket.getInputStream(), "welcome");
    sockJs.send(session, "{\"type\":\"subscribe\",\"id\":1,\"channel\":\"" + channel + "\"}");
    readUntil(socket.getInputStream(), "subscribed");
    return socket;
  }

  private static void readUntil(InputStream in, String marker) throws IOException {
    ByteArrayOutputStream seen = new ByteArrayOutputStream();
    byte[] buf = new byte[1024];
    while (!seen.toString(StandardCharsets.UTF_8).contains(marker)) {
      int n = in.read(buf);
      if (n < 0) {
        throw new AssertionError("the stream ended before " + marker + ": " + seen);
      }
      seen.write(buf, 0, n);
    }
  }

  /** Whether the server closed the socket: reading what is left ends (EOF or reset) within 10 s. */
  private static boolean closedByServer(Socket socket) {
    byte[] buf = new byte[64 * 1024];
    try {
      InputStream in = socket.getInputStream();
      while (in.read(buf) >= 0) {
        // drain what the kernel buffered before the close
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException reset) {
      return true;
    }
  }

  /**
   * A message larger than what the kernel buffers of a loopback connection hold (a few MiB), so that writing it
   * to a peer that does not read blocks.
   */
  private static final String JAM = "j".repeat(8 << 20);

  @Test
  void aStuckStreamIsClosedAsASlowConsumerAndItsWriterThreadIsFreed() throws Exception {
    server = PushServer.builder().host("127.0.0.1").port(0).httpPort(0).clock(clock)
        .maxQueuedBytes(12 << 20).build().start();
    SockJsHttp sockJs = new SockJsHttp("http://127.0.0.1:" + server.httpPort() + "/sockjs");
    BlockingQueue<Publication> healthy = new LinkedBlockingQueue<>();
    try (Socket stuck = stuckReader(sockJs, "stuck", "news");
        PushClient ws = PushClient.builder().uri("ws://127.0.0.1:" + server.port() + server.path()).build()) {
      var stuckConnection = server.connections().get(0);
      ws.connect().get(10, TimeUnit.SECONDS);
      ws.subscribe("news", healthy::add).get(10, TimeUnit.SECONDS);
      assertTrue(stuckConnection.send("jam", JAM));
      await(() -> writersInSocketWrite() == 1, "a writer blocked in the stuck socket");
      assertEquals(0, server.stats().slowConsumerDisconnects());

      String payload = "x".repeat(4096);
      int published = 0;
      while (server.stats().slowConsumerDisconnects() == 0 && published < 2_000) { // 4 MiB: past 12 MiB
        server.channel("news").publish("n", payload);
        published++;
        assertEquals(published, healthy.poll(10, TimeUnit.SECONDS).offset()); // in step: never slow
      }
      assertEquals(1, server.stats().slowConsumerDisconnects(), "closed with 3001");
      assertEquals(2, server.stats().connections(), "closing: its close frame cannot go out");
      assertEquals(1, writersInSocketWrite(), "still blocked");

      // The engine closes a slow consumer from its timer thread, a moment after the overflow: step the clock
      // a second at a time until the close grace (5 s) has passed since then. The write timeout (25 s) would
      // free the writer too, but only after 25 steps.
      int seconds = 0;
      long freedMillis = -1;
      while (freedMillis < 0 && seconds < 20) {
        clock.advance(Duration.ofSeconds(1));
        seconds++;
        long stepped = System.nanoTime();
        while (writersInSocketWrite() > 0 && System.nanoTime() - stepped < TimeUnit.MILLISECONDS.toNanos(500)) {
          Thread.sleep(5); // polling a condition with a deadline
        }
        if (writersInSocketWrite() == 0) {
          freedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stepped);
        }
      }
      assertTrue(freedMillis >= 0 && seconds >= 5 && seconds <= 7,
          "freed by the close grace: after " + seconds + " s of clock, " + freedMillis + " ms");
      await(() -> server.stats().connections() == 1, "the stuck session ended");
      assertEquals(1L, server.stats().closes(3001));
      assertTrue(closedByServer(stuck), "the stuck socket was closed");
      System.out.printf("stuck reader: 3001 after %d more publications of 4 KiB; writer freed %d ms after the"
          + " clock passed the close grace (%d s)%n", published, freedMillis, seconds);

      server.channel("news").publish("n", "after");
      assertEquals("after", healthy.poll(10, TimeUnit.SECONDS).data().getAsString());
    }
  }

  @Test
  void aWriteThatTakesLongerThanTheWriteTimeoutDropsTheSession() throws Exception {
    server = PushServer.builder().host("127.0.0.1").port(0).httpPort(0).clock(clock)
        .maxQueuedBytes(64 << 20).build().start(); // never a slow consumer here: only the write timeout acts
    SockJsHttp sockJs = new SockJsHttp("http://127.0.0.1:" + server.httpPort() + "/sockjs");
    try (Socket stuck = stuckReader(sockJs, "stuck", "big")) {
      assertTrue(server.connections().get(0).send("jam", JAM));
      await(() -> writersInSocketWrite() == 1, "a writer blocked in the stuck socket");

      clock.advance(Duration.ofSeconds(24));
      assertEquals(1, server.stats().connections(), "not before the write timeout (the ping interval)");
      clock.advance(Duration.ofSeconds(1));
      await(() -> writersInSocketWrite() == 0, "the blocked writer freed");
      await(() -> server.stats().connections() == 0, "the session ended");
      assertEquals(1L, server.stats().closes(1006), "closed as a dropped connection");
      assertEquals(0, server.stats().slowConsumerDisconnects());
      assertTrue(closedByServer(stuck), "the stuck socket was closed");
    }
  }
}
