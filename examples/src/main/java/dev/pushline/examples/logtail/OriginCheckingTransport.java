package dev.pushline.examples.logtail;

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
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Transport} decorator that closes WebSocket connections opened by pages of other sites before
 * the server sees them.
 *
 * <h2>Why</h2>
 * Browsers let any page open a WebSocket to any address, {@code ws://127.0.0.1:8025} included, and do not
 * apply the same-origin policy to it: without this check, any site open in the user's browser could read
 * the log (cross-site WebSocket hijacking). Pushline 0.1 has no origin setting, so the demo checks the
 * handshake's {@code Origin} header here.
 *
 * <h2>Rule</h2>
 * <ul>
 *   <li>No {@code Origin} header: allowed. Browsers always send one, so this is a program such as
 *       {@code curl} or a Java client, which could connect from anywhere the port is reachable anyway.</li>
 *   <li>An origin on this machine ({@code localhost}, {@code 127.0.0.0/8}, {@code [::1]}, any port):
 *       allowed.</li>
 *   <li>When the server is bound to a non-loopback interface: also an origin whose host is the host the
 *       browser connected to (the handshake's {@code Host} header), i.e. the demo's own page opened by the
 *       machine's name or address.</li>
 *   <li>Anything else, {@code null} origins (sandboxed frames, {@code file:} pages) included: the
 *       handshake is refused with HTTP 403, before any WebSocket exists.</li>
 * </ul>
 * Ports are not compared: a page on another local port is already code running on this machine, and SSH
 * port forwarding changes the port the browser sees.
 *
 * <p>Thread-safe.
 */
public final class OriginCheckingTransport implements Transport {

  private static final Logger log = LoggerFactory.getLogger(OriginCheckingTransport.class);


  private static final Pattern IPV4_LOOPBACK = Pattern.compile("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");


  private final Transport delegate;
  private final boolean loopbackOnly;

  /**
   * @param delegate the transport that does the work
   * @param loopbackOnly whether the server is bound to a loopback address, so that only local pages can
   *     reach it
   */
  public OriginCheckingTransport(Transport delegate, boolean loopbackOnly) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.loopbackOnly = loopbackOnly;
  }

  @Override
  public InetSocketAddress start(TransportSettings settings, TransportListener listener) throws IOException {
    Objects.requireNonNull(listener, "listener");
    return delegate.start(settings, new TransportListener() {
      @Override
      public HandshakeDecision onHandshake(Handshake handshake) {
        if (!allows(handshake)) {
          log.debug("refusing a WebSocket from {}: origin {} is not allowed", handshake.remoteAddress(),
              handshake.header("origin"));
          return HandshakeDecision.reject(403, "origin not allowed");
        }
        return listener.onHandshake(handshake);
      }

      @Override
      public InboundListener onOpen(TransportConnection connection) {
        return listener.onOpen(connection);
      }
    });
  }

  @Override
  public OutboundMessage prepare(String text) {
    return delegate.prepare(text);
  }

  @Override
  public void close(int code, String reason) {
    delegate.close(code, reason);
  }

  /** Whether a connection with {@code handshake} may proceed, by the rule in the class comment. */
  boolean allows(Handshake handshake) {
    String origin = handshake.header("origin");
    if (origin == null) {
      return true;
    }
    String originHost;
    try {
      URI uri = new URI(origin.trim());
      String scheme = uri.getScheme();
      if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme)) {
        return false;
      }
      originHost = uri.getHost();
    } catch (URISyntaxException e) {
      return false;
    }
    if (originHost == null) {
      return false;
    }
    originHost = originHost.toLowerCase(Locale.ROOT);
    if (isLoopback(originHost)) {
      return true;
    }
    if (loopbackOnly) {
      return false;
    }
    String requestHost = hostPart(handshake.header("host"));
    return originHost.equals(requestHost);
  }

  /** Whether {@code host} (lower case; IPv6 in brackets, as {@link URI#getHost()} gives it) is this machine. */
  static boolean isLoopback(String host) {
    return host.equals("localhost")
        || host.endsWith(".localhost")
        || host.equals("[::1]")
        || host.equals("[0:0:0:0:0:0:0:1]")
        || IPV4_LOOPBACK.matcher(host).matches();
  }

  /** The host of a {@code Host} header ({@code name:port}, {@code [v6]:port}), lower case, or null. */
  static String hostPart(String hostHeader) {
    if (hostHeader == null || hostHeader.isBlank()) {
      return null;
    }
    String h = hostHeader.trim().toLowerCase(Locale.ROOT);
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      return end < 0 ? null : h.substring(0, end + 1);
    }
    int colon = h.indexOf(':');
    return colon < 0 ? h : h.substring(0, colon);
  }
}
