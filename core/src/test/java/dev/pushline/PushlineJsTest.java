package dev.pushline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.gson.JsonObject;
import dev.pushline.auth.ConnectDecision;
import dev.pushline.auth.Principal;
import dev.pushline.testing.NodeScript;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs the browser client's tests ({@code core/src/test/node/pushline-js/*.test.mjs}, Node's built-in test
 * runner) against real servers: one file is one JUnit test, failing with node's whole output.
 *
 * <p>Two servers: an open one (client publishing, presence on {@code room:*}, a history of two on
 * {@code tiny:*}, the HTTP side for SSE and SockJS) and one with an authenticator that takes the tokens
 * {@code alice-token}, {@code bob-token} and {@code alice-short} (alice's, expiring 300 ms after it
 * was given), waits 1 s for a {@code connect} message and 5 s for a {@code refresh}. Both have RPC methods the tests use, the {@code test.*} ones
 * as a control channel (close a client, publish from the host).
 */
class PushlineJsTest {

  private static final Path TESTS = NodeScript.DIR.resolve("pushline-js");

  private static PushServer open;
  private static PushServer auth;

  @BeforeAll
  static void start() throws IOException {
    NodeScript.installPackages();
    open = withRpc(PushServer.builder().host("127.0.0.1").port(0).httpPort(0).allowClientPublish()
        .channelOptions("room", ChannelOptions.DEFAULT.withPresence(true))
        .channelOptions("tiny", ChannelOptions.DEFAULT.withHistory(2, Duration.ofMinutes(5))))
        .build().start();
    auth = withRpc(PushServer.builder().host("127.0.0.1").port(0).httpPort(0).connectTimeout(Duration.ofSeconds(1))
        .tokenExpiryGrace(Duration.ofSeconds(5))
        .authenticator(request -> {
      String token = request.token();
      if (token == null) {
        return ConnectDecision.reject("no token");
      }
      return switch (token) {
        case "alice-token" -> ConnectDecision.accept(Principal.user("alice"));
        case "alice-short" -> ConnectDecision.accept(new Principal("alice", Map.of(), Set.of(),
            Instant.now().plusMillis(300)));
        case "bob-token" -> ConnectDecision.accept(Principal.user("bob"));
        default -> ConnectDecision.reject("unknown token");
      };
    })).build().start();
  }

  /** The RPC methods of both servers; {@code test.*} let a test act on the server side. */
  private static PushServer.Builder withRpc(PushServer.Builder b) {
    return b
        .rpc("echo", call -> call.data())
        .rpc("whoami", call -> call.connection().principal().userId())
        .rpc("expiresAt", call -> String.valueOf(call.connection().principal().expiresAt()))
        .rpc("fail", call -> {
          throw new RpcException("order_not_found", "no such order");
        })
        .rpc("never", call -> new CompletableFuture<>())
        // {client, code}: closes that client's connection with that code.
        .rpc("test.close", call -> {
          JsonObject d = call.data().getAsJsonObject();
          server(call).connection(d.get("client").getAsString())
              .orElseThrow(() -> new RpcException("no_such_client", d.get("client").getAsString()))
              .close(d.get("code").getAsInt(), "closed by the test");
          if (d.has("publish")) { // then publishes: the closed client misses these
            publish(server(call), d.get("publish").getAsJsonObject());
          }
          return null;
        })
        // {channel, n}: the host publishes n publications "tick" with data 1..n; returns the last offset.
        .rpc("test.publish", call -> publish(server(call), call.data().getAsJsonObject()))
        // {client, channel}: subscribes that client to the channel server-side.
        .rpc("test.subscribe", call -> {
          JsonObject d = call.data().getAsJsonObject();
          return server(call).channel(d.get("channel").getAsString())
              .subscribe(server(call).connection(d.get("client").getAsString()).orElseThrow());
        })
        // {client, event, data}: a direct message to that client.
        .rpc("test.send", call -> {
          JsonObject d = call.data().getAsJsonObject();
          return server(call).connection(d.get("client").getAsString()).orElseThrow()
              .send(d.get("event").getAsString(), d.get("data"));
        });
  }

  private static PushServer server(RpcCall call) {
    String id = call.connection().id();
    return open.connection(id).isPresent() ? open : auth;
  }

  private static long publish(PushServer server, JsonObject d) {
    Channel channel = server.channel(d.get("channel").getAsString());
    long offset = channel.offset();
    for (int i = 1; i <= d.get("n").getAsInt(); i++) {
      offset = channel.publish("tick", i);
    }
    return offset;
  }

  @AfterAll
  static void stop() {
    if (open != null) {
      open.close();
    }
    if (auth != null) {
      auth.close();
    }
  }

  @TestFactory
  Stream<DynamicTest> nodeTests() throws IOException {
    List<Path> files;
    try (Stream<Path> list = Files.list(TESTS)) {
      files = list.filter(p -> p.getFileName().toString().endsWith(".test.mjs")).sorted().toList();
    }
    assertFalse(files.isEmpty(), "no *.test.mjs in " + TESTS);
    return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> run(f)));
  }

  /**
   * Runs one file. {@code --test-force-exit}: a test that failed before closing its clients leaves sockets and
   * timers open, and node would wait for them instead of reporting the failure.
   */
  private static void run(Path file) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("node", "--test", "--test-reporter=spec", "--test-force-exit", file.toString())
        .directory(NodeScript.DIR.toFile()).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.put("PUSHLINE_WS", "ws://127.0.0.1:" + open.port() + "/pushline");
    env.put("PUSHLINE_HTTP", "http://127.0.0.1:" + open.httpPort());
    env.put("PUSHLINE_AUTH_WS", "ws://127.0.0.1:" + auth.port() + "/pushline");
    env.put("PUSHLINE_AUTH_HTTP", "http://127.0.0.1:" + auth.httpPort());
    Process node = pb.start();
    CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
      try {
        return new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "(reading node's output failed: " + e + ")";
      }
    });
    if (!node.waitFor(3, TimeUnit.MINUTES)) {
      node.destroyForcibly();
      node.waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError("node --test " + file.getFileName() + " did not end within 3 minutes:\n"
          + output.get(10, TimeUnit.SECONDS));
    }
    String out = output.get(10, TimeUnit.SECONDS);
    assertEquals(0, node.exitValue(), () -> "node --test " + file.getFileName() + " failed:\n" + out);
  }
}
