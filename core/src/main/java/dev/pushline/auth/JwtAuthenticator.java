package dev.pushline.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Authenticates clients by a JSON Web Token (RFC 7519) signed with HS256 or RS256, verified by the
 * Nimbus JOSE + JWT library.
 *
 * <pre>{@code
 * Authenticator auth = JwtAuthenticator.hs256(secret)   // >= 32 bytes
 *     .issuer("https://login.example.com")
 *     .audience("pushline")
 *     .build();
 * }</pre>
 *
 * <h2>What a token must be</h2>
 * <ul>
 *   <li>A JWS in compact form whose header {@code alg} is exactly the configured algorithm: {@code none},
 *       the other algorithm, and every other one are refused before any signature check (so an RS256
 *       public key can never be used as an HS256 secret).
 *   <li>Signed with the configured key.
 *   <li>{@code sub}: the user id (required, at most 200 chars).
 *   <li>{@code exp}: required unless {@link Builder#allowTokensWithoutExpiry()}; must be in the future.
 *       {@code nbf}, when present, must be in the past. Both are compared with a clock skew, 30 s by
 *       default.
 *   <li>{@code iss} equal to {@link Builder#issuer}, and {@code aud} containing {@link Builder#audience},
 *       when those are configured.
 *   <li>{@code channels}, optional: a list of channel names the token grants
 *       ({@link Principal#channels()}).
 * </ul>
 * Every claim ends up in {@link Principal#claims()}. {@link Principal#expiresAt()} is {@code exp} plus the
 * clock skew: the moment this authenticator would start refusing the token, when the server tells the
 * client {@code token_expired}.
 * A refused token is answered with a short reason that names the rule it broke, never the key.
 *
 * <p>Immutable; thread-safe.
 */
public final class JwtAuthenticator implements Authenticator {

  private final JWSAlgorithm algorithm;
  private final JWSVerifier verifier;
  private final String issuer;
  private final String audience;
  private final Duration clockSkew;
  private final Clock clock;
  private final boolean requireExpiry;

  private JwtAuthenticator(Builder b) {
    this.algorithm = b.algorithm;
    this.verifier = b.verifier;
    this.issuer = b.issuer;
    this.audience = b.audience;
    this.clockSkew = b.clockSkew;
    this.clock = b.clock;
    this.requireExpiry = b.requireExpiry;
  }

  /**
   * Tokens signed with HMAC-SHA256 and {@code secret}.
   *
   * @throws IllegalArgumentException if the secret is shorter than 32 bytes (RFC 7518 section 3.2)
   */
  public static Builder hs256(byte[] secret) {
    Objects.requireNonNull(secret, "secret");
    if (secret.length < 32) {
      throw new IllegalArgumentException("the HS256 secret is " + secret.length
          + " bytes; it must be at least 32 (256 bits)");
    }
    try {
      return new Builder(JWSAlgorithm.HS256, new MACVerifier(secret.clone()));
    } catch (JOSEException e) {
      throw new IllegalArgumentException("unusable HS256 secret: " + e.getMessage(), e);
    }
  }

  /** Tokens signed with RSASSA-PKCS1-v1_5 SHA-256 by the holder of the private half of {@code key}. */
  public static Builder rs256(RSAPublicKey key) {
    Objects.requireNonNull(key, "key");
    if (key.getModulus().bitLength() < 2048) {
      throw new IllegalArgumentException("the RS256 key has " + key.getModulus().bitLength()
          + " bits; it must have at least 2048");
    }
    return new Builder(JWSAlgorithm.RS256, new RSASSAVerifier(key));
  }

  @Override
  public ConnectDecision authenticate(ConnectRequest request) {
    String token = request.token();
    if (token == null || token.isEmpty()) {
      return ConnectDecision.reject("no token");
    }
    if (token.length() > 16 * 1024) {
      return ConnectDecision.reject("token is longer than 16384 chars");
    }
    SignedJWT jwt;
    JWTClaimsSet claims;
    try {
      jwt = SignedJWT.parse(token); // a token with "alg":"none" is not a JWS and fails here
      if (!algorithm.equals(jwt.getHeader().getAlgorithm())) {
        return ConnectDecision.reject("token algorithm is not " + algorithm);
      }
      if (!jwt.verify(verifier)) {
        return ConnectDecision.reject("token signature is invalid");
      }
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      return ConnectDecision.reject("token is malformed");
    } catch (JOSEException | RuntimeException e) {
      return ConnectDecision.reject("token signature is invalid");
    }
    Instant now = clock.instant();
    Date exp = claims.getExpirationTime();
    if (exp == null && requireExpiry) {
      return ConnectDecision.reject("token has no exp");
    }
    if (exp != null && !now.isBefore(exp.toInstant().plus(clockSkew))) {
      return ConnectDecision.reject("token expired");
    }
    Date nbf = claims.getNotBeforeTime();
    if (nbf != null && now.plus(clockSkew).isBefore(nbf.toInstant())) {
      return ConnectDecision.reject("token is not valid yet");
    }
    if (issuer != null && !issuer.equals(claims.getIssuer())) {
      return ConnectDecision.reject("token issuer is wrong");
    }
    if (audience != null && (claims.getAudience() == null || !claims.getAudience().contains(audience))) {
      return ConnectDecision.reject("token audience is wrong");
    }
    String subject = claims.getSubject();
    if (subject == null || subject.isEmpty() || subject.length() > 200) {
      return ConnectDecision.reject("token sub must be 1..200 chars");
    }
    List<String> granted;
    try {
      granted = claims.getStringListClaim("channels");
    } catch (ParseException e) {
      return ConnectDecision.reject("token channels must be a list of strings");
    }
    // Checked on the list: Set.of() (no claim) throws on contains(null).
    if (granted != null && granted.stream().anyMatch(Objects::isNull)) {
      return ConnectDecision.reject("token channels must be a list of strings");
    }
    Set<String> channels = granted == null ? Set.of() : new HashSet<>(granted);
    Map<String, Object> all = new LinkedHashMap<>(claims.getClaims());
    // With the skew, as checked above: the engine refuses a principal whose expiresAt has passed, so a
    // token inside the skew would otherwise be accepted here and refused there.
    return ConnectDecision.accept(new Principal(subject, all, channels,
        exp == null ? null : exp.toInstant().plus(clockSkew)));
  }

  @Override
  public String toString() {
    return "JwtAuthenticator[" + algorithm + ", iss=" + issuer + ", aud=" + audience + ", skew=" + clockSkew
        + "]";
  }

  /**
   * Configures a {@link JwtAuthenticator}. Not thread-safe; confine to one thread.
   */
  public static final class Builder {
    private final JWSAlgorithm algorithm;
    private final JWSVerifier verifier;
    private String issuer;
    private String audience;
    private Duration clockSkew = Duration.ofSeconds(30);
    private Clock clock = Clock.systemUTC();
    private boolean requireExpiry = true;

    private Builder(JWSAlgorithm algorithm, JWSVerifier verifier) {
      this.algorithm = algorithm;
      this.verifier = verifier;
    }

    /** Tokens must carry {@code "iss": issuer}. Default: {@code iss} is not checked. */
    public Builder issuer(String issuer) {
      this.issuer = requireText(issuer, "issuer");
      return this;
    }

    /** Tokens' {@code aud} must contain {@code audience}. Default: {@code aud} is not checked. */
    public Builder audience(String audience) {
      this.audience = requireText(audience, "audience");
      return this;
    }

    /** How far {@code exp} and {@code nbf} may be off: 0..5 min. Default 30 s. */
    public Builder clockSkew(Duration skew) {
      Objects.requireNonNull(skew, "skew");
      if (skew.isNegative() || skew.compareTo(Duration.ofMinutes(5)) > 0) {
        throw new IllegalArgumentException("clockSkew is " + skew + "; it must be 0..5 min");
      }
      this.clockSkew = skew;
      return this;
    }

    /** The clock {@code exp} and {@code nbf} are compared with. Default: the system clock (UTC). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Accepts tokens without {@code exp}, which then never expire. Default: refused, because a token that
     * leaks stays usable forever.
     */
    public Builder allowTokensWithoutExpiry() {
      this.requireExpiry = false;
      return this;
    }

    public JwtAuthenticator build() {
      return new JwtAuthenticator(this);
    }

    private static String requireText(String value, String name) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException(name + " is blank");
      }
      return value;
    }
  }
}
