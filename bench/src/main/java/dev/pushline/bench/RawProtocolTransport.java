package dev.pushline.bench;

import dev.pushline.Channel;
import dev.pushline.ClientConnection;
import dev.pushline.PushServer;
import dev.pushline.transport.Handshake;
import dev.pushline.transport.HandshakeDecision;
import dev.pushline.transport.InboundListener;
import dev.pushline.transport.OutboundMessage;
import dev.pushline.transport.Transport;
import dev.pushline.transport.TransportConnection;
import dev.pushline.transport.TransportListener;
import dev.pushline.transport.TransportSettings;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * A transport decorator that speaks the benchmark harness's {@code raw} frames and maps them onto the
 * public API, so that the {@code pushline-raw} peer measures the server's fan-out without the v1 request
 * parsing on the publish side:
 *
 * <ul>
 *   <li>{@code sub <channel>} → {@link Channel#subscribe(dev.pushline.Subscriber)} with the connection's
 *       {@link ClientConnection} (a server-side subscription; the client also gets Pushline's own
 *       {@code subscribed} frame, which the harness ignores), then {@code ok <channel>};
 *   <li>{@code pub <channel> <payload>} → {@link Channel#publish(String, Object) publish("m", payload)},
 *       in process, on the transport's decoder thread;
 *   <li>anything else goes to the engine as a v1 request.
 * </ul>
 *
 * Subscribers receive the same v1 {@code publication} frames as with the {@code pushline} peer.
 *
 * <p>Thread-safe once {@link #serve} was called (before the server starts).
 */
final class RawProtocolTransport implements Transport {

  private final Transport delegate;
  private volatile PushServer server; // set once before start

  RawProtocolTransport(Transport delegate) {
    this.delegate = delegate;
  }

  /** The server this transport belongs to; needed to find channels. Call before {@code start()}. */
  void serve(PushServer server) {
    this.server = server;
  }

  @Override
  public InetSocketAddress start(TransportSettings settings, TransportListener listener) throws IOException {
    if (server == null) {
      throw new IllegalStateException("serve(server) must be called before the server starts");
    }
    return delegate.start(settings, new TransportListener() {
      @Override
      public HandshakeDecision onHandshake(Handshake handshake) {
        return listener.onHandshake(handshake);
      }

      @Override
      public InboundListener onOpen(TransportConnection connection) {
        return adapt(connection, listener.onOpen(connection));
      }
    });
  }

  private InboundListener adapt(TransportConnection connection, InboundListener engineSide) {
    // The engine's listener for a connection is also that connection's ClientConnection; there is no
    // other way for a transport to name it. Fail loudly if that ever changes.
    if (!(engineSide instanceof ClientConnection client)) {
      throw new IllegalStateException("the engine's listener is not a ClientConnection: "
          + engineSide.getClass().getName());
    }
    return new InboundListener() {
      @Override
      public void onText(String text) {
        if (text.startsWith("pub ")) {
          int space = text.indexOf(' ', 4);
          if (space > 4) {
            server.channel(text.substring(4, space)).publish("m", text.substring(space + 1));
            return;
          }
        } else if (text.startsWith("sub ")) {
          String name = text.substring(4);
          server.channel(name).subscribe(client);
          connection.send(delegate.prepare("ok " + name));
          return;
        }
        engineSide.onText(text);
      }

      @Override
      public void onDrained() {
        engineSide.onDrained();
      }

      @Override
      public void onClosed(int code, String reason) {
        engineSide.onClosed(code, reason);
      }
    };
  }

  @Override
  public OutboundMessage prepare(String text) {
    return delegate.prepare(text);
  }

  @Override
  public void close(int code, String reason) {
    delegate.close(code, reason);
  }
}
