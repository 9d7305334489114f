package dev.pushline;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import java.util.Objects;

/**
 * Who a subscriber is, as presence shows it.
 *
 * @param clientId the connection's id ({@link ClientConnection#id()}), unique across nodes
 * @param userId the authenticated user's id; empty for anonymous connections
 * @param info what the application chose to show of the user: the token's {@code info} claim, or
 *     {@code JsonNull}
 *
 * <p>Immutable; thread-safe ({@code info} is shared: treat it as read-only).
 */
public record ClientInfo(String clientId, String userId, JsonElement info) {

  public ClientInfo {
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(userId, "userId");
    info = info == null ? JsonNull.INSTANCE : info;
  }
}
