package dev.pushline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.pushline.testing.ClientPool;
import dev.pushline.testing.JdkClient;
import dev.pushline.testing.RawWebSocket;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Thousands of malformed, random and hostile inputs, as JSON and as raw frames, thrown at a live server
 * while well-behaved subscribers receive a stream: they must get every publication, in order, and the
 * server must stay up. The random inputs come from a seed printed on failure, so a failure can be replayed.
 */
class HostileInputIT {

  private static final int HOSTILE_THREADS = 4;
  private static final int INPUTS_PER_THREAD = 1_500;
  /** Publications per channel: each attacker publishes once per input, alternating feed-a and feed-b. */
  private static final int PUBLICATIONS = HOSTILE_THREADS * INPUTS_PER_THREAD / 2;

  private PushServer server;
  private final ClientPool clients = new ClientPool();
  /** Attackers block on their sockets: their own threads, apart from the HTTP client's. */
  private final java.util.concurrent.ExecutorService attackers = java.util.concurrent.Executors
      .newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-hostile");
        t.setDaemon(true);
        return t;
      });

  @AfterEach
  void close() {
    clients.close();
    if (server != null) {
      server.close();
    }
    attackers.shutdownNow();
  }

  @Test
  void wellBehavedSubscribersReceiveEveryPublicationWhileOthersAttack() throws Exception {
    long seed = System.nanoTime();
    String context = "seed " + seed;
    server = PushServer.builder().host("127.0.0.1").port(0).maxMessageBytes(16 * 1024)
        .maxSubscriptionsPerConnection(64).build().start();
    URI uri = URI.create("ws://127.0.0.1:" + server.port() + "/pushline");

    List<JdkClient> onA = new ArrayList<>();
    List<JdkClient> onB = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      JdkClient c = clients.connect(uri);
      c.subscribe("feed-a");
      onA.add(c);
      if (i % 2 == 0) {
        c.send("{\"type\":\"subscribe\",\"id\":2,\"channel\":\"feed-b\"}");
        assertEquals("subscribed", c.nextJson().get("type").getAsString());
        onB.add(c);
      }
    }
    // A client that is subscribed and sends garbage on the same connection: its subscription must hold.
    JdkClient mixed = clients.connect(uri);
    mixed.subscribe("feed-a");

    Channel a = server.channel("feed-a");
    Channel b = server.channel("feed-b");
    AtomicInteger inputs = new AtomicInteger();
    AtomicInteger reconnects = new AtomicInteger();
    List<Future<?>> attacks = new ArrayList<>();
    for (int t = 0; t < HOSTILE_THREADS; t++) {
      Random random = new Random(seed + t);
      attacks.add(attackers.submit(() -> attack(random, inputs, reconnects, a, b)));
    }
    Random mixedRandom = new Random(seed - 1);
    Future<?> mixedGarbage = attackers.submit(() -> {
      // Garbage and valid-but-wrong requests, but none that touches its own feed-a subscription (a valid
      // unsubscribe would rightly end the stream); it may subscribe elsewhere, which assertStreams ignores.
      for (int sent = 0; sent < 500; ) {
        String input = Inputs.textInput(mixedRandom);
        if (!input.contains("feed-a")) {
          mixed.send(input);
          sent++;
        }
      }
      return null;
    });

    for (Future<?> f : attacks) {
      f.get(120, TimeUnit.SECONDS);
    }
    mixedGarbage.get(60, TimeUnit.SECONDS);

    for (JdkClient c : onA) {
      assertStreams(c, onB.contains(c) ? List.of("feed-a", "feed-b") : List.of("feed-a"),
          PUBLICATIONS, false, context);
    }
    assertStreams(mixed, List.of("feed-a"), PUBLICATIONS, true, context);
    assertTrue(inputs.get() >= HOSTILE_THREADS * INPUTS_PER_THREAD, "inputs sent: " + inputs);

    // The server is still up and serving new clients.
    JdkClient late = clients.connect(uri);
    late.subscribe("feed-a");
    long offset = a.publish("n", "late");
    assertEquals(offset, late.nextJson().get("offset").getAsLong());
  }

  /**
   * Reads publications until each of {@code channels} delivered offsets 1..count in order, skipping
   * other frames (error replies of the mixed client).
   */
  private static void assertStreams(JdkClient c, List<String> channels, int count,
      boolean ignoreOtherChannels, String context) throws InterruptedException {
    java.util.Map<String, Long> next = new java.util.HashMap<>();
    channels.forEach(ch -> next.put(ch, 1L));
    int remaining = channels.size() * count;
    while (remaining > 0) {
      JsonObject m = c.nextJson();
      if (!m.get("type").getAsString().equals("publication")) {
        continue;
      }
      String channel = m.get("channel").getAsString();
      Long expected = next.get(channel);
      if (expected == null && ignoreOtherChannels) {
        continue;
      }
      assertTrue(expected != null, context + ": publication of a channel not subscribed: " + m);
      assertEquals(expected, m.get("offset").getAsLong(), context + " " + channel);
      next.put(channel, expected + 1);
      remaining--;
    }
  }

  /** One attacker: a raw connection that sends random inputs and reconnects whenever it gets closed. */
  private Void attack(Random random, AtomicInteger inputs, AtomicInteger reconnects, Channel a, Channel b)
      throws IOException {
    RawWebSocket ws = RawWebSocket.connect(server.port(), "/pushline");
    try {
      for (int i = 0; i < INPUTS_PER_THREAD; i++) {
        // The stream is published from the attacking threads, so publications interleave with the attack.
        (i % 2 == 0 ? a : b).publish("n", i);
        inputs.incrementAndGet();
        int kind = random.nextInt(100);
        if (kind < 85) {
          String text = Inputs.textInput(random);
          try {
            ws.sendText(text);
          } catch (IOException e) {
            throw new IOException("input " + i + " closed the connection: " + Names.clip(text), e);
          }
          continue;
        }
        // Frame-level abuse: the server closes this connection (or we drop it); then reconnect. The server
        // may close while we are still writing a large frame: that is one of the expected outcomes.
        try {
          abuse(ws, random, kind % 8);
        } catch (IOException closedUnderUs) {
          // expected: the server refused the frame and closed the socket
        }
        ws.close(); // the server closes its side: nothing of ours may linger either way
        reconnects.incrementAndGet();
        ws = RawWebSocket.connect(server.port(), "/pushline");
      }
      // After all that, this connection still answers.
      ws.sendText("{\"type\":\"ping\",\"id\":424242}");
      String reply;
      do {
        reply = ws.readText();
      } while (!reply.contains("424242"));
      assertTrue(reply.contains("\"pong\""), reply);
      return null;
    } finally {
      ws.close();
    }
  }

  private static final class Names {
    static String clip(String s) {
      return s.length() <= 200 ? s : s.substring(0, 200) + "...(" + s.length() + " chars)";
    }
  }

  private static void abuse(RawWebSocket ws, Random random, int kind) throws IOException {
    switch (kind) {
      case 0 -> ws.sendFrame(RawWebSocket.BINARY, true, Inputs.bytes(random, 64));
      case 1 -> ws.sendHeaderOnly(RawWebSocket.TEXT, 0x7FFFFFF0L);
      case 2 -> ws.sendFrame(RawWebSocket.TEXT, true, "x".repeat(20_000).getBytes(StandardCharsets.UTF_8));
      case 3 -> {
        byte[] chunk = new byte[8 * 1024];
        ws.sendFrame(RawWebSocket.TEXT, false, chunk);
        for (int k = 0; k < 4; k++) {
          ws.sendFrame(RawWebSocket.CONTINUATION, false, chunk);
        }
      }
      case 4 -> ws.sendFrame(RawWebSocket.TEXT, true, new byte[] {(byte) 0xFF, (byte) 0xFE, 'x'});
      case 5 -> ws.sendFrame(5 + random.nextInt(3), true, Inputs.bytes(random, 8));
      case 6 -> {
        // Empty fragments: nothing for the byte limit, but one list entry each until the last fragment
        ws.sendFrame(RawWebSocket.TEXT, false, new byte[] {'{'});
        for (int k = 0; k < 2_000; k++) {
          ws.sendFrame(RawWebSocket.CONTINUATION, false, new byte[0]);
        }
      }
      default -> ws.sendRaw(Inputs.bytes(random, 1 + random.nextInt(200)));
    }
  }

  /** Random protocol inputs: broken JSON, valid JSON of the wrong shape, and hostile but valid requests. */
  static final class Inputs {
    private static final String[] TYPES = {"subscribe", "unsubscribe", "publish", "ping", "PING", "", "x",
        "subscribed", "welcome", "error", "rpc", "connect", "__proto__"};
    private static final String[] TOKENS = {"{", "}", "[", "]", ",", ":", "\"type\"", "\"id\"",
        "\"channel\"", "\"subscribe\"", "\"feed-a\"", "null", "true", "-0", "1e999", "\"\\u0000\"", "\"\\ud800\"",
        "9999999999999999999999", "\"", "\\", "'", "NaN", " ", "\n", "\"data\"", "\"event\""};

    static String textInput(Random r) {
      switch (r.nextInt(10)) {
        case 0:
          return tokens(r);
        case 1:
          return randomString(r, r.nextInt(300));
        case 2:
          return "[".repeat(1 + r.nextInt(5_000)) + "]".repeat(r.nextInt(3));
        case 3:
          return "{\"type\":\"subscribe\",\"id\":" + r.nextInt(1000) + ",\"channel\":\""
              + channelName(r) + "\"}";
        case 4:
          return "{\"type\":\"unsubscribe\",\"id\":" + r.nextInt(1000) + ",\"channel\":\""
              + channelName(r) + "\"}";
        case 5:
          return "{\"type\":\"publish\",\"id\":1,\"channel\":\"feed-a\",\"event\":\"fake\",\"data\":"
              + tokens(r) + "}";
        case 6:
          return "{\"type\":" + pick(r, new String[] {"1", "null", "[]", "{}", "\"" + pick(r, TYPES) + "\""})
              + ",\"id\":" + pick(r, new String[] {"-1", "1.5", "\"1\"", "[]", "1e20", "7", "null"})
              + ",\"channel\":" + pick(r, new String[] {"1", "\"\"", "\"feed-b\"", "\"a b\"", "{}", "null",
                  "\"" + "c".repeat(256) + "\""}) + "}";
        case 7:
          return "{\"type\":\"ping\",\"id\":" + r.nextInt(100) + ",\"pad\":\"" + "p".repeat(r.nextInt(4_000)) + "\"}";
        case 8:
          return "{\"type\":\"subscribe\",\"channel\":\"" + channelName(r) + "\",\"channel\":\"dup\"}";
        default:
          return "{\"type\":\"" + pick(r, TYPES) + "\",\"id\":" + r.nextInt(5) + "}";
      }
    }

    static String channelName(Random r) {
      String[] bases = {"feed-a", "feed-b", "c" + r.nextInt(200), "x".repeat(1 + r.nextInt(300)),
          "bad name", "a*", "$private", "user:" + r.nextInt(10), ""};
      return pick(r, bases);
    }

    static String tokens(Random r) {
      StringBuilder sb = new StringBuilder();
      int n = r.nextInt(40);
      for (int i = 0; i < n; i++) {
        sb.append(pick(r, TOKENS));
      }
      return sb.toString();
    }

    static String randomString(Random r, int length) {
      StringBuilder sb = new StringBuilder(length);
      for (int i = 0; i < length; i++) {
        int cp = r.nextInt(10) < 8 ? 0x20 + r.nextInt(0x5F) : 1 + r.nextInt(0xD7FF);
        sb.appendCodePoint(cp);
      }
      return sb.toString();
    }

    static byte[] bytes(Random r, int n) {
      byte[] b = new byte[n];
      r.nextBytes(b);
      return b;
    }

    static String pick(Random r, String[] options) {
      return options[r.nextInt(options.length)];
    }
  }

  @Test
  void inputsCoverEveryKind() {
    // Guards the generator itself: a generator that produced only one kind would make the test above weak.
    Random r = new Random(1);
    java.util.Set<Integer> lengths = new java.util.HashSet<>();
    for (int i = 0; i < 1_000; i++) {
      lengths.add(Inputs.textInput(r).length() / 100);
    }
    assertTrue(lengths.size() > 10, "input lengths vary");
    assertFalse(Inputs.tokens(new Random(2)).isEmpty() && Inputs.tokens(new Random(3)).isEmpty());
  }
}
