package dev.pushline.transport;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The request that opened a connection.
 *
 * @param path the request path, still percent-encoded, without the query
 * @param query the raw query string without {@code ?}, or empty
 * @param headers header values by lower-case name
 * @param remoteAddress the peer's address, or null when the transport has none
 *
 * <p>Immutable; thread-safe.
 */
public record Handshake(
    String path, String query, Map<String, List<String>> headers, InetSocketAddress remoteAddress) {

  public Handshake {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(query, "query");
    Map<String, List<String>> copy = new java.util.LinkedHashMap<>();
    headers.forEach((name, values) -> copy.put(name.toLowerCase(Locale.ROOT), List.copyOf(values)));
    headers = java.util.Collections.unmodifiableMap(copy);
  }

  /** The first value of header {@code name} (any case), or null when absent. */
  public String header(String name) {
    List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
    return values == null || values.isEmpty() ? null : values.get(0);
  }
}
