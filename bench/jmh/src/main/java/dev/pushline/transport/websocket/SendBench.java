package dev.pushline.transport.websocket;

import dev.pushline.jmh.Payloads;
import dev.pushline.transport.OutboundMessage;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.java_websocket.WebSocket;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Queueing one serialised publication on {@code recipients} open Java-WebSocket connections, through the
 * production code of each side: Pushline's {@code WebSocketTransport.prepare} + {@link JwsConnection#send}
 * per connection, against Java-WebSocket 1.6.0's {@link WebSocketServer#broadcast(String, java.util.Collection)}.
 * Both end in the same place, one buffer in each connection's {@code outQueue}; then each op takes
 * those buffers off again (what the selector does after writing them), in both variants alike, so that
 * the queues stay empty. Not measured: the selector wake-up and the write (see {@link OpenSockets}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class SendBench {

  @Param({"100", "1024"})
  public int payloadBytes;

  @Param({"1000", "10000"})
  public int recipients;

  private String text;
  private final WebSocketTransport transport = WebSocketTransport.create(); // prepare() only
  private List<WebSocket> pushlineSockets;
  private JwsConnection[] pushlineConnections;
  private List<WebSocket> broadcastSockets;
  private WebSocketServer server;
  private long expectedBytes;

  @Setup
  public void setup() {
    // The same frame text the engine sends, shape only: {"type":"publication",...,"data":"…"}.
    text = "{\"type\":\"publication\",\"channel\":\"bench\",\"offset\":1234,\"event\":\"m\",\"data\":\""
        + Payloads.text(payloadBytes) + "\"}";
    pushlineSockets = OpenSockets.open(recipients);
    pushlineConnections = new JwsConnection[recipients];
    for (int i = 0; i < recipients; i++) {
      pushlineConnections[i] = OpenSockets.pushline(pushlineSockets.get(i));
    }
    broadcastSockets = new ArrayList<>(OpenSockets.open(recipients));
    server = new NeverStarted();
    expectedBytes = (long) recipients * transport.prepare(text).sizeBytes();
    // Both variants must leave the same bytes in the queues, or the comparison means nothing.
    long p = pushline();
    long b = broadcast();
    if (p != expectedBytes || b != expectedBytes) {
      throw new IllegalStateException("queued " + p + " (pushline) and " + b + " (broadcast) bytes; expected "
          + expectedBytes);
    }
  }

  @Benchmark
  public long pushline() {
    OutboundMessage frame = transport.prepare(text);
    for (JwsConnection c : pushlineConnections) {
      c.send(frame);
    }
    long bytes = 0;
    for (WebSocket s : pushlineSockets) {
      bytes += OpenSockets.drain(s);
    }
    return bytes;
  }

  @Benchmark
  public long broadcast() {
    server.broadcast(text, broadcastSockets);
    long bytes = 0;
    for (WebSocket s : broadcastSockets) {
      bytes += OpenSockets.drain(s);
    }
    return bytes;
  }

  /** Only its {@code broadcast} is used; never started, so it binds nothing and starts no thread. */
  private static final class NeverStarted extends WebSocketServer {
    NeverStarted() {
      super(new InetSocketAddress("127.0.0.1", 0), 1);
    }

    @Override
    public void onOpen(WebSocket conn, ClientHandshake handshake) {}

    @Override
    public void onClose(WebSocket conn, int code, String reason, boolean remote) {}

    @Override
    public void onMessage(WebSocket conn, String message) {}

    @Override
    public void onMessage(WebSocket conn, ByteBuffer message) {}

    @Override
    public void onError(WebSocket conn, Exception ex) {
      throw new IllegalStateException("unexpected error", ex);
    }

    @Override
    public void onStart() {}
  }
}
