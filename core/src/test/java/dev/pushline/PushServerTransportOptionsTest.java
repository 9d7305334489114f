package dev.pushline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

/** The builder's TLS and connection-limit options check their argument at once and name it. */
class PushServerTransportOptionsTest {

  @Test
  void limitsMustBePositiveAndTheHandshakeLimitWithinRange() {
    PushServer.Builder b = PushServer.builder();
    assertEquals("maxConnections is 0; it must be >= 1",
        assertThrows(IllegalArgumentException.class, () -> b.maxConnections(0)).getMessage());
    assertEquals("maxConnectionsPerAddress is -1; it must be >= 1",
        assertThrows(IllegalArgumentException.class, () -> b.maxConnectionsPerAddress(-1)).getMessage());
    assertEquals("maxHandshakeBytes is 1023; it must be 1024..65536",
        assertThrows(IllegalArgumentException.class, () -> b.maxHandshakeBytes(1023)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> b.maxHandshakeBytes(65_537));
    b.maxConnections(1).maxConnectionsPerAddress(5).maxHandshakeBytes(65_536).build(); // per address may exceed the total
  }

  @Test
  void tlsNeedsAnInitialisedContext() throws Exception {
    PushServer.Builder b = PushServer.builder();
    assertThrows(NullPointerException.class, () -> b.tls(null));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> b.tls(SSLContext.getInstance("TLS")));
    assertTrue(e.getMessage().contains("not initialised"), e.getMessage());
  }
}
