package dev.pushline.client;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pushline.Channel;
import dev.pushline.PushServer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Many clients in one JVM share the default HttpClient and cost a handful of threads, not one each. */
class ManyClientsTest {

  private static final int CLIENTS = 200;
  private static final int PUBLICATIONS = 50;

  private PushServer server;
  private final List<PushClient> clients = new ArrayList<>();

  @AfterEach
  void closeEverything() {
    clients.forEach(PushClient::close);
    if (server != null) {
      server.close();
    }
  }

  @Test
  void manyClientsSharingTheDefaultHttpClientEachReceiveEveryPublicationInOrder() throws Exception {
    server = PushServer.builder().host("127.0.0.1").port(0).build().start();
    Channel ticks = server.channel("ticks");
    String uri = "ws://127.0.0.1:" + server.port() + server.path();
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    int threadsBefore = threads.getThreadCount();

    CountDownLatch allReceived = new CountDownLatch(CLIENTS * PUBLICATIONS);
    List<List<Long>> offsets = new ArrayList<>();
    List<CompletableFuture<PushClient.StreamPosition>> subscribed = new ArrayList<>();
    for (int i = 0; i < CLIENTS; i++) {
      PushClient client = PushClient.builder().uri(uri).build();
      clients.add(client);
      List<Long> seen = new ArrayList<>(); // written by this client's handler only, read after the latch
      offsets.add(seen);
      subscribed.add(client.subscribe("ticks", p -> {
        seen.add(p.offset());
        allReceived.countDown();
      }));
      client.connect();
    }
    CompletableFuture.allOf(subscribed.toArray(CompletableFuture[]::new)).get(30, SECONDS);
    assertEquals(CLIENTS, ticks.subscriberCount());

    for (int i = 0; i < PUBLICATIONS; i++) {
      ticks.publish("tick", i);
    }

    assertTrue(allReceived.await(30, SECONDS), allReceived.getCount() + " publications missing");
    List<Long> expected = new ArrayList<>();
    for (long o = 1; o <= PUBLICATIONS; o++) {
      expected.add(o);
    }
    for (int i = 0; i < CLIENTS; i++) {
      assertEquals(expected, offsets.get(i), "client " + i);
    }
    int added = threads.getThreadCount() - threadsBefore;
    assertTrue(added < 60, CLIENTS + " clients added " + added + " threads");
    System.out.println(CLIENTS + " clients added " + added + " threads (server and shared client pools included)");
  }
}
