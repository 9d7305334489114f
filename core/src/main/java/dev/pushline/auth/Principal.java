package dev.pushline.auth;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Who is on the other end of a connection, as an {@link Authenticator} established it.
 *
 * @param userId the user's id; empty only for {@link #ANONYMOUS}. It names the user's personal channel,
 *     {@code user:<userId>}
 * @param claims what else the authenticator knows (for a JWT: its claims), for the host's own decisions
 * @param channels channels the credentials grant outright: the client may subscribe to them without asking
 *     the {@link ChannelAuthorizer} (a JWT's {@code channels} claim)
 * @param expiresAt when the credentials expire, or null if they do not; a connection whose credentials
 *     expired is told and closed unless it refreshes them
 *
 * <p>Immutable; thread-safe.
 */
public record Principal(String userId, Map<String, Object> claims, Set<String> channels, Instant expiresAt) {

  /** Everyone, when the server has no {@link Authenticator}: may use public channels only. */
  public static final Principal ANONYMOUS = new Principal("", Map.of(), Set.of(), null);

  public Principal {
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(claims, "claims");
    Objects.requireNonNull(channels, "channels");
    if (userId.length() > 200) {
      throw new IllegalArgumentException("userId is " + userId.length() + " chars; the limit is 200");
    }
    claims = Collections.unmodifiableMap(new LinkedHashMap<>(claims)); // JSON claims may hold nulls
    channels = Set.copyOf(channels);
  }

  /** An authenticated user with no claims, no granted channels, and credentials that never expire. */
  public static Principal user(String userId) {
    if (userId == null || userId.isEmpty()) {
      throw new IllegalArgumentException("userId is empty; only ANONYMOUS has no id");
    }
    return new Principal(userId, Map.of(), Set.of(), null);
  }

  /** Whether this is {@link #ANONYMOUS}. */
  public boolean isAnonymous() {
    return userId.isEmpty();
  }

  /** This user's personal channel, {@code user:<userId>}; only this user may subscribe to it. */
  public String personalChannel() {
    if (isAnonymous()) {
      throw new IllegalStateException("ANONYMOUS has no personal channel");
    }
    return ChannelAuthorizer.PERSONAL_NAMESPACE + userId;
  }
}
