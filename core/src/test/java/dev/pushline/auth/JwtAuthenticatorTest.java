package dev.pushline.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The JWT rules, one attack at a time: every token is minted here, and time is a fixed clock, so each case
 * sits exactly where it means to (just inside or just outside the clock skew).
 */
class JwtAuthenticatorTest {

  private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final String ISSUER = "https://login.example.com";
  private static final String AUDIENCE = "pushline";

  private static KeyPair rsa;

  @BeforeAll
  static void generateKeys() throws NoSuchAlgorithmException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    rsa = generator.generateKeyPair();
  }

  private static JwtAuthenticator hs256() {
    return JwtAuthenticator.hs256(SECRET).issuer(ISSUER).audience(AUDIENCE).clock(CLOCK).build();
  }

  private static JwtAuthenticator rs256() {
    return JwtAuthenticator.rs256((RSAPublicKey) rsa.getPublic()).issuer(ISSUER).audience(AUDIENCE)
        .clock(CLOCK).build();
  }

  /** Claims that pass every check: alice, expiring in five minutes. */
  private static JWTClaimsSet.Builder claims() {
    return new JWTClaimsSet.Builder().subject("alice").issuer(ISSUER).audience(AUDIENCE)
        .issueTime(Date.from(NOW.minusSeconds(60))).expirationTime(Date.from(NOW.plusSeconds(300)));
  }

  private static String sign(JWSAlgorithm alg, JWSSigner signer, JWTClaimsSet claims) {
    SignedJWT jwt = new SignedJWT(new JWSHeader(alg), claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new AssertionError(e);
    }
    return jwt.serialize();
  }

  private static String hs(JWTClaimsSet claims) {
    try {
      return sign(JWSAlgorithm.HS256, new MACSigner(SECRET), claims);
    } catch (JOSEException e) {
      throw new AssertionError(e);
    }
  }

  private static String rs(JWTClaimsSet claims) {
    return sign(JWSAlgorithm.RS256, new RSASSASigner(rsa.getPrivate()), claims);
  }

  private static ConnectDecision authenticate(Authenticator authenticator, String token) {
    return authenticator.authenticate(new ConnectRequest("/pushline", "", Map.of(), null, token));
  }

  private static void assertRefused(ConnectDecision decision, String reason) {
    assertFalse(decision.accepted(), "accepted: " + decision);
    assertEquals(reason, decision.reason());
  }

  private static String base64url(String json) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  // --- valid tokens ------------------------------------------------------------------------------

  @Test
  void validHs256TokenGivesItsSubjectClaimsAndExpiry() {
    ConnectDecision decision = authenticate(hs256(), hs(claims().claim("role", "admin").build()));

    assertTrue(decision.accepted(), decision.toString());
    Principal p = decision.principal();
    assertEquals("alice", p.userId());
    assertEquals("admin", p.claims().get("role"));
    assertEquals(ISSUER, p.claims().get("iss"));
    assertEquals(Set.of(), p.channels());
    assertEquals(NOW.plusSeconds(300 + 30), p.expiresAt(), "exp plus the default skew");
  }

  @Test
  void validRs256TokenIsAccepted() {
    ConnectDecision decision = authenticate(rs256(), rs(claims().build()));

    assertTrue(decision.accepted(), decision.toString());
    assertEquals("alice", decision.principal().userId());
  }

  @Test
  void audienceMayBeOneOfSeveral() {
    ConnectDecision decision = authenticate(hs256(), hs(claims().audience(List.of("other", AUDIENCE)).build()));

    assertTrue(decision.accepted(), decision.toString());
  }

  @Test
  void issuerAndAudienceAreNotCheckedUnlessConfigured() {
    JwtAuthenticator lax = JwtAuthenticator.hs256(SECRET).clock(CLOCK).build();

    ConnectDecision decision = authenticate(lax, hs(claims().issuer(null).audience((String) null).build()));

    assertTrue(decision.accepted(), decision.toString());
  }

  @Test
  void channelsClaimIsGranted() {
    ConnectDecision decision = authenticate(hs256(),
        hs(claims().claim("channels", List.of("private:team", "news")).build()));

    assertTrue(decision.accepted(), decision.toString());
    assertEquals(Set.of("private:team", "news"), decision.principal().channels());
  }

  // --- forged and tampered tokens -----------------------------------------------------------------

  @Test
  void tokenSignedWithAnotherSecretIsRefused() throws JOSEException {
    byte[] other = "another secret of at least 32 bytes!".getBytes(StandardCharsets.US_ASCII);
    String forged = sign(JWSAlgorithm.HS256, new MACSigner(other), claims().build());

    assertRefused(authenticate(hs256(), forged), "token signature is invalid");
  }

  @Test
  void tokenSignedWithAnotherRsaKeyIsRefused() throws NoSuchAlgorithmException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    String forged = sign(JWSAlgorithm.RS256, new RSASSASigner(generator.generateKeyPair().getPrivate()),
        claims().build());

    assertRefused(authenticate(rs256(), forged), "token signature is invalid");
  }

  @Test
  void tokenWhosePayloadWasChangedIsRefused() {
    String[] parts = hs(claims().build()).split("\\.");
    String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
    String tampered = parts[0] + "." + base64url(payload.replace("\"alice\"", "\"admin\"")) + "." + parts[2];

    assertRefused(authenticate(hs256(), tampered), "token signature is invalid");
  }

  @Test
  void tokenWithoutSignatureIsRefused() {
    String[] parts = hs(claims().build()).split("\\.");

    assertFalse(authenticate(hs256(), parts[0] + "." + parts[1] + ".").accepted());
  }

  @Test
  void algNoneIsRefused() {
    String payload = base64url("{\"sub\":\"alice\",\"iss\":\"" + ISSUER + "\",\"aud\":\"" + AUDIENCE
        + "\",\"exp\":" + NOW.plusSeconds(300).getEpochSecond() + "}");
    for (String header : List.of("{\"alg\":\"none\"}", "{\"alg\":\"none\",\"typ\":\"JWT\"}",
        "{\"alg\":\"None\"}", "{\"alg\":\"NONE\"}")) {
      String unsigned = base64url(header) + "." + payload + ".";
      assertFalse(authenticate(hs256(), unsigned).accepted(), header);
      assertFalse(authenticate(rs256(), unsigned).accepted(), header);
      // and with a signature part that means nothing
      assertFalse(authenticate(hs256(), unsigned + "c2lnbmF0dXJl").accepted(), header);
    }
  }

  @Test
  void hs256TokenKeyedWithTheRsaPublicKeyIsRefusedByAnRs256Authenticator() throws JOSEException {
    // The classic algorithm confusion: a verifier that took "alg" from the token would check this HMAC
    // with the public key's bytes as the secret, and anyone can compute it.
    byte[] publicKeyBytes = rsa.getPublic().getEncoded();
    String confused = sign(JWSAlgorithm.HS256, new MACSigner(publicKeyBytes), claims().build());

    assertRefused(authenticate(rs256(), confused), "token algorithm is not RS256");
  }

  @Test
  void tokenOfTheOtherAlgorithmIsRefused() throws JOSEException {
    assertRefused(authenticate(hs256(), rs(claims().build())), "token algorithm is not HS256");
    String hs512 = sign(JWSAlgorithm.HS512,
        new MACSigner("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
            .getBytes(StandardCharsets.US_ASCII)), claims().build());
    assertRefused(authenticate(hs256(), hs512), "token algorithm is not HS256");
  }

  @Test
  void tokenWithAnUnknownCriticalHeaderIsRefused() throws JOSEException {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256)
        .criticalParams(Set.of("x-must-understand")).customParam("x-must-understand", true).build(),
        claims().build());
    jwt.sign(new MACSigner(SECRET));

    assertFalse(authenticate(hs256(), jwt.serialize()).accepted());
  }

  // --- time ---------------------------------------------------------------------------------------

  @Test
  void tokenExpiredBeyondTheSkewIsRefused() {
    assertRefused(authenticate(hs256(), hs(claims().expirationTime(Date.from(NOW.minusSeconds(31))).build())),
        "token expired");
    assertRefused(authenticate(hs256(), hs(claims().expirationTime(Date.from(NOW.minusSeconds(30))).build())),
        "token expired");
  }

  @Test
  void tokenExpiredWithinTheSkewIsAccepted() {
    ConnectDecision decision = authenticate(hs256(),
        hs(claims().expirationTime(Date.from(NOW.minusSeconds(29))).build()));

    assertTrue(decision.accepted(), decision.toString());
  }

  @Test
  void skewIsConfigurable() {
    JwtAuthenticator strict = JwtAuthenticator.hs256(SECRET).clockSkew(Duration.ZERO).clock(CLOCK).build();

    assertRefused(authenticate(strict, hs(claims().expirationTime(Date.from(NOW)).build())), "token expired");
    assertTrue(authenticate(strict, hs(claims().expirationTime(Date.from(NOW.plusSeconds(1))).build()))
        .accepted());
  }

  @Test
  void tokenNotValidYetBeyondTheSkewIsRefused() {
    assertRefused(authenticate(hs256(), hs(claims().notBeforeTime(Date.from(NOW.plusSeconds(31))).build())),
        "token is not valid yet");
    assertTrue(authenticate(hs256(), hs(claims().notBeforeTime(Date.from(NOW.plusSeconds(29))).build()))
        .accepted());
    assertTrue(authenticate(hs256(), hs(claims().notBeforeTime(Date.from(NOW.minusSeconds(60))).build()))
        .accepted());
  }

  @Test
  void tokenWithoutExpIsRefusedByDefault() {
    assertRefused(authenticate(hs256(), hs(claims().expirationTime(null).build())), "token has no exp");
  }

  @Test
  void tokenWithoutExpIsAcceptedWhenAllowedAndNeverExpires() {
    JwtAuthenticator lenient = JwtAuthenticator.hs256(SECRET).allowTokensWithoutExpiry().clock(CLOCK).build();

    ConnectDecision decision = authenticate(lenient, hs(claims().expirationTime(null).build()));

    assertTrue(decision.accepted(), decision.toString());
    assertNull(decision.principal().expiresAt());
    // allowing tokens without exp does not allow expired ones
    assertRefused(authenticate(lenient, hs(claims().expirationTime(Date.from(NOW.minusSeconds(60))).build())),
        "token expired");
  }

  // --- claims -------------------------------------------------------------------------------------

  @Test
  void wrongIssuerIsRefused() {
    assertRefused(authenticate(hs256(), hs(claims().issuer("https://evil.example").build())),
        "token issuer is wrong");
    assertRefused(authenticate(hs256(), hs(claims().issuer(null).build())), "token issuer is wrong");
  }

  @Test
  void wrongAudienceIsRefused() {
    assertRefused(authenticate(hs256(), hs(claims().audience("another-service").build())),
        "token audience is wrong");
    assertRefused(authenticate(hs256(), hs(claims().audience((String) null).build())), "token audience is wrong");
  }

  @Test
  void subjectIsRequiredAndBounded() {
    assertRefused(authenticate(hs256(), hs(claims().subject(null).build())), "token sub must be 1..200 chars");
    assertRefused(authenticate(hs256(), hs(claims().subject("").build())), "token sub must be 1..200 chars");
    assertRefused(authenticate(hs256(), hs(claims().subject("a".repeat(201)).build())),
        "token sub must be 1..200 chars");
    assertTrue(authenticate(hs256(), hs(claims().subject("a".repeat(200)).build())).accepted());
  }

  @Test
  void channelsClaimMustBeAListOfStrings() {
    for (Object bad : List.of("news", List.of(1, 2), Map.of("a", "b"))) {
      assertRefused(authenticate(hs256(), hs(claims().claim("channels", bad).build())),
          "token channels must be a list of strings");
    }
    java.util.List<Object> withNull = new java.util.ArrayList<>();
    withNull.add("news");
    withNull.add(null);
    assertRefused(authenticate(hs256(), hs(claims().claim("channels", withNull).build())),
        "token channels must be a list of strings");
  }

  // --- malformed input ----------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"x", "a.b", "a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9.e30", "eyJhbGciOiJIUzI1NiJ9..",
      "!!!.###.$$$", "{\"alg\":\"HS256\"}", "Bearer x.y.z", "e30.e30.e30",
      // a JWE (five parts) is not a JWS
      "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aXY.Y2lwaGVy.dGFn"})
  void malformedTokensAreRefused(String token) {
    ConnectDecision decision = authenticate(hs256(), token);

    assertFalse(decision.accepted(), token);
  }

  @Test
  void tokenWhosePayloadIsNotAClaimsSetIsRefused() throws JOSEException {
    for (String payload : List.of("hello", "[1,2]", "{\"exp\":\"tomorrow\",\"sub\":\"alice\"}")) {
      com.nimbusds.jose.JWSObject jws = new com.nimbusds.jose.JWSObject(new JWSHeader(JWSAlgorithm.HS256),
          new com.nimbusds.jose.Payload(payload));
      jws.sign(new MACSigner(SECRET));
      assertFalse(authenticate(hs256(), jws.serialize()).accepted(), payload);
    }
  }

  @Test
  void missingAndOverlongTokensAreRefused() {
    assertRefused(authenticate(hs256(), null), "no token");
    assertRefused(authenticate(hs256(), ""), "no token");
    assertRefused(authenticate(hs256(), "a".repeat(16 * 1024 + 1)), "token is longer than 16384 chars");
  }

  // --- configuration ------------------------------------------------------------------------------

  @Test
  void shortHs256SecretIsRefusedByTheBuilder() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> JwtAuthenticator.hs256("0123456789abcdef0123456789abcde".getBytes(StandardCharsets.US_ASCII)));
    assertTrue(e.getMessage().contains("31 bytes"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> JwtAuthenticator.hs256(new byte[0]));
    assertThrows(NullPointerException.class, () -> JwtAuthenticator.hs256(null));
  }

  @Test
  void shortRsaKeyIsRefusedByTheBuilder() throws NoSuchAlgorithmException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(1024);
    RSAPublicKey small = (RSAPublicKey) generator.generateKeyPair().getPublic();

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JwtAuthenticator.rs256(small));
    assertTrue(e.getMessage().contains("1024 bits"), e.getMessage());
  }

  @Test
  void secretIsCopiedSoChangingTheCallersArrayChangesNothing() {
    byte[] secret = SECRET.clone();
    JwtAuthenticator authenticator = JwtAuthenticator.hs256(secret).clock(CLOCK).build();
    java.util.Arrays.fill(secret, (byte) 0);

    assertTrue(authenticate(authenticator, hs(claims().build())).accepted());
  }

  @Test
  void builderChecksItsSettings() {
    JwtAuthenticator.Builder b = JwtAuthenticator.hs256(SECRET);
    assertThrows(IllegalArgumentException.class, () -> b.clockSkew(Duration.ofSeconds(-1)));
    assertThrows(IllegalArgumentException.class, () -> b.clockSkew(Duration.ofMinutes(6)));
    assertThrows(IllegalArgumentException.class, () -> b.issuer(" "));
    assertThrows(IllegalArgumentException.class, () -> b.audience(""));
  }

  @Test
  void toStringNamesNoKey() {
    String text = hs256().toString();

    assertFalse(text.contains(new String(SECRET, StandardCharsets.US_ASCII)), text);
    assertTrue(text.contains("HS256"), text);
  }
}
