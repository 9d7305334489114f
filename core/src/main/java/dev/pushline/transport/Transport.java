package dev.pushline.transport;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * Accepts connections and moves text messages for them. One instance serves one server: it is started
 * once and closed once.
 *
 * <h2>Lifecycle</h2>
 * {@link #start} binds and returns once connections are accepted; it throws if it cannot bind.
 * {@link #close} closes every connection with the given code, stops accepting, frees the port, and
 * ends every thread the transport started before it returns.
 *
 * <p>Thread-safe.
 */
public interface Transport {

  /**
   * Binds and starts accepting connections.
   *
   * @return the bound address (the real port when {@code settings.port()} is 0)
   * @throws IOException if the address cannot be bound
   * @throws IllegalStateException if this transport was started before
   */
  InetSocketAddress start(TransportSettings settings, TransportListener listener) throws IOException;

  /**
   * Prepares a text message once so that it can be sent to many connections: the message is encoded
   * and framed here, and every {@link TransportConnection#send} of the result shares the same bytes.
   */
  OutboundMessage prepare(String text);

  /**
   * Closes every open connection with {@code code} and {@code reason}, stops accepting, and releases
   * every resource and thread. Idempotent.
   */
  void close(int code, String reason);
}
