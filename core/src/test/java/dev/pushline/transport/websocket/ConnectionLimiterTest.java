package dev.pushline.transport.websocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class ConnectionLimiterTest {

  @Test
  void countsPerAddressAndInTotalAndGivesBackOnRelease() throws Exception {
    InetAddress a = InetAddress.getByName("10.0.0.1");
    InetAddress b = InetAddress.getByName("10.0.0.2");
    ConnectionLimiter limiter = new ConnectionLimiter(3, 2);
    assertNull(limiter.tryAcquire(a));
    assertNull(limiter.tryAcquire(a));
    assertTrue(limiter.tryAcquire(a).startsWith("maxConnectionsPerAddress (2)"));
    assertNull(limiter.tryAcquire(b));
    assertTrue(limiter.tryAcquire(b).startsWith("maxConnections (3)"));
    assertEquals(3, limiter.total());
    limiter.release(a);
    assertNull(limiter.tryAcquire(b));
    limiter.release(a);
    limiter.release(b);
    limiter.release(b);
    assertEquals(0, limiter.total());
    assertNull(limiter.tryAcquire(a));
    assertNull(limiter.tryAcquire(a));
  }

  @Test
  void theTotalStaysBelowTheOpenFileLimit() {
    long maxFiles = ((com.sun.management.UnixOperatingSystemMXBean)
        java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getMaxFileDescriptorCount();
    assertEquals(5, ConnectionLimiter.capByOpenFileLimit(5));
    int capped = ConnectionLimiter.capByOpenFileLimit(Integer.MAX_VALUE);
    assertTrue(capped < maxFiles && capped >= maxFiles - Math.max(64, maxFiles / 10), capped + " of " + maxFiles);
  }
}
