package dev.pushline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.pushline.testing.JdkClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Graceful shutdown: everything published before close() reaches subscribers, then 1001. */
class ShutdownIT {

  @Test
  void everyPublicationBeforeCloseIsDeliveredThenGoingAway() throws Exception {
    // A generous queue: this test is about shutdown, not about slow consumers.
    PushServer server = PushServer.builder().host("127.0.0.1").port(0).maxQueuedBytes(64 << 20).build().start();
    URI uri = URI.create("ws://127.0.0.1:" + server.port() + "/pushline");
    HttpClient http = HttpClient.newHttpClient();
    List<JdkClient> clients = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      JdkClient c = JdkClient.connect(http, uri);
      c.subscribe("news");
      clients.add(c);
    }
    Channel news = server.channel("news");
    AtomicLong lastPublished = new AtomicLong();
    CountDownLatch running = new CountDownLatch(500);
    Thread publisher = new Thread(() -> {
      try {
        for (int i = 0; i < 1_000_000; i++) { // bounded; close() ends it long before
          lastPublished.set(news.publish("n", i));
          running.countDown();
        }
      } catch (IllegalStateException closed) {
        // the server is closed: publish refuses from then on
      }
    });
    publisher.start();
    assertTrue(running.await(10, TimeUnit.SECONDS));
    server.close(); // while the publisher is going at full speed
    publisher.join(10_000);
    long last = lastPublished.get();
    assertTrue(last >= 500);
    for (JdkClient c : clients) {
      for (long expected = 1; expected <= last; expected++) {
        JsonObject p = c.nextJson();
        assertEquals(expected, p.get("offset").getAsLong());
      }
      assertEquals(CloseCodes.GOING_AWAY, c.closed().get(10, TimeUnit.SECONDS));
      c.close();
    }
  }
}
