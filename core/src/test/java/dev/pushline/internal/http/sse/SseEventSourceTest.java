package dev.pushline.internal.http.sse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.pushline.ClientConnection;
import dev.pushline.CloseCodes;
import dev.pushline.PushServer;
import dev.pushline.testing.NodeScript;
import dev.pushline.testing.Threads;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code eventsource} npm package (a WHATWG EventSource for Node) as a real third-party client: it
 * reconnects by itself after the server ends its stream, sends {@code Last-Event-ID}, and gets what was
 * published meanwhile, with no gap and no duplicate. Script: {@code core/src/test/node/sse-client.mjs}.
 */
class SseEventSourceTest {

  private PushServer server;
  private NodeScript script;
  private Set<String> threadsBefore;
  /** Offsets received per channel, across every reconnect. */
  private final Map<String, List<Long>> received = new HashMap<>();

  @BeforeEach
  void start() {
    threadsBefore = Threads.serverThreads();
    server = PushServer.builder().host("127.0.0.1").port(0).httpPort(0).build().start();
  }

  @AfterEach
  void stop() {
    if (script != null) {
      script.close();
    }
    server.close();
    assertEquals(Set.of(), Threads.startedSince(threadsBefore), "threads left running after close");
  }

  /** The lastEventId of the last publication read. */
  private String lastId;

  /**
   * Reads the script's events in order until {@code replies} subscribed events and {@code n} publications
   * were seen (an open or welcome may come between); records the publications' offsets and returns the
   * subscribed replies by channel.
   */
  private Map<String, JsonObject> read(int replies, int n) throws InterruptedException {
    Map<String, JsonObject> subscribed = new HashMap<>();
    int publications = 0;
    while (subscribed.size() < replies || publications < n) {
      JsonObject e = script.next();
      String type = e.get("event").getAsString();
      switch (type) {
        case "subscribed" -> {
          JsonObject s = e.getAsJsonObject("data");
          subscribed.put(s.get("channel").getAsString(), s);
        }
        case "publication" -> {
          JsonObject p = e.getAsJsonObject("data");
          received.computeIfAbsent(p.get("channel").getAsString(), k -> new ArrayList<>())
              .add(p.get("offset").getAsLong());
          lastId = e.get("lastEventId").getAsString();
          publications++;
        }
        case "open", "welcome" -> { }
        default -> throw new AssertionError("unexpected " + e + "; the script's output:\n" + script.output());
      }
    }
    return subscribed;
  }

  @Test
  void eventSourceReconnectsWithLastEventIdAndMissesNothing() throws Exception {
    script = NodeScript.start("sse-client.mjs",
        "http://127.0.0.1:" + server.httpPort() + "/sse?channel=news&channel=sports");
    Map<String, JsonObject> first = read(2, 0);
    assertFalse(first.get("news").has("recovered"));

    for (int i = 1; i <= 3; i++) {
      server.channel("news").publish("headline", "story " + i);
    }
    server.channel("sports").publish("score", Map.of("home", 1, "away", 0));
    read(0, 4);
    assertEquals(Map.of("news", List.of(1L, 2L, 3L), "sports", List.of(1L)), received);
    assertEquals(Map.of("news", 3L, "sports", 1L), offsets(lastId));

    // The host asks the client to reconnect (as for a rebalance); the EventSource does so by itself.
    List<ClientConnection> connections = server.connections();
    assertEquals(1, connections.size());
    connections.get(0).close(CloseCodes.RECONNECT, "rebalancing");
    JsonObject close = script.next("close").getAsJsonObject("data");
    assertEquals(3000, close.get("code").getAsInt());
    assertTrue(close.get("reconnect").getAsBoolean());
    assertEquals(0, script.next("disconnected").get("readyState").getAsInt()); // CONNECTING: it retries

    // Published while it is away (it retries after the 2 s the stream asked for with retry:).
    for (int i = 4; i <= 6; i++) {
      server.channel("news").publish("headline", "story " + i);
    }
    server.channel("sports").publish("score", Map.of("home", 1, "away", 1));

    Map<String, JsonObject> again = read(2, 4);
    assertTrue(again.get("news").get("recovered").getAsBoolean(), "resumed with Last-Event-ID: " + again);
    assertTrue(again.get("sports").get("recovered").getAsBoolean());
    server.channel("news").publish("headline", "story 7");
    read(0, 1);
    assertEquals(Map.of("news", List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L), "sports", List.of(1L, 2L)), received);
    assertEquals(Map.of("news", 7L, "sports", 2L), offsets(lastId));

    // A close that says not to reconnect: the app closes its EventSource.
    server.connections().get(0).close("signed out");
    assertFalse(script.next("close").getAsJsonObject("data").get("reconnect").getAsBoolean());
    script.next("stopped");
    script.send(command("close"));
    assertEquals(0, script.waitFor());
  }

  private static Map<String, Long> offsets(String id) throws EventId.Malformed {
    Map<String, Long> out = new HashMap<>();
    EventId.parse(id).forEach((channel, p) -> out.put(channel, p.offset()));
    return out;
  }

  private static JsonObject command(String cmd) {
    JsonObject c = new JsonObject();
    c.addProperty("cmd", cmd);
    return c;
  }
}
