package dev.pushline.examples.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pushline.ChannelOptions.SlowConsumerPolicy;
import dev.pushline.ClientConnection;
import dev.pushline.ConnectionListener;
import dev.pushline.Publication;
import dev.pushline.PushServer;
import dev.pushline.examples.logtail.MutableClock;
import dev.pushline.transport.MemoryTransport;
import dev.pushline.transport.MemoryTransport.Peer;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's channel options ({@link DashboardDemo#withChannelOptions}) with a page that stops reading,
 * through core's in-memory transport, where a peer that does not read is a client whose queue only grows
 * (as in core's {@code SlowConsumerTest}). The feed and the metrics publish as in the demo.
 */
class DashboardSlowConsumerTest {

  private static final int LIMIT = 64 * 1024;
  private static final Gson GSON = new Gson();

  private final MemoryTransport transport = new MemoryTransport();
  private final BlockingQueue<ClientConnection> opened = new LinkedBlockingQueue<>();
  private final MutableClock clock = new MutableClock(Instant.parse("2025-11-26T09:30:00Z"), ZoneOffset.UTC);
  /** The data of each channel's last publication, as published. */
  private final Map<String, JsonElement> lastPublished = new HashMap<>();
  private PushServer server;

  @BeforeEach
  void start() {
    server = DashboardDemo.withChannelOptions(PushServer.builder())
        .transport(transport)
        .maxQueuedBytes(LIMIT)
        .connectionListener(new ConnectionListener() {
          @Override
          public void onOpen(ClientConnection connection) {
            opened.add(connection);
          }
        })
        .build()
        .start();
  }

  @AfterEach
  void close() {
    server.close();
  }

  @Test
  void everyChannelThePageUsesKeepsTheLatestAndHistoryOfOne() {
    List<String> channels = pageChannels();
    for (String name : channels) {
      server.channel(name).publish("e", 1);
      server.channel(name).publish("e", 2);
      List<Publication> history = server.channel(name).history();
      assertEquals(1, history.size(), name);
      assertEquals(2, history.get(0).data().getAsInt(), name + " keeps its latest");
    }
    assertEquals(SlowConsumerPolicy.KEEP_LATEST, DashboardDemo.LATEST_STATE.slowConsumerPolicy());
  }

  @Test
  void aPageThatStopsReadingStaysConnectedAndGetsEveryChannelsLatestStateOnceItReads() throws Exception {
    MarketFeed feed = new MarketFeed(MarketFeed.SYMBOLS, DashboardDemo.UPDATES_PER_STEP, new Random(9), clock,
        q -> publish(DashboardDemo.tickerChannel(q.symbol()), MarketFeed.EVENT, q));
    MetricsSampler sampler = new MetricsSampler(server::stats, clock, DashboardDemo.METRICS_WINDOW,
        m -> publish(DashboardDemo.METRICS_CHANNEL, MetricsSampler.EVENT, m));
    Peer page = transport.connect();
    assertEquals("welcome", type(json(page.next())));
    List<String> channels = pageChannels();
    for (int i = 0; i < channels.size(); i++) {
      page.send("{\"type\":\"subscribe\",\"id\":" + (i + 1) + ",\"channel\":\"" + channels.get(i) + "\"}");
      assertEquals("subscribed", type(json(page.next())));
    }
    ClientConnection connection = opened.poll(5, TimeUnit.SECONDS);
    sampler.sample();

    // The page reads nothing while 12,000 quotes (over 2 MB) and 40 metrics are published.
    long maxQueued = 0;
    for (int step = 1; step <= 2_000; step++) {
      clock.advance(DashboardDemo.STEP_INTERVAL);
      feed.step();
      if (step % 50 == 0) {
        sampler.sample();
      }
      maxQueued = Math.max(maxQueued, connection.queuedBytes());
    }

    assertTrue(connection.isOpen(), "keep-latest never disconnects");
    assertEquals(-1, page.closeCode());
    assertEquals(0, server.stats().slowConsumerDisconnects());
    assertTrue(maxQueued <= LIMIT, "queued " + maxQueued + " bytes; the limit is " + LIMIT);
    assertTrue(connection.skippedPublications() > 10_000, "skipped " + connection.skippedPublications());

    // Now it reads: what was queued, then each channel's newest publication, held back (sent once the
    // queue has drained, from the server's timer thread: each read waits up to 5 s); offsets only grow.
    Map<String, Long> offsets = new HashMap<>();
    Map<String, JsonElement> data = new HashMap<>();
    long jumps = 0;
    while (!caughtUp(channels, offsets)) {
      JsonObject publication = json(page.next());
      assertEquals("publication", type(publication));
      String channel = publication.get("channel").getAsString();
      long offset = publication.get("offset").getAsLong();
      long previous = offsets.getOrDefault(channel, 0L);
      assertTrue(offset > previous, channel + ": " + offset + " after " + previous);
      jumps += offset > previous + 1 ? 1 : 0;
      offsets.put(channel, offset);
      data.put(channel, publication.get("data"));
    }
    assertTrue(jumps > 0, "the page sees where it skipped");
    for (String channel : channels) {
      assertEquals(server.channel(channel).offset(), offsets.get(channel), channel + ": the latest offset");
      assertEquals(lastPublished.get(channel), data.get(channel), channel + ": the latest state");
    }
    assertTrue(connection.isOpen());
  }

  /** Whether the page has read every channel's latest publication. */
  private boolean caughtUp(List<String> channels, Map<String, Long> offsets) {
    for (String channel : channels) {
      if (offsets.getOrDefault(channel, 0L) < server.channel(channel).offset()) {
        return false;
      }
    }
    return true;
  }

  /** The channels the page subscribes to: every ticker's and the metrics'. */
  private static List<String> pageChannels() {
    List<String> channels = new ArrayList<>();
    MarketFeed.SYMBOLS.forEach(s -> channels.add(DashboardDemo.tickerChannel(s)));
    channels.add(DashboardDemo.METRICS_CHANNEL);
    return channels;
  }

  private void publish(String channel, String event, Object data) {
    server.channel(channel).publish(event, data);
    lastPublished.put(channel, JsonParser.parseString(GSON.toJson(data)));
  }

  private static JsonObject json(String text) {
    return JsonParser.parseString(text).getAsJsonObject();
  }

  private static String type(JsonObject message) {
    return message.get("type").getAsString();
  }
}
