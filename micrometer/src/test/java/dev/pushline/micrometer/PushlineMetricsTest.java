package dev.pushline.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pushline.ClientConnection;
import dev.pushline.CloseCodes;
import dev.pushline.ConnectionListener;
import dev.pushline.Publication;
import dev.pushline.PushException;
import dev.pushline.PushServer;
import dev.pushline.ServerStats;
import dev.pushline.client.PushClient;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The meters against a real {@link PushServer} on 127.0.0.1 and port 0, with real {@link PushClient}s,
 * read from a {@link SimpleMeterRegistry} after known traffic.
 */
class PushlineMetricsTest {

  private static final Tags APP = Tags.of("app", "test");

  private final List<PushClient> clients = new ArrayList<>();
  private final BlockingQueue<ClientConnection> opened = new LinkedBlockingQueue<>();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private PushServer server;

  @BeforeEach
  void start() {
    server = PushServer.builder().host("127.0.0.1").port(0).allowClientPublish()
        .connectionListener(new ConnectionListener() {
          @Override
          public void onOpen(ClientConnection connection) {
            opened.add(connection);
          }
        }).build().start();
    new PushlineMetrics(server, APP).bindTo(registry);
  }

  @AfterEach
  void stop() {
    clients.forEach(PushClient::close); // first, so that they do not reconnect to a closing server
    server.close();
    registry.close();
  }

  private PushClient connect(PushClient.Listener listener) throws Exception {
    PushClient client = PushClient.builder()
        .uri("ws://127.0.0.1:" + server.port() + server.path())
        .reconnectDelay(Duration.ofMillis(10), Duration.ofMillis(100))
        .listener(listener)
        .build();
    clients.add(client);
    client.connect().get(10, TimeUnit.SECONDS);
    return client;
  }

  private double counter(String name, String... tags) {
    return registry.get(name).tags(APP).tags(tags).functionCounter().count();
  }

  private double gauge(String name, String... tags) {
    return registry.get(name).tags(APP).tags(tags).gauge().value();
  }

  private static Publication poll(BlockingQueue<Publication> queue) throws InterruptedException {
    Publication p = queue.poll(10, TimeUnit.SECONDS);
    assertNotNull(p, "no publication within 10 s");
    return p;
  }

  @Test
  void countsWhatThreeSubscribersAndFivePublicationsDo() throws Exception {
    List<BlockingQueue<Publication>> received = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      BlockingQueue<Publication> q = new LinkedBlockingQueue<>();
      received.add(q);
      connect(new PushClient.Listener() { }).subscribe("news", q::add).get(10, TimeUnit.SECONDS);
    }
    for (int i = 1; i <= 5; i++) {
      server.channel("news").publish("headline", Map.of("n", i));
    }
    for (BlockingQueue<Publication> q : received) {
      for (int i = 1; i <= 5; i++) {
        assertEquals(i, poll(q).offset());
      }
    }

    assertEquals(3, gauge("pushline.connections"));
    assertEquals(3, counter("pushline.connections.opened"));
    assertEquals(3, gauge("pushline.subscriptions", "subscriber", "remote"));
    assertEquals(0, gauge("pushline.subscriptions", "subscriber", "in_process"));
    assertEquals(1, gauge("pushline.channels"));
    assertEquals(5, counter("pushline.publications", "origin", "host"));
    assertEquals(0, counter("pushline.publications", "origin", "client"));
    assertEquals(15, counter("pushline.deliveries"));
    ServerStats stats = server.stats();
    assertTrue(stats.bytesOut() > 0 && stats.bytesIn() > 0, stats.toString());
    assertEquals(stats.bytesOut(), counter("pushline.outbound"));
    assertEquals(stats.bytesIn(), counter("pushline.inbound"));
    assertEquals("bytes", registry.get("pushline.outbound").functionCounter().getId().getBaseUnit());
    assertEquals(0, counter("pushline.errors", "code", "bad_request"));
  }

  @Test
  void countsErrorRepliesByCodeAndClientPublications() throws Exception {
    PushClient client = connect(new PushClient.Listener() { });
    assertEquals(1, client.publish("chat", "said", "hi").get(10, TimeUnit.SECONDS));
    assertEquals("bad_request", refusal(client.publish("chat", "", "an empty event name")));
    assertEquals("invalid_channel", refusal(client.publish("no spaces allowed", "said", "hi")));

    assertEquals(1, counter("pushline.publications", "origin", "client"));
    assertEquals(0, counter("pushline.publications", "origin", "host"));
    assertEquals(1, counter("pushline.errors", "code", "bad_request"));
    assertEquals(1, counter("pushline.errors", "code", "invalid_channel"));
    assertEquals(0, counter("pushline.errors", "code", "forbidden"));
    assertEquals(16, registry.get("pushline.errors").functionCounters().size(), "one per protocol v1 code");
  }

  private static String refusal(CompletableFuture<?> future) throws InterruptedException {
    ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(10, TimeUnit.SECONDS));
    return assertInstanceOf(PushException.class, e.getCause()).code();
  }

  @Test
  void countsAResumeByOutcomeAndTheDisconnectByCloseCode() throws Exception {
    BlockingQueue<PushClient.Recovery> recoveries = new LinkedBlockingQueue<>();
    BlockingQueue<Publication> publications = new LinkedBlockingQueue<>();
    PushClient client = connect(new PushClient.Listener() { });
    client.subscribe("news", new PushClient.SubscriptionHandler() {
      @Override
      public void onSubscribed(String channel, PushClient.StreamPosition position, PushClient.Recovery recovery) {
        recoveries.add(recovery);
      }

      @Override
      public void onPublication(Publication publication) {
        publications.add(publication);
      }
    }).get(10, TimeUnit.SECONDS);
    assertNotNull(recoveries.poll(10, TimeUnit.SECONDS)); // the first subscribe: no resume
    server.channel("news").publish("headline", 1);
    assertEquals(1, poll(publications).offset());

    ClientConnection connection = opened.poll(10, TimeUnit.SECONDS);
    assertNotNull(connection);
    connection.close(CloseCodes.RECONNECT, "test asks for a reconnect");
    assertEquals(PushClient.Recovery.RECOVERED, recoveries.poll(10, TimeUnit.SECONDS));

    assertEquals(1, counter("pushline.resumes", "outcome", "recovered"));
    assertEquals(0, counter("pushline.resumes", "outcome", "not_recovered"));
    assertEquals(1, counter("pushline.disconnects", "code", "3000"));
    assertEquals(0, counter("pushline.disconnects", "code", "other"));
    assertEquals(2, counter("pushline.connections.opened"));
    assertEquals(1, gauge("pushline.connections"));
  }

  @Test
  void queueGaugesReadTheSnapshotAndAreZeroOnceClientsHaveReadEverything() throws Exception {
    BlockingQueue<Publication> q = new LinkedBlockingQueue<>();
    connect(new PushClient.Listener() { }).subscribe("news", q::add).get(10, TimeUnit.SECONDS);
    server.channel("news").publish("headline", "x".repeat(10_000));
    poll(q);
    // The selector counts bytes as written just after the kernel accepted them, so the client may read the
    // frame a moment before the gauge drops: a bounded poll, not an immediate read.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (gauge("pushline.queued") != 0 && System.nanoTime() - deadline < 0) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
    assertEquals(0, gauge("pushline.queued"));
    assertEquals(0, gauge("pushline.queued.max"));
    assertEquals("bytes", registry.get("pushline.queued").gauge().getId().getBaseUnit());
  }

  @Test
  void otherClosesAreThoseWithoutACounterOfTheirOwn() {
    ServerStats stats = new ServerStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, Map.of(),
        Map.of(1000, 2L, 4001, 3L, 4500, 4L, 3001, 1L), 0, 0, 0, 0, 0, 0, 0);
    assertEquals(7, PushlineMetrics.otherCloses(stats));
  }

  @Test
  void everyMeterCarriesTheUsersTagsAndAPushlineName() {
    List<Meter> meters = registry.getMeters();
    assertFalse(meters.isEmpty());
    for (Meter m : meters) {
      assertTrue(m.getId().getName().startsWith("pushline."), m.getId().toString());
      assertTrue(m.getId().getTags().contains(Tag.of("app", "test")), m.getId().toString());
    }
    assertThrows(NullPointerException.class, () -> new PushlineMetrics(null));
    assertThrows(NullPointerException.class, () -> new PushlineMetrics(server, null));
  }
}
