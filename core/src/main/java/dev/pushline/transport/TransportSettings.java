package dev.pushline.transport;

import java.time.Duration;
import java.util.Objects;

/**
 * What a transport needs to know from the server's configuration.
 *
 * @param host the interface to bind, for example {@code "127.0.0.1"} or {@code "0.0.0.0"}
 * @param port the port to bind; 0 picks any free port
 * @param path the only request path a handshake may ask for, starting with {@code /}
 * @param maxMessageBytes the largest inbound message, after reassembly of fragments
 * @param handshakeTimeout how long a socket may take from accept to a finished upgrade
 * @param pingInterval how often to ping each connection; one that answered no ping for two intervals is
 *     dropped
 *
 * <p>Immutable; thread-safe.
 */
public record TransportSettings(
    String host, int port, String path, int maxMessageBytes, Duration handshakeTimeout,
    Duration pingInterval) {

  public TransportSettings {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
    Objects.requireNonNull(pingInterval, "pingInterval");
    if (pingInterval.toMillis() < 10) {
      throw new IllegalArgumentException("pingInterval is " + pingInterval + "; it must be >= 10 ms");
    }
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port is " + port + "; it must be 0..65535");
    }
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("path is \"" + path + "\"; it must start with /");
    }
    if (maxMessageBytes < 1) {
      throw new IllegalArgumentException("maxMessageBytes is " + maxMessageBytes + "; it must be >= 1");
    }
    if (handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
      throw new IllegalArgumentException("handshakeTimeout is " + handshakeTimeout + "; it must be > 0");
    }
  }
}
