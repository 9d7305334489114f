package dev.pushline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pushline.ChannelOptions.SlowConsumerPolicy;
import dev.pushline.transport.MemoryTransport;
import dev.pushline.transport.MemoryTransport.Peer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Slow-consumer policies through the in-memory transport, where a peer that does not read is a client
 * whose queue only grows.
 */
class SlowConsumerTest {

  private static final int LIMIT = 64 * 1024;
  private static final String KB = "x".repeat(1000);

  private final MemoryTransport transport = new MemoryTransport();
  private PushServer server;
  private final BlockingQueue<ClientConnection> opened = new LinkedBlockingQueue<>();

  @AfterEach
  void close() {
    if (server != null) {
      server.close();
    }
  }

  private void start(ChannelOptions options) {
    server = PushServer.builder().transport(transport).maxQueuedBytes(LIMIT).channelOptions(options)
        .connectionListener(new ConnectionListener() {
          @Override
          public void onOpen(ClientConnection connection) {
            opened.add(connection);
          }
        }).build().start();
  }

  private static JsonObject next(Peer p) {
    return JsonParser.parseString(p.next()).getAsJsonObject();
  }

  private Peer subscribed(String channel) throws InterruptedException {
    Peer p = transport.connect();
    next(p);
    p.send("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"" + channel + "\"}");
    assertEquals("subscribed", next(p).get("type").getAsString());
    return p;
  }

  @Test
  void aClientThatStopsReadingIsClosedAsSlowConsumerAndOthersGetEverything() throws Exception {
    start(ChannelOptions.DEFAULT);
    Peer stalled = subscribed("feed");
    ClientConnection stalledConn = opened.poll(5, TimeUnit.SECONDS);
    Peer fast = subscribed("feed");
    Channel feed = server.channel("feed");
    long maxQueued = 0;
    for (int i = 1; i <= 200; i++) {
      feed.publish("e", KB);
      maxQueued = Math.max(maxQueued, stalledConn.queuedBytes());
      assertEquals(i, next(fast).get("offset").getAsLong()); // the fast one keeps up
    }
    assertTrue(maxQueued <= LIMIT, "queued " + maxQueued + " > " + LIMIT);
    assertEquals(CloseCodes.SLOW_CONSUMER, stalled.awaitClose());
    assertEquals(1, server.stats().slowConsumerDisconnects());
    // What the stalled client did get is a gapless prefix: it resumes from its last offset.
    long expected = 1;
    for (String text = null; !stalled.idle(); expected++) {
      text = stalled.next();
      JsonObject p = JsonParser.parseString(text).getAsJsonObject();
      assertEquals(expected, p.get("offset").getAsLong());
    }
    assertTrue(expected > 1 && expected < 200, "a prefix: " + (expected - 1));
  }

  @Test
  void keepLatestHoldsBackOnlyTheNewestAndSendsItWhenTheQueueDrains() throws Exception {
    start(ChannelOptions.DEFAULT.withSlowConsumerPolicy(SlowConsumerPolicy.KEEP_LATEST));
    Peer slow = subscribed("ticker");
    ClientConnection slowConn = opened.poll(5, TimeUnit.SECONDS);
    Channel ticker = server.channel("ticker");
    long maxQueued = 0;
    for (int i = 1; i <= 500; i++) {
      ticker.publish("price", KB);
      maxQueued = Math.max(maxQueued, slowConn.queuedBytes());
    }
    assertTrue(maxQueued <= LIMIT, "queued " + maxQueued);
    assertTrue(slowConn.isOpen(), "keep-latest never disconnects");
    assertTrue(slowConn.skippedPublications() > 0);
    assertEquals(slowConn.skippedPublications(), server.stats().skippedPublications());
    // Reading drains the queue; the newest publication, held back, arrives last; offsets only grow.
    long last = 0;
    while (last < 500) {
      long offset = next(slow).get("offset").getAsLong();
      assertTrue(offset > last, offset + " after " + last);
      last = offset;
    }
    assertTrue(slow.idle());
  }

  @Test
  void aClientThatNeverReadsItsRepliesIsBoundedToo() throws Exception {
    start(ChannelOptions.DEFAULT);
    Peer flooder = transport.connect();
    ClientConnection conn = opened.poll(5, TimeUnit.SECONDS);
    String ping = "{\"type\":\"ping\",\"id\":1,\"pad\":\"" + "p".repeat(100) + "\"}";
    for (int i = 0; i < 20_000 && conn.isOpen(); i++) {
      flooder.send("{\"type\":\"subscribe\",\"id\":" + i + ",\"channel\":\"" + "c".repeat(200) + "\"}");
      flooder.send(ping);
    }
    assertEquals(CloseCodes.SLOW_CONSUMER, flooder.awaitClose());
    assertTrue(conn.queuedBytes() <= LIMIT);
  }

  /**
   * Two KEEP_LATEST channels of one slow client, each with a frame held back, published from two threads
   * just as the client's queue has drained. Each publisher, under its own channel's lock, asks to hear of a
   * drained queue; the transport may answer at once, on that thread. Sending the held-back frames there took
   * the other channel's lock too: publisher x held x and waited for y, publisher y held y and waited for x,
   * and both channels stopped for every subscriber (found by review; this test failed before the fix).
   */
  @Test
  void keepLatestChannelsDrainingUnderConcurrentPublishersDoNotDeadlock() throws Exception {
    start(ChannelOptions.DEFAULT.withSlowConsumerPolicy(SlowConsumerPolicy.KEEP_LATEST));
    Peer slow = transport.connect();
    next(slow);
    slow.send("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"x\"}");
    slow.send("{\"type\":\"subscribe\",\"id\":2,\"channel\":\"y\"}");
    assertEquals("subscribed", next(slow).get("type").getAsString());
    assertEquals("subscribed", next(slow).get("type").getAsString());
    ClientConnection slowConn = opened.poll(5, TimeUnit.SECONDS);
    Channel x = server.channel("x");
    Channel y = server.channel("y");
    for (int i = 0; i < 100; i++) {
      x.publish("e", KB); // past the limit: the newest x is held back
    }
    y.publish("e", KB); // the queue is full: held back too
    assertTrue(slowConn.skippedPublications() > 0, "x was held back");

    // The client reads half its queue; the drained call that would send the held-back frames is kept
    // back, as if the transport's I/O thread were about to make it. Later calls are made at once.
    List<Runnable> keptBack = new ArrayList<>();
    slow.interceptDrained(call -> {
      synchronized (keptBack) {
        if (keptBack.isEmpty()) {
          keptBack.add(call);
          return;
        }
      }
      call.run();
    });
    long lastX = 0;
    while (slowConn.queuedBytes() > LIMIT / 2) {
      JsonObject m = next(slow);
      if (m.get("channel").getAsString().equals("x")) {
        lastX = m.get("offset").getAsLong();
      }
    }
    assertEquals(1, keptBack.size(), "the drain was noticed");

    // Both publishers reach the transport together, each under its channel's lock.
    CyclicBarrier together = new CyclicBarrier(2);
    slow.beforeDrainCheck(() -> {
      try {
        together.await(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        // the other publisher never came: go on alone
      }
    });
    CountDownLatch published = new CountDownLatch(2);
    for (Channel channel : List.of(x, y)) {
      Thread t = new Thread(() -> {
        channel.publish("e", "newest " + channel.name());
        published.countDown();
      }, "publisher " + channel.name());
      t.setDaemon(true); // a deadlocked one must not keep the JVM alive
      t.start();
    }
    assertTrue(published.await(10, TimeUnit.SECONDS), "publishers stuck: deadlocked threads "
        + java.util.Arrays.toString(java.lang.management.ManagementFactory.getThreadMXBean()
            .findDeadlockedThreads()));
    slow.beforeDrainCheck(() -> {});

    // The kept-back call comes; the client reads on and gets the newest of each channel, in order.
    keptBack.get(0).run();
    String newestX = null;
    String newestY = null;
    while (newestX == null || newestY == null) {
      JsonObject m = next(slow);
      String channel = m.get("channel").getAsString();
      if (channel.equals("x")) {
        long offset = m.get("offset").getAsLong();
        assertTrue(offset > lastX, offset + " after " + lastX);
        lastX = offset;
      }
      if (m.get("data").isJsonPrimitive() && m.get("data").getAsString().startsWith("newest")) {
        if (channel.equals("x")) {
          newestX = m.get("data").getAsString();
        } else {
          newestY = m.get("data").getAsString();
        }
      }
    }
    assertEquals("newest x", newestX);
    assertEquals("newest y", newestY);
  }
}
