package dev.pushline.transport.websocket;

import dev.pushline.transport.Handshake;
import dev.pushline.transport.InboundListener;
import dev.pushline.transport.OutboundMessage;
import dev.pushline.transport.Transport;
import dev.pushline.transport.TransportConnection;
import dev.pushline.transport.TransportListener;
import dev.pushline.transport.TransportSettings;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * A benchmark transport: no sockets, no threads. Messages are prepared by the real WebSocket transport
 * (one {@link TextFrame}, framed once), and each connection's {@link TransportConnection#send send} takes
 * the per-recipient {@link TextFrame#view() view} that {@link JwsConnection} queues, counts it and drops
 * it. So a publish through a {@code PushServer} on this transport runs the engine's real fan-out
 * ({@code ChannelState} → {@code Session.deliver} → {@code send}) and stops where the socket would start.
 *
 * <p>Left out, compared with {@link JwsConnection#send}: the {@code AtomicLong} add, the
 * {@code outQueue.add} into Java-WebSocket's {@code LinkedBlockingQueue} and {@code onWriteDemand}
 * (interest ops and a selector wake-up). {@link Connection#queuedBytes()} is always 0, as if the socket
 * drained at once, so the slow-consumer policy never applies.
 *
 * <p>In this package (split across the bench jar and core; core has no {@code module-info}) only to reach
 * the package-private {@link TextFrame#view()}; core itself is unchanged. Not thread-safe: a benchmark
 * drives it from one thread.
 */
public final class DiscardingTransport implements Transport {

  private static final Handshake HANDSHAKE = new Handshake("/pushline", "", Map.of(), // no Origin: not a browser
      new InetSocketAddress("127.0.0.1", 40000));

  private final Transport framing = WebSocketTransport.create(); // never started: prepare() only
  private TransportListener listener;

  @Override
  public InetSocketAddress start(TransportSettings settings, TransportListener listener) {
    if (this.listener != null) {
      throw new IllegalStateException("a DiscardingTransport can be started once");
    }
    this.listener = listener;
    return new InetSocketAddress("127.0.0.1", 1);
  }

  @Override
  public OutboundMessage prepare(String text) {
    return framing.prepare(text);
  }

  @Override
  public void close(int code, String reason) {
    // Nothing to release: no socket, no thread. Connections are not told (the benchmark's JVM ends).
  }

  /** Opens one connection as a client's handshake would, and returns it with the engine's listener. */
  public Connection connect() {
    if (listener == null) {
      throw new IllegalStateException("transport not started");
    }
    Connection c = new Connection();
    c.inbound = listener.onOpen(c);
    return c;
  }

  /** The per-recipient view {@link JwsConnection#send} would queue for {@code message}. */
  public static ByteBuffer view(OutboundMessage message) {
    return ((TextFrame) message).view();
  }

  /** One connection: counts what the engine sends it and keeps only the last view. */
  public static final class Connection implements TransportConnection {
    private InboundListener inbound;
    private long messages;
    private long bytes;
    /** The last view taken; a field, so the per-recipient duplicate really is allocated, as it is when queued. */
    private ByteBuffer last;

    /** What the engine sees as this connection's inbound side: requests go in here. */
    public InboundListener inbound() {
      return inbound;
    }

    public long messages() {
      return messages;
    }

    public long bytes() {
      return bytes;
    }

    @Override
    public Handshake handshake() {
      return HANDSHAKE;
    }

    /** None: connections open without onHandshake, so the engine admits them in onOpen. */
    @Override
    public Object context() {
      return null;
    }

    @Override
    public boolean send(OutboundMessage message) {
      last = view(message);
      messages++;
      bytes += last.remaining();
      return true;
    }

    @Override
    public void close(int code, String reason) {
      // Only reached if the engine refuses the connection or drops a slow consumer; neither happens here.
    }

    @Override
    public long queuedBytes() {
      return 0;
    }

    @Override
    public void notifyWhenDrained(long bytes) {
      inbound.onDrained(); // the queue is always empty: drained already, so at once, as the SPI says
    }
  }
}
