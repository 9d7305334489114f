package dev.pushline.internal.http.sockjs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pushline.Publication;
import dev.pushline.PushServer;
import dev.pushline.client.PushClient;
import dev.pushline.testing.NodeScript;
import dev.pushline.testing.Threads;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The real {@code sockjs-client} from npm, in Node, one transport at a time, speaking protocol v1 over SockJS. */
class SockJsClientTest {

  private PushServer server;
  private Set<String> threadsBefore;

  @BeforeEach
  void start() {
    threadsBefore = Threads.serverThreads();
    server = PushServer.builder().host("127.0.0.1").port(0).httpPort(0).allowClientPublish().build().start();
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

  private String url() {
    return "http://127.0.0.1:" + server.httpPort() + "/sockjs";
  }

  private static void send(NodeScript node, String text) throws Exception {
    JsonObject c = new JsonObject();
    c.addProperty("cmd", "send");
    c.addProperty("data", text);
    node.send(c);
  }

  /** The next protocol v1 message the client received. */
  private static JsonObject next(NodeScript node) throws InterruptedException {
    return JsonParser.parseString(node.next("message").get("data").getAsString()).getAsJsonObject();
  }

  @ParameterizedTest
  @ValueSource(strings = {"xhr-streaming", "xhr-polling", "eventsource"})
  void sockJsClientSubscribesReceivesInOrderPublishesAndCloses(String transport) throws Exception {
    try (NodeScript node = NodeScript.start("sockjs-client.mjs", url(), transport)) {
      assertEquals(transport, node.next("open").get("transport").getAsString(), node.output());
      assertEquals("welcome", next(node).get("type").getAsString());
      send(node, "{\"type\":\"subscribe\",\"id\":1,\"channel\":\"news\"}");
      JsonObject subscribed = next(node);
      assertEquals("subscribed", subscribed.get("type").getAsString());
      assertEquals(0, subscribed.get("offset").getAsLong());

      for (int i = 1; i <= 200; i++) {
        server.channel("news").publish("n", "p" + i);
      }
      for (int i = 1; i <= 200; i++) {
        JsonObject p = next(node);
        assertEquals("publication", p.get("type").getAsString());
        assertEquals(i, p.get("offset").getAsLong());
        assertEquals("p" + i, p.get("data").getAsString());
      }

      send(node, "{\"type\":\"publish\",\"id\":2,\"channel\":\"news\",\"event\":\"c\",\"data\":\"from node\"}");
      List<String> types = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        JsonObject m = next(node);
        types.add(m.get("type").getAsString());
        if (m.get("type").getAsString().equals("publication")) {
          assertEquals(201, m.get("offset").getAsLong());
          assertEquals("from node", m.get("data").getAsString());
        } else {
          assertEquals(201, m.get("offset").getAsLong()); // the published reply
        }
      }
      types.sort(null);
      assertEquals(List.of("publication", "published"), types);
      assertEquals(201, server.channel("news").history().get(server.channel("news").history().size() - 1)
          .offset());

      JsonObject close = new JsonObject();
      close.addProperty("cmd", "close");
      node.send(close);
      assertEquals(1000, node.next("close").get("code").getAsInt());
      assertEquals(0, node.waitFor());
    }
  }

  @Test
  void aServerCloseReachesTheClientAsItsCloseFrame() throws Exception {
    try (NodeScript node = NodeScript.start("sockjs-client.mjs", url(), "xhr-polling")) {
      node.next("open");
      assertEquals("welcome", next(node).get("type").getAsString());
      server.connections().get(0).close("bye");
      JsonObject close = node.next("close");
      assertEquals(3500, close.get("code").getAsInt());
      assertEquals("bye", close.get("reason").getAsString());
    }
  }

  @Test
  void aTokenInTheUrlAuthenticatesEveryTransportRequest() throws Exception {
    byte[] secret = "0123456789abcdef0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    PushServer secured = PushServer.builder().host("127.0.0.1").port(0).httpPort(0)
        .authenticator(dev.pushline.auth.JwtAuthenticator.hs256(secret).build()).build().start();
    String token = SockJsProtocolTest.token(secret, "alice", java.time.Instant.now().plusSeconds(600));
    String url = "http://127.0.0.1:" + secured.httpPort() + "/sockjs?token=" + token;
    try (NodeScript node = NodeScript.start("sockjs-client.mjs", url, "xhr-streaming")) {
      node.next("open");
      assertEquals("welcome", next(node).get("type").getAsString());
      assertEquals("alice", secured.connections().get(0).principal().userId());
      send(node, "{\"type\":\"subscribe\",\"id\":1,\"channel\":\"user:alice\"}");
      assertEquals("subscribed", next(node).get("type").getAsString(), "her personal channel");
    } finally {
      secured.close();
    }
  }

  @Test
  void aWebSocketClientAndASockJsClientSeeTheSameStream() throws Exception {
    BlockingQueue<Publication> native1 = new LinkedBlockingQueue<>();
    try (PushClient ws = PushClient.builder().uri("ws://127.0.0.1:" + server.port() + server.path()).build();
        NodeScript node = NodeScript.start("sockjs-client.mjs", url(), "xhr-streaming")) {
      ws.connect().get(10, TimeUnit.SECONDS);
      ws.subscribe("mixed", native1::add).get(10, TimeUnit.SECONDS);
      node.next("open");
      next(node); // welcome
      send(node, "{\"type\":\"subscribe\",\"id\":1,\"channel\":\"mixed\"}");
      assertEquals("subscribed", next(node).get("type").getAsString());

      Thread publisher = new Thread(() -> {
        for (int i = 1; i <= 500; i++) {
          server.channel("mixed").publish("n", i);
        }
      });
      publisher.start(); // while another thread publishes too
      for (int i = 1; i <= 500; i++) {
        server.channel("mixed").publish("m", -i);
      }
      publisher.join(10_000);

      for (int offset = 1; offset <= 1000; offset++) {
        Publication fromWs = native1.poll(10, TimeUnit.SECONDS);
        JsonObject fromSockJs = next(node);
        assertTrue(fromWs != null, "the WebSocket client got " + (offset - 1));
        assertEquals(offset, fromWs.offset());
        assertEquals(offset, fromSockJs.get("offset").getAsLong());
        assertEquals(fromWs.event(), fromSockJs.get("event").getAsString());
        assertEquals(fromWs.data().getAsInt(), fromSockJs.get("data").getAsInt());
      }
    }
  }
}
