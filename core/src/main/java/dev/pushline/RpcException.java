package dev.pushline;

import java.util.regex.Pattern;

/**
 * Thrown by an {@link RpcHandler} (or completing its future) to answer the client with an {@code error}
 * of the application's own: the client receives {@link #code()} and {@link #getMessage()} as they are.
 *
 * <pre>{@code
 * .rpc("orders.cancel", call -> {
 *   Order order = orders.find(call.dataAs(OrderRef.class).id());
 *   if (order == null) {
 *     throw new RpcException("order_not_found", "no such order");
 *   }
 *   ...
 * })
 * }</pre>
 *
 * A code is lower_snake_case like the protocol's own: 1 to 64 characters {@code a-z 0-9 _}, starting with
 * a letter. The protocol's codes may be used where they fit ({@code bad_request}, {@code forbidden}).
 * The message is sent to the client: put nothing in it the client must not see. The server's
 * {@code ServerStats.errors()} does not count these replies: they are the application's outcomes.
 *
 * <p>Immutable once thrown; thread-safe.
 */
public class RpcException extends RuntimeException {

  private static final Pattern CODE = Pattern.compile("[a-z][a-z0-9_]{0,63}");
  private static final int MAX_MESSAGE_LENGTH = 1_000;

  private final String code;

  /**
   * @param code the error code sent to the client
   * @param message the message sent to the client: at most 1,000 characters
   * @throws IllegalArgumentException if {@code code} is not lower_snake_case of 1 to 64 characters, or the
   *     message is too long
   */
  public RpcException(String code, String message) {
    this(code, message, null);
  }

  /** Like {@link #RpcException(String, String)}, with a cause for the server's logs (never sent). */
  public RpcException(String code, String message, Throwable cause) {
    super(message, cause);
    if (code == null || !CODE.matcher(code).matches()) {
      throw new IllegalArgumentException("code is " + (code == null ? "null" : "\"" + code + "\"")
          + "; it must be 1 to 64 characters a-z 0-9 _, starting with a letter");
    }
    if (message == null) {
      throw new NullPointerException("message");
    }
    if (message.length() > MAX_MESSAGE_LENGTH) {
      throw new IllegalArgumentException("message is " + message.length() + " chars; the limit is "
          + MAX_MESSAGE_LENGTH);
    }
    this.code = code;
  }

  /** The error code sent to the client. */
  public String code() {
    return code;
  }
}
