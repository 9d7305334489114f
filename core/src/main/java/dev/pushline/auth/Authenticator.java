package dev.pushline.auth;

/**
 * Decides who a connecting client is. Called once per connection at the handshake, with the token from
 * the request if it had one; again with the token of a {@code connect} message if the first call refused a
 * request that had none; and with the new token of each {@code refresh} message.
 *
 * <p>A refusal at the handshake answers HTTP 401 when the request carried a token; a request without one is
 * upgraded and has {@code connectTimeout} to send a {@code connect} message. A refused {@code connect}
 * closes the connection with {@link dev.pushline.CloseCodes#UNAUTHORIZED}.
 *
 * <p>An exception thrown here is logged and refuses the client. Called on transport I/O threads: it must
 * not block (verify a signature, look in memory; don't call a remote service per connection).
 * {@link JwtAuthenticator} is the built-in implementation.
 */
@FunctionalInterface
public interface Authenticator {

  /** Who the client of {@code request} is, or why it may not connect. */
  ConnectDecision authenticate(ConnectRequest request);
}
