package dev.pushline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import dev.pushline.testing.ClientPool;
import dev.pushline.testing.JdkClient;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Fan-out on real sockets with many real clients. */
class BroadcastIT {

  private PushServer server;
  private final ClientPool clients = new ClientPool();

  @AfterEach
  void close() {
    clients.close();
    if (server != null) {
      server.close();
    }
  }

  @Test
  void thousandSubscribersEachReceiveEveryOneOfHundredBroadcastsInOrder() throws Exception {
    long maxFds = ((com.sun.management.UnixOperatingSystemMXBean)
        java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getMaxFileDescriptorCount();
    org.junit.jupiter.api.Assertions.assertTrue(maxFds >= 2_500, "this test opens 1,000 connections "
        + "(2,000 sockets in this JVM) but the open-file limit is " + maxFds + ": run `ulimit -n 4096` first");
    server = PushServer.builder().host("127.0.0.1").port(0).build().start();
    URI uri = URI.create("ws://127.0.0.1:" + server.port() + "/pushline");
    int n = 1_000;
    List<JdkClient> subscribers = clients.connect(uri, n);
    for (JdkClient c : subscribers) {
      c.send("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"bench\"}");
    }
    for (JdkClient c : subscribers) {
      assertEquals("welcome", c.nextJson().get("type").getAsString());
      assertEquals("subscribed", c.nextJson().get("type").getAsString());
    }
    Channel bench = server.channel("bench");
    assertEquals(n, bench.subscriberCount());

    int broadcasts = 100;
    for (int i = 1; i <= broadcasts; i++) {
      bench.publish("tick", "#" + i);
    }
    for (JdkClient c : subscribers) {
      for (int i = 1; i <= broadcasts; i++) {
        JsonObject p = c.nextJson();
        assertEquals(i, p.get("offset").getAsLong());
        assertEquals("#" + i, p.get("data").getAsString());
      }
    }
  }
}
