package dev.pushline.transport;

import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLContext;

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
 * @param maxHandshakeBytes the largest opening request head (request line and headers); a larger one is
 *     refused with HTTP 431
 * @param maxConnections the most sockets open at once, counted from accept (so handshakes in progress
 *     count); past it new sockets are closed at accept
 * @param maxConnectionsPerAddress the most sockets open at once from one remote IP address, counted the
 *     same way
 * @param tls the TLS context to serve {@code wss://} with, or null for plain {@code ws://}
 *
 * <p>Immutable; thread-safe.
 */
public record TransportSettings(
    String host, int port, String path, int maxMessageBytes, Duration handshakeTimeout,
    Duration pingInterval, int maxHandshakeBytes, int maxConnections, int maxConnectionsPerAddress,
    SSLContext tls) {

  /** Default {@link #maxHandshakeBytes}: 16 KiB. */
  public static final int DEFAULT_MAX_HANDSHAKE_BYTES = 16 * 1024;
  /** Default {@link #maxConnections}: 20,000. */
  public static final int DEFAULT_MAX_CONNECTIONS = 20_000;
  /** Default {@link #maxConnectionsPerAddress}: 1,000. */
  public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 1_000;

  /** Settings with the default limits and no TLS. */
  public TransportSettings(String host, int port, String path, int maxMessageBytes, Duration handshakeTimeout,
      Duration pingInterval) {
    this(host, port, path, maxMessageBytes, handshakeTimeout, pingInterval, DEFAULT_MAX_HANDSHAKE_BYTES,
        DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, null);
  }

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
    if (maxHandshakeBytes < 1) {
      throw new IllegalArgumentException("maxHandshakeBytes is " + maxHandshakeBytes + "; it must be >= 1");
    }
    if (maxConnections < 1) {
      throw new IllegalArgumentException("maxConnections is " + maxConnections + "; it must be >= 1");
    }
    if (maxConnectionsPerAddress < 1) {
      throw new IllegalArgumentException(
          "maxConnectionsPerAddress is " + maxConnectionsPerAddress + "; it must be >= 1");
    }
  }
}
