package dev.pushline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pushline.transport.MemoryTransport;
import dev.pushline.transport.MemoryTransport.Peer;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The inbound token bucket, through the in-memory transport with a clock that only the test moves: the
 * bucket refills exactly when the test says, so every count below is exact.
 */
class RateLimitTest {

  private static final int PER_SECOND = 1;
  private static final int BURST = 5;

  private final MemoryTransport transport = new MemoryTransport();
  private final MutableClock clock = new MutableClock();
  private PushServer server;

  @AfterEach
  void close() {
    if (server != null) {
      server.close();
    }
  }

  private Peer connect() {
    server = PushServer.builder().transport(transport).clock(clock).inboundRateLimit(PER_SECOND, BURST)
        .build().start();
    Peer peer = transport.connect();
    assertEquals("welcome", next(peer).get("type").getAsString());
    return peer;
  }

  private static JsonObject next(Peer peer) {
    return JsonParser.parseString(peer.next()).getAsJsonObject();
  }

  private static void ping(Peer peer, int id) {
    peer.send("{\"type\":\"ping\",\"id\":" + id + "}");
  }

  private static void assertReply(Peer peer, String type, String code, Integer id) {
    JsonObject reply = next(peer);
    assertEquals(type, reply.get("type").getAsString(), reply.toString());
    if (code != null) {
      assertEquals(code, reply.get("code").getAsString(), reply.toString());
    }
    if (id != null) {
      assertEquals(id.intValue(), reply.get("id").getAsInt(), reply.toString());
    }
  }

  @Test
  void burstIsServedThenEachMessageIsRefusedWithItsIdThenTheClientIsClosed() throws InterruptedException {
    Peer peer = connect();

    for (int i = 1; i <= BURST; i++) {
      ping(peer, i);
      assertReply(peer, "pong", null, i);
    }
    for (int i = BURST + 1; i <= 2 * BURST; i++) {
      ping(peer, i);
      assertReply(peer, "error", "rate_limited", i);
    }
    assertEquals(-1, peer.closeCode(), "closed before another burst was refused");
    ping(peer, 2 * BURST + 1);

    assertEquals(CloseCodes.RATE_LIMITED, peer.awaitClose());
    assertTrue(peer.idle(), "the message that closed the client was answered");
  }

  @Test
  void bucketRefillsWithTime() {
    Peer peer = connect();
    for (int i = 1; i <= BURST; i++) {
      ping(peer, i);
      assertReply(peer, "pong", null, i);
    }
    ping(peer, 100);
    assertReply(peer, "error", "rate_limited", 100);

    clock.advance(Duration.ofSeconds(1));
    ping(peer, 101);
    assertReply(peer, "pong", null, 101);
    ping(peer, 102);
    assertReply(peer, "error", "rate_limited", 102);
  }

  @Test
  void clientThatKeepsSendingAtTwiceItsRateIsClosedAfterAnotherBurst() throws InterruptedException {
    Peer peer = connect();
    for (int i = 1; i <= BURST; i++) {
      ping(peer, i);
      assertReply(peer, "pong", null, i);
    }

    // Every second one token comes back and the client sends two messages: one served, one refused.
    int id = 100;
    int refused = 0;
    while (peer.closeCode() == -1 && refused <= BURST) {
      clock.advance(Duration.ofSeconds(1));
      ping(peer, ++id);
      assertReply(peer, "pong", null, id);
      ping(peer, ++id);
      if (peer.closeCode() == -1) {
        assertReply(peer, "error", "rate_limited", id);
      }
      refused++;
    }

    assertEquals(CloseCodes.RATE_LIMITED, peer.awaitClose());
    assertEquals(BURST + 1, refused, "refusals before the close");
  }

  @Test
  void clientBackWithinItsLimitIsForgivenItsEarlierRefusals() {
    Peer peer = connect();
    int id = 0;
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < BURST; i++) {
        ping(peer, ++id);
        assertReply(peer, "pong", null, id);
      }
      for (int i = 0; i < BURST; i++) {
        ping(peer, ++id);
        assertReply(peer, "error", "rate_limited", id);
      }
      clock.advance(Duration.ofSeconds(BURST / PER_SECOND)); // the bucket is full again
    }

    assertEquals(-1, peer.closeCode());
  }

  @Test
  void malformedMessagesCountAgainstTheLimit() throws InterruptedException {
    Peer peer = connect();

    for (int i = 0; i < BURST; i++) {
      peer.send("{not json");
      assertReply(peer, "error", "bad_request", null);
    }
    for (int i = 0; i < BURST; i++) {
      peer.send("[\"not an object\"]");
      assertReply(peer, "error", "rate_limited", null);
    }
    peer.send("{\"type\":\"ping\",\"id\":-5}");

    assertEquals(CloseCodes.RATE_LIMITED, peer.awaitClose());
  }
}
