package dev.pushline.examples.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.pushline.auth.ConnectDecision;
import dev.pushline.auth.ConnectRequest;
import dev.pushline.examples.logtail.MutableClock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link Login} and the {@link TokenIssuer} behind it, checked with core's JwtAuthenticator. */
class LoginTest {

  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-26T10:00:00.250Z"), ZoneOffset.UTC);
  private final TokenIssuer tokens = TokenIssuer.withRandomSecret(clock);
  private final Login login = new Login(tokens);

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"alice", "a", "Bob_2", "dev-ops.team", "abcdefghijklmnopqrstuvwxyz012345"})
  void aValidNameGetsATokenForItThatTheServerAccepts(String name) {
    JsonObject answer = JsonParser.parseString(login.handle("{\"name\":\"" + name + "\"}")).getAsJsonObject();

    assertEquals(name, answer.get("user").getAsString());
    assertEquals(Instant.parse("2026-11-26T10:05:00Z").toEpochMilli(), answer.get("expiresAt").getAsLong(),
        "five minutes, in whole seconds as exp");
    ConnectDecision decision = tokens.authenticator().authenticate(request(answer.get("token").getAsString()));
    assertTrue(decision.accepted(), decision.reason());
    assertEquals(name, decision.principal().userId());
  }

  @Test
  void theTokenExpiresAfterFiveMinutes() {
    String token = JsonParser.parseString(login.handle("{\"name\":\"alice\"}")).getAsJsonObject()
        .get("token").getAsString();

    clock.advance(TokenIssuer.TOKEN_TTL.plusSeconds(30)); // JwtAuthenticator's default skew is 30 s
    ConnectDecision decision = tokens.authenticator().authenticate(request(token));

    assertFalse(decision.accepted());
    assertEquals("token expired", decision.reason());
  }

  @Test
  void aTokenSignedWithAnotherSecretIsRefused() {
    TokenIssuer forger = TokenIssuer.withSecret(new byte[32], clock);

    ConnectDecision decision = tokens.authenticator().authenticate(request(forger.issue("alice").jwt()));

    assertFalse(decision.accepted());
    assertEquals("token signature is invalid", decision.reason());
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"", "bob smith", " alice", "alice\t", "<script>", "élodie", "a/b", "a:b", "名前",
      "abcdefghijklmnopqrstuvwxyz0123456"})
  void anInvalidNameIsRefusedWithAMessage(String name) {
    String body = "{\"name\":" + new JsonPrimitive(name) + "}";

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> login.handle(body));

    assertTrue(e.getMessage().contains("user name"), e.getMessage());
  }

  @Test
  void theMessageSaysWhatIsWrong() {
    assertEquals("enter a user name: 1 to 32 letters, digits, _ - or .", Login.nameProblem(""));
    assertEquals("the user name is 33 characters long; the limit is 32", Login.nameProblem("x".repeat(33)));
    assertEquals("the user name may hold only letters A-Z a-z, digits, _ - and . (not a space)",
        Login.nameProblem("bob smith"));
    assertEquals("the user name may hold only letters A-Z a-z, digits, _ - and . (not \"<\")",
        Login.nameProblem("<b>"));
    assertEquals("the user name may hold only letters A-Z a-z, digits, _ - and . (not U+0009)",
        Login.nameProblem("a\tb"));
    assertNull(Login.nameProblem("alice"));
  }

  @ParameterizedTest(name = "[{0}]")
  @ValueSource(strings = {"", "alice", "[\"alice\"]", "{}", "{\"user\":\"alice\"}", "{\"name\":42}",
      "{\"name\":null}", "{\"name\":"})
  void aBodyThatIsNotANameObjectIsRefused(String body) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> login.handle(body));

    assertTrue(e.getMessage().contains("name"), e.getMessage());
  }

  private static ConnectRequest request(String token) {
    return new ConnectRequest("/pushline", "", Map.of(), null, token);
  }
}
