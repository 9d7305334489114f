package dev.pushline.auth;

import java.util.Objects;

/**
 * What an {@link Authenticator} decided: who the client is, or why it may not connect.
 *
 * @param principal who the client is; null when refused
 * @param reason why the client was refused, told to the client; null when accepted
 *
 * <p>Immutable; thread-safe.
 */
public record ConnectDecision(Principal principal, String reason) {

  public ConnectDecision {
    if ((principal == null) == (reason == null)) {
      throw new IllegalArgumentException("a decision has either a principal or a reason");
    }
    if (reason != null && (reason.isBlank() || reason.length() > 120)) {
      throw new IllegalArgumentException("reason must be 1..120 chars; got \"" + reason + "\"");
    }
  }

  /** The client is {@code principal}. */
  public static ConnectDecision accept(Principal principal) {
    return new ConnectDecision(Objects.requireNonNull(principal, "principal"), null);
  }

  /** The client may not connect; {@code reason} (1..120 chars) is told to it. Say nothing secret. */
  public static ConnectDecision reject(String reason) {
    return new ConnectDecision(null, Objects.requireNonNull(reason, "reason"));
  }

  /** Whether the client may connect. */
  public boolean accepted() {
    return principal != null;
  }
}
