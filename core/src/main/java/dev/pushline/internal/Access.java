package dev.pushline.internal;

import com.google.gson.JsonElement;
import dev.pushline.auth.ChannelAuthorizer;
import dev.pushline.auth.ConnectDecision;
import dev.pushline.auth.ConnectRequest;
import dev.pushline.auth.Principal;
import dev.pushline.transport.Handshake;
import dev.pushline.transport.HandshakeDecision;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may connect, and which channels they may use: origin checks and authentication at the handshake,
 * the channel rules of {@link ChannelAuthorizer} afterwards. Calls the host's hooks and contains their
 * failures.
 *
 * <p>Thread-safe (stateless apart from its configuration).
 */
final class Access {

  private static final Logger log = LoggerFactory.getLogger(Access.class);

  /** What the handshake established, handed to the connection's session. */
  record Admission(Principal principal, ConnectRequest request) {
    /** Whether the client still has to send {@code connect} with its credentials. */
    boolean awaitsConnect() {
      return principal == null;
    }
  }

  private final SecurityConfig config;
  private final Clock clock;

  Access(SecurityConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
  }

  /** Decides on an opening request: its origin, then its credentials. */
  HandshakeDecision admit(Handshake handshake) {
    String origin = handshake.header("origin");
    if (origin != null && !originAllowed(origin, handshake.header("host"))) {
      log.debug("refused a handshake from {}: origin {} is not allowed", handshake.remoteAddress(),
          Names.clip(origin));
      return HandshakeDecision.reject(403, "origin not allowed");
    }
    ConnectRequest request = new ConnectRequest(handshake.path(), handshake.query(), handshake.headers(),
        handshake.remoteAddress(), null);
    request = request.withToken(tokenOf(request));
    if (config.authenticator() == null) {
      return HandshakeDecision.accept(new Admission(Principal.ANONYMOUS, request));
    }
    ConnectDecision decision = authenticate(request);
    if (decision.accepted()) {
      return HandshakeDecision.accept(new Admission(decision.principal(), request));
    }
    if (request.token() != null) {
      log.debug("refused a handshake from {}: {}", handshake.remoteAddress(), decision.reason());
      return HandshakeDecision.reject(401, decision.reason());
    }
    return HandshakeDecision.accept(new Admission(null, request)); // may still send a connect message
  }

  /**
   * Asks the authenticator; a principal whose credentials already expired is refused. An authenticator
   * that throws refuses the client.
   */
  ConnectDecision authenticate(ConnectRequest request) {
    if (config.authenticator() == null) {
      return ConnectDecision.accept(Principal.ANONYMOUS);
    }
    ConnectDecision decision;
    try {
      decision = config.authenticator().authenticate(request);
    } catch (RuntimeException e) {
      log.warn("authenticator failed for a client from {}; refusing it", request.remoteAddress(), e);
      return ConnectDecision.reject("authentication failed");
    }
    if (decision == null) {
      log.warn("authenticator returned null for a client from {}; refusing it", request.remoteAddress());
      return ConnectDecision.reject("authentication failed");
    }
    if (decision.accepted() && decision.principal().expiresAt() != null
        && !clock.instant().isBefore(decision.principal().expiresAt())) {
      return ConnectDecision.reject("token expired");
    }
    return decision;
  }

  boolean maySubscribe(Principal principal, String channel) {
    if (channel.startsWith(ChannelAuthorizer.PERSONAL_NAMESPACE)) {
      return isOwner(principal, channel);
    }
    if (principal.channels().contains(channel)) {
      return true;
    }
    try {
      return config.authorizer().maySubscribe(principal, channel);
    } catch (RuntimeException e) {
      log.warn("channel authorizer failed on subscribe of user {} to {}; refusing", principal.userId(),
          channel, e);
      return false;
    }
  }

  boolean mayPublish(Principal principal, String channel) {
    if (channel.startsWith(ChannelAuthorizer.PERSONAL_NAMESPACE) && !isOwner(principal, channel)) {
      return false;
    }
    try {
      return config.authorizer().mayPublish(principal, channel);
    } catch (RuntimeException e) {
      log.warn("channel authorizer failed on publish of user {} to {}; refusing", principal.userId(),
          channel, e);
      return false;
    }
  }

  /**
   * What to publish for a client's publication that {@link #mayPublish} allowed, from the authorizer's
   * {@link ChannelAuthorizer#publication}; null when it refuses, or when it throws.
   */
  JsonElement publication(Principal principal, String channel, String event, JsonElement data) {
    try {
      return config.authorizer().publication(principal, channel, event, data);
    } catch (RuntimeException e) {
      log.warn("channel authorizer failed on the publication of user {} to {}; refusing", principal.userId(),
          channel, e);
      return null;
    }
  }

  private static boolean isOwner(Principal principal, String channel) {
    return !principal.isAnonymous() && channel.equals(principal.personalChannel());
  }

  /** The token of a request: {@code Authorization: Bearer}, else the {@code token} query parameter. */
  private static String tokenOf(ConnectRequest request) {
    String authorization = request.header("authorization");
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      String token = authorization.substring(7).trim();
      return token.isEmpty() ? null : token;
    }
    String token = request.queryParameter("token");
    return token == null || token.isEmpty() ? null : token;
  }

  boolean originAllowed(String origin, String host) {
    String normalized = origin.trim().toLowerCase(Locale.ROOT);
    if (config.allowedOrigins().contains("*") || config.allowedOrigins().contains(normalized)) {
      return true;
    }
    return config.allowedOrigins().isEmpty() && sameOrigin(normalized, host);
  }

  /** Whether {@code origin} names the host and port the request was sent to ({@code Host}). */
  static boolean sameOrigin(String origin, String host) {
    if (host == null || host.isBlank()) {
      return false;
    }
    URI o;
    URI h;
    try {
      o = new URI(origin);
      h = new URI("x://" + host.trim());
    } catch (URISyntaxException e) {
      return false;
    }
    if (o.getHost() == null || h.getHost() == null || o.getPath() != null && !o.getPath().isEmpty()) {
      return false;
    }
    int defaultPort = "https".equalsIgnoreCase(o.getScheme()) ? 443
        : "http".equalsIgnoreCase(o.getScheme()) ? 80 : -2;
    if (defaultPort == -2) {
      return false;
    }
    int originPort = o.getPort() == -1 ? defaultPort : o.getPort();
    int hostPort = h.getPort() == -1 ? defaultPort : h.getPort();
    return o.getHost().equalsIgnoreCase(h.getHost()) && originPort == hostPort;
  }
}
