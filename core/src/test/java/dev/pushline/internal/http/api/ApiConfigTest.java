package dev.pushline.internal.http.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pushline.PushServer;
import org.junit.jupiter.api.Test;

/** {@code PushServer.Builder.apiKey} and {@code apiRateLimit} check their arguments at once. */
class ApiConfigTest {

  @Test
  void anApiKeyMustBe16To512PrintableAsciiCharactersAndIsNeverEchoed() {
    for (String bad : new String[] {"short-key-123", "x".repeat(513), "has a space in it-1234", "tab\tinside-0123456789",
        "non-ascii-k\u00e9y-0123456789"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> PushServer.builder().apiKey(bad));
      assertTrue(e.getMessage().startsWith("apiKey "), e.getMessage());
      assertFalse(e.getMessage().contains(bad), "a key is a secret: " + e.getMessage());
    }
    assertEquals("apiKey is 13 characters; it must be 16 to 512 (a random one: openssl rand -hex 32)",
        assertThrows(IllegalArgumentException.class, () -> PushServer.builder().apiKey("short-key-123")).getMessage());
    assertThrows(NullPointerException.class, () -> PushServer.builder().apiKey(null));
    PushServer.builder().apiKey("0123456789abcdef").apiKey("~!@#$%^&*()_+{}|:\"<>?" + "x".repeat(491));
  }

  @Test
  void anApiKeyWithoutAnHttpPortIsRefusedAtBuild() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> PushServer.builder().apiKey(ApiFixture.KEY).build());
    assertTrue(e.getMessage().contains("httpPort"), e.getMessage());
  }

  @Test
  void theApiRateLimitMustBePositive() {
    assertThrows(IllegalArgumentException.class, () -> PushServer.builder().apiRateLimit(0, 10));
    assertThrows(IllegalArgumentException.class, () -> PushServer.builder().apiRateLimit(10, 0));
    assertThrows(IllegalArgumentException.class, () -> PushServer.builder().apiRateLimit(10_000_001, 10));
    PushServer.builder().apiRateLimit(1, 1);
  }
}
