package dev.pushline;

/**
 * WebSocket close codes Pushline uses, and what a client should do after each.
 *
 * <table>
 *   <caption>Close code ranges</caption>
 *   <tr><th>range</th><th>owner</th><th>client should</th></tr>
 *   <tr><td>1000..2999</td><td>WebSocket (RFC 6455)</td><td>reconnect (the server never sends 1000; a
 *       client that closes with 1000 itself does not reconnect)</td></tr>
 *   <tr><td>3000..3499</td><td>Pushline</td><td>reconnect (with backoff)</td></tr>
 *   <tr><td>3500..3999</td><td>Pushline</td><td>not reconnect</td></tr>
 *   <tr><td>4000..4499</td><td>the application</td><td>reconnect (with backoff)</td></tr>
 *   <tr><td>4500..4999</td><td>the application</td><td>not reconnect</td></tr>
 * </table>
 *
 * <p>The full table is in {@code src/site/markdown/protocol.md}. Constants only; thread-safe.
 */
public final class CloseCodes {

  /** The server is shutting down or restarting: reconnect (elsewhere) and resume. */
  public static final int GOING_AWAY = 1001;

  /** The client sent a binary message; protocol v1 is text only. */
  public static final int UNSUPPORTED_DATA = 1003;

  /**
   * The request broke the server's policy: sent only to a connection refused after its upgrade, by a
   * transport that does not decide before upgrading (the WebSocket transport answers HTTP 401/403 instead).
   */
  public static final int POLICY_VIOLATION = 1008;

  /** The client sent a message larger than the server's limit. */
  public static final int MESSAGE_TOO_BIG = 1009;

  /** The server failed while handling this connection. */
  public static final int INTERNAL_ERROR = 1011;

  /** The server asks the client to reconnect. */
  public static final int RECONNECT = 3000;

  /**
   * The client did not read fast enough: its outgoing queue passed the server's limit. Reconnect and
   * resume from the last offset received.
   */
  public static final int SLOW_CONSUMER = 3001;

  /**
   * The client kept sending after it was told {@code rate_limited}: reconnect with backoff, and send less.
   */
  public static final int RATE_LIMITED = 3002;

  /**
   * The client's credentials expired and it did not send {@code refresh} in time: reconnect with fresh
   * credentials.
   */
  public static final int TOKEN_EXPIRED = 3003;

  /** The server closed the connection and the client must not reconnect on its own. */
  public static final int DISCONNECT = 3500;

  /**
   * The client's credentials were refused, or it sent none within the connect timeout: don't reconnect
   * with the same credentials.
   */
  public static final int UNAUTHORIZED = 3501;

  private CloseCodes() {}

  /** Whether a client should reconnect after the server closed its connection with {@code code}. */
  public static boolean shouldReconnect(int code) {
    if (code >= 3500 && code <= 3999) {
      return false;
    }
    return code < 4500 || code > 4999;
  }
}
