package dev.pushline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pushline.ChannelOptions.SlowConsumerPolicy;
import dev.pushline.transport.MemoryTransport;
import dev.pushline.transport.MemoryTransport.Peer;
import java.util.concurrent.BlockingQueue;
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
}
