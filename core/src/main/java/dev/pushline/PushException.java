package dev.pushline;

/**
 * A failure: the server could not start, or a request to a server failed. The cause is kept.
 *
 * <p>{@link #code()} is the stable error code from the protocol when the failure is an {@code error}
 * reply from a server (for example {@code "forbidden"}), or null for local failures.
 *
 * <p>Immutable once thrown; thread-safe.
 */
public class PushException extends RuntimeException {

  private final String code;

  public PushException(String message) {
    this(null, message, null);
  }

  public PushException(String message, Throwable cause) {
    this(null, message, cause);
  }

  public PushException(String code, String message, Throwable cause) {
    super(code == null ? message : code + ": " + message, cause);
    this.code = code;
  }

  /** The protocol error code, or null. */
  public String code() {
    return code;
  }
}
