package dev.pushline.internal.http.api;

import static dev.pushline.internal.http.api.ApiFixture.next;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pushline.Channel;
import dev.pushline.Publication;
import dev.pushline.PushServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Clients that send too much, too slowly, or never read: each is cut off within a bound, and everyone else
 * is served meanwhile. More such clients than the HTTP side has handler threads or the API has response
 * threads (4), so that without the bounds the others would wait for ever.
 */
class ApiHostileClientTest {

  /** Clients that hold an HTTP handler thread each: more than there are. */
  private static final int HOLDING_HANDLERS = dev.pushline.internal.http.HttpSide.MAX_HANDLER_THREADS + 8;
  /** Clients that hold an API response thread each: more than there are. */
  private static final int HOSTILE = 6;

  private ApiFixture api;
  private final List<Socket> sockets = new ArrayList<>();

  @AfterEach
  void close() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
    if (api != null) {
      api.close();
    }
  }

  private Socket rawRequest(String head, int receiveBuffer) throws IOException {
    Socket s = new Socket();
    sockets.add(s);
    if (receiveBuffer > 0) {
      s.setReceiveBufferSize(receiveBuffer);
    }
    s.connect(new java.net.InetSocketAddress("127.0.0.1", api.server.httpPort()), 5_000);
    s.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
    return s;
  }

  private static String publishHead(long contentLength) {
    return "POST /api/publish HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + ApiFixture.KEY
        + "\r\nContent-Type: application/json\r\nContent-Length: " + contentLength + "\r\n\r\n";
  }

  /** Reads until the server closes the connection; fails if it does not within 10 s. */
  private static String readUntilClosed(Socket s) throws IOException {
    return readUntilClosed(s, new long[1]);
  }

  /**
   * Reads until the server closes the connection, and fails if it does not within 10 s.
   *
   * @param received set to the number of bytes received
   * @return the first bytes received
   */
  private static String readUntilClosed(Socket s, long[] received) throws IOException {
    s.setSoTimeout(10_000);
    InputStream in = s.getInputStream();
    StringBuilder head = new StringBuilder();
    byte[] buf = new byte[8192];
    try {
      for (int n; (n = in.read(buf)) >= 0; ) {
        received[0] += n;
        if (head.length() < 64) {
          head.append(new String(buf, 0, Math.min(n, 64), StandardCharsets.ISO_8859_1));
        }
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the server did not close the connection within 10 s", e);
    } catch (IOException reset) {
      // Closed with unread data: a reset, which is a close too.
    }
    return head.toString();
  }

  /** Another client is served while the hostile ones are there: a publication reaches a subscriber. */
  private void othersAreServed() throws Exception {
    BlockingQueue<Publication> received = api.subscriber("others");
    ApiFixture.Response r = api.post("/api/publish", "{\"channel\":\"others\",\"event\":\"still\",\"data\":1}");
    assertEquals(200, r.status(), r.body());
    assertEquals("still", next(received).event());
  }

  @Test
  void announcedBodiesThatNeverComeAreRefusedAndTheConnectionsClosed() throws Exception {
    api = new ApiFixture(); // the I/O limit is 10 s; refusals take at most 1 s
    List<Socket> tooLarge = new ArrayList<>();
    List<Socket> noKey = new ArrayList<>();
    for (int i = 0; i < HOLDING_HANDLERS; i++) {
      tooLarge.add(rawRequest(publishHead(1_000_000_000L), 0)); // and no body at all
      noKey.add(rawRequest(publishHead(1_000).replace("Authorization", "X-Nothing"), 0));
    }

    othersAreServed();

    for (Socket s : tooLarge) {
      String response = readUntilClosed(s);
      assertTrue(response.startsWith("HTTP/1.1 413"), response);
    }
    for (Socket s : noKey) {
      String response = readUntilClosed(s);
      assertTrue(response.startsWith("HTTP/1.1 401"), response);
    }
  }

  @Test
  void aHugeChunkedBodyIsCutOffAfterTheLimit() throws Exception {
    api = new ApiFixture();
    AtomicLong supplied = new AtomicLong();
    long endless = 1L << 30;
    InputStream body = new InputStream() {
      @Override
      public int read() {
        return supplied.incrementAndGet() <= endless ? 'x' : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        int n = (int) Math.min(len, endless - supplied.get());
        if (n <= 0) {
          return -1;
        }
        java.util.Arrays.fill(b, off, off + n, (byte) 'x');
        supplied.addAndGet(n);
        return n;
      }
    };

    try {
      ApiFixture.Response r = api.send(api.request("/api/publish").header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofInputStream(() -> body)));
      r.assertError(413, "too_large");
    } catch (IOException closedWhileSending) {
      // Also fine: the server answered and closed the connection while the client was still sending.
    }

    assertTrue(supplied.get() < 64L << 20, "the client sent " + supplied.get() + " bytes before it was cut off");
    othersAreServed();
  }

  @Test
  void bodiesThatNeverArriveAreCutOffAfterTheIoLimit() throws Exception {
    api = new ApiFixture(PushServer.builder().apiKey(ApiFixture.KEY).handshakeTimeout(Duration.ofMillis(500)));
    List<Socket> slow = new ArrayList<>();
    for (int i = 0; i < HOLDING_HANDLERS; i++) {
      slow.add(rawRequest(publishHead(100) + "{\"channel\"", 0)); // 10 of 100 bytes, then nothing
    }

    othersAreServed();

    for (Socket s : slow) {
      String response = readUntilClosed(s);
      assertEquals("", response, "closed without a response");
    }
    assertEquals(1, api.server.stats().publications());
  }

  @Test
  void clientsThatNeverReadTheirResponseAreCutOffAfterTheIoLimit() throws Exception {
    api = new ApiFixture(PushServer.builder().apiKey(ApiFixture.KEY).handshakeTimeout(Duration.ofMillis(500)));
    Channel big = api.server.channel("big");
    String kib8 = "y".repeat(8 * 1024);
    for (int i = 0; i < 1_000; i++) {
      big.publish("chunk", kib8); // a history response of 8 MB: more than the socket buffers hold
    }
    List<Socket> stalled = new ArrayList<>();
    for (int i = 0; i < HOSTILE; i++) {
      stalled.add(rawRequest("GET /api/channels/big/history?limit=1000 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Authorization: Bearer " + ApiFixture.KEY + "\r\nConnection: close\r\n\r\n", 4096));
    }

    othersAreServed(); // its response needs one of the 4 response threads the stalled ones hold

    int cut = 0;
    for (Socket s : stalled) {
      long[] received = new long[1];
      String head = readUntilClosed(s, received);
      assertTrue(head.startsWith("HTTP/1.1 200"), head);
      if (received[0] < 8_000_000) {
        cut++;
      }
    }
    assertTrue(cut >= 1, "a response not read within the limit was cut off");
  }
}
