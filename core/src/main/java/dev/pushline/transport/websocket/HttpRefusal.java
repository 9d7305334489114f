package dev.pushline.transport.websocket;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The HTTP response that refuses an upgrade: the status, the reason as reason phrase and as a JSON body
 * {@code {"error":"..."}}, and {@code Connection: close}.
 *
 * <pre>
 * HTTP/1.1 403 origin not allowed
 * Content-Type: application/json
 * Content-Length: 30
 * Connection: close
 *
 * {"error":"origin not allowed"}
 * </pre>
 *
 * The reason phrase keeps printable ASCII only (others become {@code ?}); the body keeps the reason as
 * given, JSON-escaped. Both are clipped to {@link #MAX_REASON_CHARS}.
 */
final class HttpRefusal {

  static final int MAX_REASON_CHARS = 200;

  private HttpRefusal() {}

  /** The response for {@code status} (400..599) and {@code reason}. A fresh writable buffer. */
  static ByteBuffer response(int status, String reason) {
    return response(status, reason, "");
  }

  /**
   * The response for an upgrade request that Java-WebSocket itself found invalid (wrong method, missing
   * or wrong {@code Upgrade}, {@code Sec-WebSocket-Key} or {@code Sec-WebSocket-Version}): 400, naming
   * the one version we speak, as RFC 6455 §4.4 asks.
   */
  static ByteBuffer badUpgrade() {
    return response(400, "not a valid WebSocket upgrade request", "Sec-WebSocket-Version: 13\r\n");
  }

  private static ByteBuffer response(int status, String reason, String extraHeaders) {
    String clipped = reason.length() <= MAX_REASON_CHARS ? reason : reason.substring(0, MAX_REASON_CHARS);
    byte[] body = ("{\"error\":" + jsonString(clipped) + "}").getBytes(StandardCharsets.UTF_8);
    String head = "HTTP/1.1 " + status + " " + reasonPhrase(clipped) + "\r\n"
        + "Content-Type: application/json\r\n"
        + "Content-Length: " + body.length + "\r\n"
        + "Connection: close\r\n"
        + extraHeaders
        + "\r\n";
    byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
    ByteBuffer b = ByteBuffer.allocate(headBytes.length + body.length);
    b.put(headBytes).put(body).flip();
    return b;
  }

  /** RFC 9112 allows tab, space and visible characters in a reason phrase; keep ASCII of those. */
  static String reasonPhrase(String reason) {
    StringBuilder sb = new StringBuilder(reason.length());
    for (int i = 0; i < reason.length(); i++) {
      char c = reason.charAt(i);
      sb.append(c == '\t' || (c >= 0x20 && c < 0x7F) ? c : '?');
    }
    return sb.toString();
  }

  static String jsonString(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || (Character.isSurrogate(c) && !wellFormedPair(s, i))) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }

  /** Whether the surrogate at {@code i} is one half of a well-formed pair (UTF-8 cannot encode a lone one). */
  private static boolean wellFormedPair(String s, int i) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }
    return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }

  /**
   * The status of an HTTP response in {@code b} (from its position, not moved), or -1 if {@code b} does
   * not start with {@code "HTTP/1.1 NNN"}.
   */
  static int statusOf(ByteBuffer b) {
    int p = b.position();
    if (b.remaining() < 12 || b.get(p) != 'H') {
      return -1;
    }
    byte[] prefix = "HTTP/1.1 ".getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < prefix.length; i++) {
      if (b.get(p + i) != prefix[i]) {
        return -1;
      }
    }
    int status = 0;
    for (int i = 9; i < 12; i++) {
      int d = b.get(p + i) - '0';
      if (d < 0 || d > 9) {
        return -1;
      }
      status = status * 10 + d;
    }
    return status;
  }
}
