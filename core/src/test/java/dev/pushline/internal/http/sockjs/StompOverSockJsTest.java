package dev.pushline.internal.http.sockjs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pushline.Channel;
import dev.pushline.Publication;
import dev.pushline.PushServer;
import dev.pushline.auth.ConnectDecision;
import dev.pushline.auth.Principal;
import dev.pushline.client.PushClient;
import dev.pushline.testing.ConnectionRecorder;
import dev.pushline.testing.NodeScript;
import dev.pushline.testing.Threads;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * STOMP over SockJS, the combination Spring's "WebSocket + SockJS + STOMP" users know: the real
 * {@code @stomp/stompjs} 7.5 over the real {@code sockjs-client} 1.6 (both in Node, {@code stomp-client.mjs}),
 * each SockJS transport forced in turn, against {@code /stomp} on the HTTP side. Credentials come from
 * {@code CONNECT}, and a WebSocket client of protocol v1 on the same channel sees the same stream.
 */
class StompOverSockJsTest {

  private PushServer server;
  private Set<String> threadsBefore;
  private final ConnectionRecorder connections = new ConnectionRecorder();

  @BeforeEach
  void start() {
    threadsBefore = Threads.serverThreads();
    server = PushServer.builder().host("127.0.0.1").port(0).httpPort(0).allowClientPublish()
        .pingInterval(Duration.ofMillis(200)).connectionListener(connections)
        .authenticator(request -> "secret".equals(request.token())
            ? ConnectDecision.accept(Principal.user("node")) : ConnectDecision.reject("bad token"))
        .build().start();
  }

  @AfterEach
  void stop() throws InterruptedException {
    server.close();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!Threads.startedSince(threadsBefore).isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(10); // polling a condition with a deadline
    }
    assertEquals(Set.of(), Threads.startedSince(threadsBefore));
  }

  private static JsonObject command(String cmd, Object... fields) {
    JsonObject c = new JsonObject();
    c.addProperty("cmd", cmd);
    for (int i = 0; i < fields.length; i += 2) {
      c.add((String) fields[i], JsonParser.parseString(new Gson().toJson(fields[i + 1])));
    }
    return c;
  }

  @ParameterizedTest
  @ValueSource(strings = {"xhr-streaming", "xhr-polling", "eventsource"})
  void stompJsOverSockJsConnectsSubscribesReceivesSendsAndDisconnects(String transport) throws Exception {
    BlockingQueue<Publication> fromNode = new LinkedBlockingQueue<>();
    server.channel("from-node").subscribe(fromNode::add);
    BlockingQueue<Publication> native1 = new LinkedBlockingQueue<>();
    PushClient nativeClient = PushClient.builder()
        .uri("ws://127.0.0.1:" + server.port() + "/pushline").token(() -> "secret").build();
    try (NodeScript node = NodeScript.start("stomp-client.mjs",
        "http://127.0.0.1:" + server.httpPort() + "/stomp#" + transport, "200", "/topic/news", "/topic/room:lobby")) {
      nativeClient.connect().get(10, TimeUnit.SECONDS);
      nativeClient.subscribe("news", native1::add).get(10, TimeUnit.SECONDS);

      JsonObject connected = node.next("connected");
      assertEquals("1.2", connected.get("version").getAsString(), node.output());
      assertEquals("Pushline", connected.get("server").getAsString());
      node.next("subscribed");
      node.next("subscribed");

      Channel news = server.channel("news");
      for (int i = 1; i <= 50; i++) {
        news.publish("headline", Map.of("n", i));
      }
      server.channel("room:lobby").publish("chat", "hello, lobby");
      for (int i = 1; i <= 50; i++) {
        JsonObject m = node.next("message");
        if (m.get("destination").getAsString().equals("/topic/room:lobby")) {
          assertEquals("\"hello, lobby\"", m.get("body").getAsString());
          m = node.next("message");
        }
        assertEquals("/topic/news", m.get("destination").getAsString());
        assertEquals(i, m.get("offset").getAsLong(), "in order, none missing");
        assertEquals(i, JsonParser.parseString(m.get("body").getAsString()).getAsJsonObject().get("n").getAsInt());
        Publication p = native1.poll(10, TimeUnit.SECONDS);
        assertNotNull(p);
        assertEquals(i, p.offset(), "the WebSocket client sees the same stream");
      }

      node.send(command("publish", "destination", "/topic/from-node", "body", "{\"from\":\"sockjs\"}",
          "receipt", "p-1", "headers", Map.of("content-type", "application/json", "event", "greeting")));
      assertEquals(1, node.next("published").get("offset").getAsLong());
      Publication p = fromNode.poll(10, TimeUnit.SECONDS);
      assertNotNull(p, node.output());
      assertEquals("greeting", p.event());
      assertEquals("sockjs", p.data().getAsJsonObject().get("from").getAsString());
      String session = connected.get("session").getAsString();
      dev.pushline.ClientConnection a = connections.nextOpened();
      dev.pushline.ClientConnection stomp = a.id().equals(session) ? a : connections.nextOpened();
      assertEquals(session, stomp.id());
      assertEquals("node", stomp.principal().userId(), "the CONNECT passcode authenticated");

      // Heart-beats both ways over SockJS messages.
      for (int i = 0; i < 2; i++) {
        node.next("heartbeat-received");
        node.next("heartbeat-sent");
      }

      node.send(command("disconnect"));
      node.next("disconnected");
      node.next("closed");
      assertEquals(0, node.waitFor());
      assertFalse(node.output().contains("stomp-error"), node.output());
    } finally {
      nativeClient.close();
    }
  }
}
