package dev.pushline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pushline.testing.ConnectionRecorder;
import dev.pushline.testing.NodeScript;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A real third-party STOMP client, {@code @stomp/stompjs} 7.5 in Node ({@code stomp-client.mjs}), against
 * the server: it connects with heart-beats, subscribes to two destinations, receives what the server
 * publishes, sends with {@code publish()}, gets receipts, heart-beats both ways, and disconnects cleanly.
 */
class StompJsIT {

  private PushServer server;
  private NodeScript node;

  @AfterEach
  void close() {
    if (node != null) {
      node.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private static JsonObject command(String cmd, Object... fields) {
    JsonObject c = new JsonObject();
    c.addProperty("cmd", cmd);
    for (int i = 0; i < fields.length; i += 2) {
      c.add((String) fields[i], JsonParser.parseString(new com.google.gson.Gson().toJson(fields[i + 1])));
    }
    return c;
  }

  @Test
  void stompJsSubscribesReceivesSendsHeartBeatsAndDisconnects() throws Exception {
    ConnectionRecorder connections = new ConnectionRecorder();
    server = PushServer.builder().host("127.0.0.1").port(0).allowClientPublish()
        .pingInterval(Duration.ofMillis(200)).connectionListener(connections).build().start();
    BlockingQueue<Publication> fromNode = new LinkedBlockingQueue<>();
    server.channel("from-node").subscribe(fromNode::add);

    node = NodeScript.start("stomp-client.mjs", "ws://127.0.0.1:" + server.port() + "/pushline", "100",
        "/topic/news", "/topic/room:lobby");
    JsonObject connected = node.next("connected");
    assertEquals("1.2", connected.get("version").getAsString(), node.output());
    assertEquals("200,200", connected.get("heartBeat").getAsString());
    assertEquals("Pushline", connected.get("server").getAsString());
    assertEquals(connections.nextOpened().id(), connected.get("session").getAsString());
    assertEquals("sub-receipt-0", node.next("subscribed").get("receipt").getAsString());
    assertEquals("sub-receipt-1", node.next("subscribed").get("receipt").getAsString());

    Channel news = server.channel("news");
    Channel lobby = server.channel("room:lobby");
    news.publish("headline", Map.of("title", "STOMP works"));
    lobby.publish("chat", "hello, lobby");
    news.publish("headline", Map.of("title", "again"));

    JsonObject m1 = node.next("message");
    assertEquals("/topic/news", m1.get("destination").getAsString());
    assertEquals("sub-0", m1.get("subscription").getAsString());
    assertEquals("news@" + news.epoch() + ":1", m1.get("messageId").getAsString());
    assertEquals("application/json", m1.get("contentType").getAsString());
    assertEquals(1, m1.get("offset").getAsLong());
    assertEquals(news.epoch(), m1.get("epoch").getAsString());
    assertEquals("headline", m1.get("name").getAsString());
    assertEquals("STOMP works", JsonParser.parseString(m1.get("body").getAsString()).getAsJsonObject()
        .get("title").getAsString());
    JsonObject m2 = node.next("message");
    assertEquals("/topic/room:lobby", m2.get("destination").getAsString(), "unescaped by stompjs");
    assertEquals("sub-1", m2.get("subscription").getAsString());
    assertEquals("\"hello, lobby\"", m2.get("body").getAsString());
    JsonObject m3 = node.next("message");
    assertEquals(2, m3.get("offset").getAsLong());

    node.send(command("publish", "destination", "/topic/from-node", "body", "{\"from\":\"node\"}",
        "receipt", "p-1", "headers", Map.of("content-type", "application/json", "event", "greeting")));
    JsonObject published = node.next("published");
    assertEquals("p-1", published.get("receipt").getAsString());
    assertEquals(1, published.get("offset").getAsLong());
    Publication p = fromNode.poll(10, TimeUnit.SECONDS);
    assertNotNull(p, node.output());
    assertEquals("greeting", p.event());
    assertEquals("node", p.data().getAsJsonObject().get("from").getAsString());

    // Heart-beats both ways at max(100, 200) ms: three of each, about 600 ms, well past the 400 ms after
    // which the server drops a client that sent nothing.
    for (int i = 0; i < 3; i++) {
      node.next("heartbeat-received");
      node.next("heartbeat-sent");
    }
    news.publish("headline", "still connected");
    assertEquals(3, node.next("message").get("offset").getAsLong());

    node.send(command("disconnect"));
    JsonObject disconnected = node.next("disconnected");
    assertTrue(disconnected.get("receipt").getAsString().startsWith("close-"), disconnected.toString());
    assertEquals(1000, node.next("closed").get("code").getAsInt());
    assertEquals(0, node.waitFor());
    assertEquals(1000, connections.nextCloseCode());
    assertFalse(node.output().contains("stomp-error"), node.output());
  }
}
