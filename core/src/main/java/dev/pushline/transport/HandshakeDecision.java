package dev.pushline.transport;

/**
 * What {@link TransportListener#onHandshake} decided about an opening request: upgrade it, or answer with
 * an HTTP error status and close.
 *
 * @param status 101 to accept (switch protocols), or the HTTP status of the refusal, 400..599
 * @param reason why the request was refused, sent as the reason phrase and body; null when accepted
 * @param context what the listener wants back with the connection ({@link TransportConnection#context()});
 *     null when refused
 *
 * <p>Immutable; thread-safe.
 */
public record HandshakeDecision(int status, String reason, Object context) {

  /** Accepts every request with no context: what a listener that decides nothing returns. */
  public static final HandshakeDecision ACCEPT = new HandshakeDecision(101, null, null);

  public HandshakeDecision {
    if (status != 101 && (status < 400 || status > 599)) {
      throw new IllegalArgumentException("status is " + status + "; it must be 101 or 400..599");
    }
    if (status == 101 && reason != null) {
      throw new IllegalArgumentException("an accepted handshake has no reason; got \"" + reason + "\"");
    }
    if (status != 101) {
      if (reason == null || reason.isBlank()) {
        throw new IllegalArgumentException("a refusal needs a reason");
      }
      if (context != null) {
        throw new IllegalArgumentException("a refusal has no context");
      }
    }
  }

  /** Upgrades the connection; {@code context} comes back from {@link TransportConnection#context()}. */
  public static HandshakeDecision accept(Object context) {
    return new HandshakeDecision(101, null, context);
  }

  /** Answers the request with HTTP {@code status} (400..599) and {@code reason}, then closes it. */
  public static HandshakeDecision reject(int status, String reason) {
    if (status == 101) {
      throw new IllegalArgumentException("status is 101; a refusal needs 400..599");
    }
    return new HandshakeDecision(status, reason, null);
  }

  /** Whether the request is upgraded. */
  public boolean accepted() {
    return status == 101;
  }
}
