package dev.pushline.auth;

import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What an {@link Authenticator} sees of a client that wants to connect: the opening request, and the
 * token the client offered.
 *
 * <p>The token comes from, in this order: an {@code Authorization: Bearer <token>} header, a {@code token}
 * query parameter, or the {@code connect} message a client sends first when its request carried none
 * (and for {@code refresh}, from that message). {@code src/site/markdown/security.md} compares the three.
 *
 * @param path the request path, still percent-encoded
 * @param query the raw query string without {@code ?}, or empty
 * @param headers header values by lower-case name
 * @param remoteAddress the peer's address, or null when the transport has none
 * @param token the token the client offered, or null
 *
 * <p>Immutable; thread-safe.
 */
public record ConnectRequest(
    String path, String query, Map<String, List<String>> headers, InetSocketAddress remoteAddress,
    String token) {

  public ConnectRequest {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(query, "query");
    headers = Map.copyOf(headers);
  }

  /** The first value of header {@code name} (any case), or null. */
  public String header(String name) {
    List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  /** The first value of query parameter {@code name}, percent-decoded, or null. */
  public String queryParameter(String name) {
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair : pair.substring(0, eq);
      if (decode(key).equals(name)) {
        return eq < 0 ? "" : decode(pair.substring(eq + 1));
      }
    }
    return null;
  }

  /** The value of cookie {@code name} from the {@code Cookie} headers, or null. */
  public String cookie(String name) {
    for (String header : headers.getOrDefault("cookie", List.of())) {
      for (String part : header.split(";")) {
        int eq = part.indexOf('=');
        if (eq > 0 && part.substring(0, eq).trim().equals(name)) {
          return part.substring(eq + 1).trim();
        }
      }
    }
    return null;
  }

  /** This request with {@code token} instead of the one it had. */
  public ConnectRequest withToken(String token) {
    return new ConnectRequest(path, query, headers, remoteAddress, token);
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException malformed) {
      return s; // a malformed escape is compared as sent; it then matches nothing we look for
    }
  }
}
