package dev.pushline.examples.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pushline.Channel;
import dev.pushline.ClientConnection;
import dev.pushline.Publication;
import dev.pushline.examples.logtail.DemoOptions;
import dev.pushline.examples.logtail.MutableClock;
import dev.pushline.testing.RawWebSocket;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The demo as it runs (its transport, its 1 MiB queue limit) with a raw WebSocket client that subscribes to
 * what the page subscribes to and then stops reading, on a socket with a small receive buffer: the server
 * keeps it connected and, once it reads again, it gets every channel's latest state. Quotes are published
 * by the test, as fast as it can, with {@link DashboardDemo#stepNow()}.
 */
class DashboardSlowConsumerIT {

  private static final int MAX_STEPS = 100_000;

  private final MutableClock clock = new MutableClock(Instant.parse("2025-11-26T09:30:00Z"), ZoneOffset.UTC);
  private DashboardDemo demo;
  private RawWebSocket client;

  @AfterEach
  void tearDown() throws Exception {
    if (client != null) {
      client.close();
    }
    if (demo != null) {
      demo.close();
    }
  }

  @Test
  void aClientThatStopsReadingIsNotClosedAndGetsTheLatestOfEveryChannelWhenItReadsAgain() throws Exception {
    demo = DashboardDemo.start(DemoOptions.parseWithoutFile("--port", "0", "--http-port", "0"), new Random(21), clock);
    demo.publishAllNow();
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4 * 1024); // before connecting, so that the TCP window stays small
    socket.setSoTimeout(10_000);
    socket.connect(new InetSocketAddress("127.0.0.1", demo.webSocketUri().getPort()), 10_000);
    client = RawWebSocket.upgrade(socket, "/pushline");
    assertEquals("welcome", type(json(client.readText())));
    List<Channel> channels = new ArrayList<>();
    MarketFeed.SYMBOLS.forEach(s -> channels.add(demo.tickerChannelOf(s)));
    channels.add(demo.pushServer().channel(DashboardDemo.METRICS_CHANNEL));
    for (int i = 0; i < channels.size(); i++) {
      client.sendText("{\"type\":\"subscribe\",\"id\":" + (i + 1) + ",\"channel\":\"" + channels.get(i).name() + "\"}");
      assertEquals("subscribed", type(json(client.readText())));
    }
    ClientConnection connection = demo.pushServer().connections().get(0);
    demo.sampleNow();

    // Publish until the server has been holding back publications for a while: the queue is full.
    int steps = 0;
    while (connection.skippedPublications() < 200 && steps < MAX_STEPS) {
      clock.advance(DashboardDemo.STEP_INTERVAL);
      demo.stepNow();
      if (++steps % 50 == 0) {
        demo.sampleNow();
      }
    }

    assertTrue(connection.skippedPublications() >= 200,
        "no publication held back after " + steps + " steps; queued " + connection.queuedBytes());
    assertTrue(connection.isOpen(), "keep-latest never disconnects");
    assertEquals(0, demo.pushServer().stats().slowConsumerDisconnects());
    assertTrue(connection.queuedBytes() <= 1024 * 1024, "queued " + connection.queuedBytes());

    // Reading again, fast: a larger window, and frames read through a buffer.
    socket.setReceiveBufferSize(256 * 1024);
    DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 64 * 1024));
    Map<String, Long> latest = new HashMap<>();
    channels.forEach(c -> latest.put(c.name(), c.offset()));
    Map<String, Long> offsets = new HashMap<>();
    Map<String, JsonElement> data = new HashMap<>();
    while (!offsets.equals(latest)) {
      RawWebSocket.Frame frame = RawWebSocket.readFrame(in); // fails after 10 s without one
      if (frame.opcode() == RawWebSocket.PING) {
        client.sendFrame(RawWebSocket.PONG, true, frame.payload());
        continue;
      }
      assertEquals(RawWebSocket.TEXT, frame.opcode(), "a text frame, not a close");
      JsonObject publication = json(frame.text());
      String channel = publication.get("channel").getAsString();
      long offset = publication.get("offset").getAsLong();
      long previous = offsets.getOrDefault(channel, 0L);
      assertTrue(offset > previous, channel + ": " + offset + " after " + previous);
      offsets.put(channel, offset);
      data.put(channel, publication.get("data"));
    }
    for (Channel channel : channels) {
      Publication last = channel.history().get(0);
      assertEquals(last.data(), data.get(channel.name()), channel.name() + ": the latest state");
    }
    assertTrue(connection.isOpen());
  }

  private static JsonObject json(String text) {
    return JsonParser.parseString(text).getAsJsonObject();
  }

  private static String type(JsonObject message) {
    return message.get("type").getAsString();
  }
}
