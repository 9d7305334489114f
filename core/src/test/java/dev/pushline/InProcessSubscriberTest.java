package dev.pushline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pushline.transport.MemoryTransport;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** In-process subscribers, publishing from many threads, and API misuse. */
class InProcessSubscriberTest {

  private final MemoryTransport transport = new MemoryTransport();
  private PushServer server;

  @AfterEach
  void close() {
    if (server != null) {
      server.close();
    }
  }

  private PushServer start() {
    server = PushServer.builder().transport(transport).build().start();
    return server;
  }

  record Point(int x, String label) {}

  @Test
  void inProcessSubscriberReceivesPublicationsInOrderWithTypedData() throws InterruptedException {
    start();
    BlockingQueue<Publication> got = new LinkedBlockingQueue<>();
    Channel ch = server.channel("points");
    assertTrue(ch.subscribe(got::add));
    for (int i = 1; i <= 100; i++) {
      assertEquals(i, ch.publish("point", new Point(i, "p" + i)));
    }
    for (int i = 1; i <= 100; i++) {
      Publication p = got.poll(5, TimeUnit.SECONDS);
      assertNotNull(p);
      assertEquals(i, p.offset());
      assertEquals("points", p.channel());
      assertEquals("point", p.event());
      assertEquals(new Point(i, "p" + i), p.dataAs(Point.class));
    }
  }

  @Test
  void aBlockedSubscriberDelaysNeitherThePublisherNorOthers() throws InterruptedException {
    start();
    Channel ch = server.channel("mixed");
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch blockedEntered = new CountDownLatch(1);
    List<Long> slowGot = new ArrayList<>();
    ch.subscribe(p -> {
      blockedEntered.countDown();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      synchronized (slowGot) {
        slowGot.add(p.offset());
      }
    });
    BlockingQueue<Publication> fast = new LinkedBlockingQueue<>();
    ch.subscribe(fast::add);
    MemoryTransport.Peer remote = transport.connect();
    remote.next();
    remote.send("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"mixed\"}");
    remote.next();

    for (int i = 0; i < 200; i++) {
      ch.publish("e", i); // returns although one subscriber is stuck
    }
    assertTrue(blockedEntered.await(5, TimeUnit.SECONDS));
    for (int i = 1; i <= 200; i++) {
      assertEquals(i, fast.poll(5, TimeUnit.SECONDS).offset());
      assertEquals(i, JsonParser.parseString(remote.next()).getAsJsonObject().get("offset").getAsLong());
    }
    release.countDown();
    server.close(); // queued callbacks still run before close returns
    server = null;
    synchronized (slowGot) {
      assertEquals(200, slowGot.size());
      for (int i = 0; i < 200; i++) {
        assertEquals(i + 1, slowGot.get(i));
      }
    }
  }

  @Test
  void aThrowingSubscriberDoesNotStopDelivery() throws InterruptedException {
    start();
    Channel ch = server.channel("faulty");
    BlockingQueue<Long> got = new LinkedBlockingQueue<>();
    ch.subscribe(p -> {
      if (p.offset() % 2 == 0) {
        throw new StackOverflowError("simulated");
      }
      got.add(p.offset());
    });
    ch.subscribe(p -> {
      throw new IllegalStateException("always");
    });
    for (int i = 0; i < 10; i++) {
      ch.publish("e", i);
    }
    for (long i = 1; i <= 9; i += 2) {
      assertEquals(i, got.poll(5, TimeUnit.SECONDS));
    }
  }

  @Test
  void unsubscribeStopsAnInProcessSubscriber() throws InterruptedException {
    // One callback thread: callbacks run in the order they were queued, across subscribers, so the marker
    // below arriving proves nothing queued before it is still pending.
    server = PushServer.builder().transport(transport).callbackThreads(1).build().start();
    Channel ch = server.channel("u");
    BlockingQueue<Long> got = new LinkedBlockingQueue<>();
    Subscriber s = p -> got.add(p.offset());
    assertTrue(ch.subscribe(s));
    assertFalse(ch.subscribe(s));
    assertEquals(1, ch.subscriberCount());
    ch.publish("e", 1);
    assertEquals(1, got.poll(5, TimeUnit.SECONDS));
    assertTrue(ch.unsubscribe(s));
    assertFalse(ch.unsubscribe(s));
    ch.publish("e", 2);
    BlockingQueue<Long> marker = new LinkedBlockingQueue<>();
    ch.subscribe(p -> marker.add(p.offset()));
    ch.publish("e", 3);
    assertEquals(3, marker.poll(5, TimeUnit.SECONDS));
    assertTrue(got.isEmpty(), "not called for offset 2 or 3: " + got);
  }

  @Test
  void concurrentPublishersProduceOneGaplessOrderForEverySubscriber() throws Exception {
    start();
    Channel ch = server.channel("busy");
    int threads = 4;
    int perThread = 2_000;
    List<MemoryTransport.Peer> peers = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      MemoryTransport.Peer p = transport.connect();
      p.next();
      p.send("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"busy\"}");
      p.next();
      peers.add(p);
    }
    BlockingQueue<Long> local = new LinkedBlockingQueue<>();
    ch.subscribe(p -> local.add(p.offset()));
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> publishers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread th = new Thread(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < perThread; i++) {
          ch.publish("e", i);
        }
      });
      th.start();
      publishers.add(th);
    }
    go.countDown();
    for (Thread th : publishers) {
      th.join(30_000);
      assertFalse(th.isAlive());
    }
    int total = threads * perThread;
    assertEquals(total, ch.offset());
    for (MemoryTransport.Peer p : peers) {
      for (long expected = 1; expected <= total; expected++) {
        JsonObject pub = JsonParser.parseString(p.next()).getAsJsonObject();
        assertEquals(expected, pub.get("offset").getAsLong());
      }
    }
    for (long expected = 1; expected <= total; expected++) {
      assertEquals(expected, local.poll(5, TimeUnit.SECONDS));
    }
  }

  @Test
  void misuseThrowsWithTheRuleAndTheValue() {
    PushServer notStarted = PushServer.builder().transport(new MemoryTransport()).build();
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> notStarted.channel("x").publish("e", 1));
    assertTrue(e.getMessage().contains("not started"), e.getMessage());
    assertThrows(IllegalStateException.class, notStarted::port);
    notStarted.close();
    assertThrows(IllegalStateException.class, notStarted::start);

    start();
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> server.channel("a".repeat(300)));
    assertTrue(bad.getMessage().contains("300"), bad.getMessage());
    assertThrows(IllegalArgumentException.class, () -> server.channel("white space"));
    assertThrows(NullPointerException.class, () -> server.channel(null));
    assertThrows(IllegalArgumentException.class, () -> server.channel("ok").publish("", 1));
    Object anonymous = new Object() {
      @SuppressWarnings("unused")
      final int x = 1;
    };
    IllegalArgumentException nulled = assertThrows(IllegalArgumentException.class,
        () -> server.channel("ok").publish("e", anonymous));
    assertTrue(nulled.getMessage().contains("anonymous"), nulled.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> server.channel("ok").publish("e", java.util.Map.of("x", Double.NaN)));
    assertEquals(0, server.channel("ok").offset(), "refused publications take no offset");
    assertThrows(IllegalStateException.class, server::start);

    assertThrows(IllegalArgumentException.class, () -> PushServer.builder().port(70_000));
    assertThrows(IllegalArgumentException.class, () -> PushServer.builder().path("nope"));
    assertThrows(IllegalArgumentException.class, () -> PushServer.builder().maxMessageBytes(10));
    assertThrows(IllegalArgumentException.class,
        () -> PushServer.builder().handshakeTimeout(java.time.Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> PushServer.builder().maxSubscriptionsPerConnection(0));
  }
}
