package dev.pushline.transport.websocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pushline.ClientConnection;
import dev.pushline.CloseCodes;
import dev.pushline.Publication;
import dev.pushline.PushServer;
import dev.pushline.client.PushClient;
import dev.pushline.testing.ConnectionRecorder;
import dev.pushline.testing.RawWebSocket;
import dev.pushline.testing.SelfSignedTls;
import dev.pushline.testing.Threads;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code wss://}: a certificate made at test time by {@code keytool}, the server built with
 * {@code tls(context)}, our Java client and raw TLS sockets as clients.
 */
class TlsIT {

  @TempDir
  static Path keys;
  private static SelfSignedTls tls;

  private PushServer server;
  private WebSocketTransport transport;
  private final List<AutoCloseable> clients = new ArrayList<>();
  private final ExecutorService httpThreads = Executors.newFixedThreadPool(2, r -> {
    Thread t = new Thread(r, "test-http");
    t.setDaemon(true);
    return t;
  });

  @BeforeAll
  static void makeCertificate() throws Exception {
    tls = SelfSignedTls.create(keys);
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : clients) {
      c.close();
    }
    if (server != null) {
      server.close();
    }
    httpThreads.shutdownNow();
  }

  private PushServer start(PushServer.Builder b) {
    transport = WebSocketTransport.create();
    server = b.host("127.0.0.1").port(0).tls(tls.server()).transport(transport).build().start();
    return server;
  }

  private HttpClient https() {
    return HttpClient.newBuilder().sslContext(tls.client()).executor(httpThreads).build();
  }

  private PushClient pushClient(String scheme) {
    PushClient c = PushClient.builder().uri(scheme + "://localhost:" + server.port() + "/pushline")
        .httpClient(https()).connectTimeout(Duration.ofSeconds(5)).build();
    clients.add(c);
    return c;
  }

  /** A raw TLS client, upgraded; optionally with a tiny receive buffer so that it can fall behind. */
  private RawWebSocket rawTls(int receiveBuffer) throws IOException {
    SSLSocket s = (SSLSocket) tls.client().getSocketFactory().createSocket();
    s.setTcpNoDelay(true);
    if (receiveBuffer > 0) {
      s.setReceiveBufferSize(receiveBuffer);
    }
    s.connect(new InetSocketAddress("127.0.0.1", server.port()));
    s.setSoTimeout(10_000);
    RawWebSocket ws = RawWebSocket.upgrade(s, "/pushline");
    clients.add(ws);
    assertTrue(ws.readText().contains("\"welcome\""));
    return ws;
  }

  @Test
  void theJavaClientSubscribesOverWssAndReceivesEveryPublicationInOrder() throws Exception {
    Set<String> before = Threads.serverThreads();
    start(PushServer.builder());
    PushClient client = pushClient("wss");
    client.connect().get(10, TimeUnit.SECONDS);
    BlockingQueue<Publication> received = new LinkedBlockingQueue<>();
    client.subscribe("orders", received::add).get(10, TimeUnit.SECONDS);
    for (int i = 1; i <= 200; i++) {
      server.channel("orders").publish("created", "x".repeat(i * 50)); // up to 10 KB: several records
    }
    for (int i = 1; i <= 200; i++) {
      Publication p = received.poll(10, TimeUnit.SECONDS);
      assertNotNull(p, "publication " + i);
      assertEquals(i, p.offset());
    }
    client.close();
    server.close();
    server = null;
    assertEquals(Set.of(), Threads.startedSince(before), "threads left after close(), TLS pool included");
  }

  @Test
  void everyOneOfManyTlsClientsInARowGetsItsUpgradeAnswered() throws Exception {
    // Each TLS 1.3 client sends its Finished and its HTTP request together; a handshake finished by a
    // delegated task must still read the request that arrived with it.
    start(PushServer.builder());
    for (int i = 0; i < 200; i++) { // before the fix, one of the first 10 or so got stuck
      try (RawWebSocket ws = rawTls(0)) {
        clients.remove(ws);
      } catch (java.net.SocketTimeoutException e) {
        throw new AssertionError("TLS client " + i + " got no upgrade within 10 s", e);
      }
    }
  }

  @Test
  void plainClientsOnTheTlsPortFailAndHurtNobody() throws Exception {
    start(PushServer.builder().handshakeTimeout(Duration.ofSeconds(10)));
    RawWebSocket subscriber = rawTls(0);
    subscriber.sendText("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"feed\"}");
    assertTrue(subscriber.readText().contains("\"subscribed\""));

    // The Java client over ws:// to a wss:// port: its upgrade fails, it never connects.
    HttpClient plain = HttpClient.newBuilder().executor(httpThreads).build();
    CompletionException failed = assertThrows(CompletionException.class, () -> plain.newWebSocketBuilder()
        .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/pushline"), new WebSocket.Listener() {})
        .orTimeout(10, TimeUnit.SECONDS).join());
    assertTrue(failed.getCause() instanceof IOException, String.valueOf(failed.getCause()));
    // A raw plaintext upgrade: not TLS, so the server ends the connection without an HTTP answer.
    try (Socket s = RawWebSocket.socket(server.port())) {
      s.getOutputStream().write(RawWebSocket.upgradeRequest("/pushline", "").getBytes(StandardCharsets.US_ASCII));
      assertTrue(RawWebSocket.awaitEof(s));
    }
    // Nobody was hurt: the subscriber gets the next publication, and the sockets were given back.
    long offset = server.channel("feed").publish("e", "after");
    assertTrue(subscriber.readText().contains("\"offset\":" + offset));
    awaitUntil(() -> transport.socketCount(), 1);
  }

  @Test
  void aRefusalOverTlsIsAnHttpResponseTheClientCanRead() throws Exception {
    start(PushServer.builder());
    WebSocketHandshakeException refused = (WebSocketHandshakeException) assertThrows(CompletionException.class,
        () -> https().newWebSocketBuilder()
            .buildAsync(URI.create("wss://localhost:" + server.port() + "/elsewhere"), new WebSocket.Listener() {})
            .orTimeout(10, TimeUnit.SECONDS).join()).getCause();
    assertEquals(404, refused.getResponse().statusCode());
    awaitUntil(() -> transport.socketCount(), 0);
  }

  @Test
  void queuedBytesDropToZeroOnceATlsPeerHasReadEverythingWithoutFurtherTraffic() throws Exception {
    ConnectionRecorder connections = new ConnectionRecorder();
    // No pings during the test: nothing but the publications themselves may move the bytes.
    start(PushServer.builder().pingInterval(Duration.ofHours(1)).maxQueuedBytes(32L * 1024 * 1024)
        .connectionListener(connections));
    RawWebSocket reader = rawTls(4096);
    ClientConnection connection = connections.nextOpened();
    server.channel("big").subscribe(connection);
    String chunk = "b".repeat(40 * 1024);
    // Publish what the client does not read until bytes queue up behind the kernel's socket buffers (up to
    // 4 MiB on Linux by default): 24 MB at most, under maxQueuedBytes.
    int count = 0;
    while (count < 600 && connection.queuedBytes() < 512 * 1024) {
      server.channel("big").publish("chunk", chunk);
      count++;
    }
    assertTrue(connection.queuedBytes() >= 512 * 1024, "queued: " + connection.queuedBytes());
    assertTrue(reader.readText().contains("\"subscribed\""));
    for (int i = 1; i <= count; i++) {
      String m = reader.readText();
      assertTrue(m.contains("\"offset\":" + i), m.substring(0, Math.min(200, m.length())));
    }
    // The last record reached the client with no later write to push it out, and the count is exact.
    awaitUntil(connection::queuedBytes, 0);
  }

  @Test
  void aStalledTlsReaderIsClosedWith3001WhileAnotherReceivesEverything() throws Exception {
    ConnectionRecorder connections = new ConnectionRecorder();
    start(PushServer.builder().maxQueuedBytes(256 * 1024).connectionListener(connections));
    RawWebSocket stalled = rawTls(4096);
    ClientConnection stalledConnection = connections.nextOpened();
    server.channel("big").subscribe(stalledConnection);
    PushClient fast = pushClient("wss");
    fast.connect().get(10, TimeUnit.SECONDS);
    BlockingQueue<Publication> received = new LinkedBlockingQueue<>();
    fast.subscribe("big", received::add).get(10, TimeUnit.SECONDS);
    String chunk = "b".repeat(20 * 1024);
    int count = 100; // 2 MB: far past the stalled reader's 256 KiB
    for (int i = 0; i < count; i++) {
      server.channel("big").publish("chunk", chunk);
    }
    for (int i = 1; i <= count; i++) {
      Publication p = received.poll(10, TimeUnit.SECONDS);
      assertNotNull(p, "publication " + i);
      assertEquals(i, p.offset());
    }
    assertEquals(CloseCodes.SLOW_CONSUMER, connections.nextCloseCode());
    stalled.close();
  }

  /** Polls {@code value} (10 s at most) until it equals {@code expected}. */
  private static void awaitUntil(LongSupplier value, long expected) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (value.getAsLong() != expected) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("value is " + value.getAsLong() + ", expected " + expected);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }
}
