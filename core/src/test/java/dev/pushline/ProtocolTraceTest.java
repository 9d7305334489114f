package dev.pushline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import dev.pushline.internal.ProtocolTrace;
import dev.pushline.transport.MemoryTransport;
import dev.pushline.transport.MemoryTransport.Peer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ClientConnection#traceProtocol}: the traced connection's messages, both ways and in order, reach
 * the trace sink; an untraced connection's never do. The sink is the engine's seam for the logger.
 */
class ProtocolTraceTest {

  private final MemoryTransport transport = new MemoryTransport();
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final BlockingQueue<String> closed = new LinkedBlockingQueue<>();
  private PushServer server;

  @AfterEach
  void close() {
    if (server != null) {
      server.close();
    }
  }

  private void start() {
    server = PushServer.builder().transport(transport).connectionListener(new ConnectionListener() {
      @Override
      public void onClosed(ClientConnection connection, int code, String reason) {
        closed.add(connection.id());
      }
    }).build();
    server.engine().protocolTrace(new ProtocolTrace() {
      @Override
      public void switched(String clientId, boolean on) {
        lines.add(clientId + " trace " + (on ? "on" : "off"));
      }

      @Override
      public void message(String clientId, String direction, String text) {
        lines.add(clientId + " " + direction + " " + text);
      }
    });
    server.start();
  }

  private static String welcomeId(Peer p) {
    return JsonParser.parseString(p.next()).getAsJsonObject().get("client").getAsString();
  }

  /**
   * Closes {@code peer} and waits for the listener's {@code onClosed}, which runs on the connection's
   * callback executor after every trace line queued before it.
   */
  private void closeAndFlush(Peer peer, String id) throws InterruptedException {
    peer.disconnect(1000);
    assertEquals(id, closed.poll(5, TimeUnit.SECONDS));
  }

  @Test
  void tracesOnlyTheSwitchedOnConnectionBothWaysInOrder() throws InterruptedException {
    start();
    Peer traced = transport.connect();
    String tracedId = welcomeId(traced);
    Peer other = transport.connect();
    String otherId = welcomeId(other);
    String subscribe = "{\"type\":\"subscribe\",\"id\":1,\"channel\":\"news\"}";
    other.send(subscribe);
    other.next();

    server.connection(tracedId).orElseThrow().traceProtocol(true);
    traced.send(subscribe);
    String subscribed = traced.next();
    server.channel("news").publish("headline", "hello");
    String publication = traced.next();
    other.next();
    other.send("{\"type\":\"ping\",\"id\":2}");
    other.next();
    traced.send("{\"type\":\"bogus\"}");
    String error = traced.next();
    server.connection(tracedId).orElseThrow().traceProtocol(false);
    traced.send("{\"type\":\"ping\",\"id\":3}");
    traced.next();

    closeAndFlush(other, otherId);
    closeAndFlush(traced, tracedId);
    List<String> got = new ArrayList<>();
    lines.drainTo(got);
    assertEquals(List.of(
        tracedId + " trace on",
        tracedId + " in " + subscribe,
        tracedId + " out " + subscribed,
        tracedId + " out " + publication,
        tracedId + " in {\"type\":\"bogus\"}",
        tracedId + " out " + error,
        tracedId + " trace off"), got);
  }

  @Test
  void tokensNeverReachTheTrace() throws InterruptedException {
    start();
    Peer p = transport.connect();
    String id = welcomeId(p);
    server.connection(id).orElseThrow().traceProtocol(true);
    p.send("{\"type\":\"refresh\",\"id\":4,\"token\" : \"secret.jwt\\\"value\"}");
    p.next();

    closeAndFlush(p, id);
    List<String> got = new ArrayList<>();
    lines.drainTo(got);
    assertEquals(id + " in {\"type\":\"refresh\",\"id\":4,\"token\" : \"(redacted)\"}", got.get(1));
    assertTrue(got.stream().noneMatch(line -> line.contains("secret")), got.toString());
  }

  @Test
  void switchingTracingOnTwiceLogsTheSwitchOnce() throws InterruptedException {
    start();
    Peer p = transport.connect();
    String id = welcomeId(p);
    ClientConnection c = server.connection(id).orElseThrow();
    c.traceProtocol(true);
    c.traceProtocol(true);
    c.traceProtocol(false);
    c.traceProtocol(false);
    closeAndFlush(p, id);
    List<String> got = new ArrayList<>();
    lines.drainTo(got);
    assertEquals(List.of(id + " trace on", id + " trace off"), got);
  }

  @Test
  void theLogClipsLongMessagesAndSaysHowLongTheyWere() {
    String text = "x".repeat(ProtocolTrace.MAX_LOGGED_CHARS + 10);
    String clipped = ProtocolTrace.clip(text);
    assertTrue(clipped.startsWith("x".repeat(ProtocolTrace.MAX_LOGGED_CHARS) + "..."), clipped);
    assertTrue(clipped.endsWith("(" + text.length() + " chars)"), clipped);
    assertEquals("short", ProtocolTrace.clip("short"));
    assertNotNull(ProtocolTrace.LOG);
  }
}
