package dev.pushline.internal;

import dev.pushline.auth.Authenticator;
import dev.pushline.auth.ChannelAuthorizer;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * The engine's security settings. Validated by the builder that makes it.
 *
 * @param authenticator who clients are, or null: every client is {@code Principal.ANONYMOUS}
 * @param authorizer which channels a client may use
 * @param allowedOrigins browser origins allowed to connect, lower-case {@code scheme://host[:port]};
 *     {@code "*"} allows every origin; empty allows only the server's own origin (same host and port)
 * @param connectTimeout how long a connection without credentials has to send {@code connect}
 * @param tokenExpiryGrace how long a client told its token expired has to send {@code refresh}
 * @param messagesPerSecond inbound messages a connection may send per second, on average
 * @param messageBurst inbound messages a connection may send at once
 * @param maxChannelNameLength the longest channel name a client may name
 */
public record SecurityConfig(
    Authenticator authenticator,
    ChannelAuthorizer authorizer,
    Set<String> allowedOrigins,
    Duration connectTimeout,
    Duration tokenExpiryGrace,
    int messagesPerSecond,
    int messageBurst,
    int maxChannelNameLength) {

  public SecurityConfig {
    Objects.requireNonNull(authorizer, "authorizer");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(tokenExpiryGrace, "tokenExpiryGrace");
    allowedOrigins = Set.copyOf(allowedOrigins);
  }

  /** No authentication, the default authorizer and limits: what tests of other features start from. */
  public static SecurityConfig defaults() {
    return new SecurityConfig(null, ChannelAuthorizer.DEFAULT, Set.of(), Duration.ofSeconds(5),
        Duration.ofSeconds(10), 100, 1_000, Names.MAX_CHANNEL_LENGTH);
  }
}
