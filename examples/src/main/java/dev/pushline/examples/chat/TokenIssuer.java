package dev.pushline.examples.chat;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.pushline.auth.JwtAuthenticator;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Issues the chat's access tokens: JSON Web Tokens signed with HS256 and a secret made at random when the
 * demo starts, so tokens die with the process. The push server checks them with the
 * {@link JwtAuthenticator} of {@link #authenticator()}, built on the same secret and clock.
 *
 * <p>A token holds {@code sub} (the user name), {@code iat} and {@code exp} ({@link #TOKEN_TTL} later):
 * short-lived, so a leaked token is soon useless; the page asks for a new one when the server says
 * {@code token_expired}. Signing happens here, in the host; verification (exact {@code alg}, signature,
 * expiry) is core's.
 *
 * <p>Thread-safe.
 */
final class TokenIssuer {

  /** How long a token is valid. */
  static final Duration TOKEN_TTL = Duration.ofMinutes(5);

  private final byte[] secret;
  private final Clock clock;
  private final AtomicLong issued = new AtomicLong();

  private TokenIssuer(byte[] secret, Clock clock) {
    this.secret = secret;
    this.clock = clock;
  }

  /** An issuer with a new random 256-bit secret, dating its tokens by {@code clock}. */
  static TokenIssuer withRandomSecret(Clock clock) {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    return new TokenIssuer(secret, Objects.requireNonNull(clock, "clock"));
  }

  /** An issuer with {@code secret} (at least 32 bytes): tests forge tokens with a secret of their own. */
  static TokenIssuer withSecret(byte[] secret, Clock clock) {
    if (secret.length < 32) {
      throw new IllegalArgumentException("the secret is " + secret.length + " bytes; it must be at least 32");
    }
    return new TokenIssuer(secret.clone(), Objects.requireNonNull(clock, "clock"));
  }

  /** A token for {@code user}, valid for {@link #TOKEN_TTL} from now. */
  Token issue(String user) {
    Objects.requireNonNull(user, "user");
    Instant now = clock.instant();
    Instant expiresAt = now.plus(TOKEN_TTL).truncatedTo(ChronoUnit.SECONDS); // exp is in whole seconds
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .subject(user)
        .issueTime(Date.from(now))
        .expirationTime(Date.from(expiresAt))
        .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
    try {
      jwt.sign(new MACSigner(secret));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign with HS256", e); // the secret's length is checked above
    }
    issued.incrementAndGet();
    return new Token(user, jwt.serialize(), expiresAt);
  }

  /** How many tokens this issuer has issued. */
  long issued() {
    return issued.get();
  }

  /** The push server's authenticator: accepts exactly the tokens this issuer signs, until they expire. */
  JwtAuthenticator authenticator() {
    return JwtAuthenticator.hs256(secret).clock(clock).build();
  }

  /**
   * An issued token.
   *
   * @param user the user name, the token's {@code sub}
   * @param jwt the token in compact form
   * @param expiresAt its {@code exp}
   */
  record Token(String user, String jwt, Instant expiresAt) {
    Token {
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(jwt, "jwt");
      Objects.requireNonNull(expiresAt, "expiresAt");
    }
  }
}
