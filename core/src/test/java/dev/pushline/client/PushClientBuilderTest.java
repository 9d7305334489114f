package dev.pushline.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pushline.PushException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class PushClientBuilderTest {

  @Test
  void uriMustBeAWebSocketUriWithAHost() {
    PushClient.Builder b = PushClient.builder();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.uri("http://localhost/x"));
    assertTrue(e.getMessage().contains("http://localhost/x") && e.getMessage().contains("ws or wss"),
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> b.uri("ws:///pushline"));
    assertThrows(IllegalArgumentException.class, () -> b.uri("ws://localhost/pushline#top"));
    assertThrows(IllegalArgumentException.class, () -> b.uri("ws://local host/"));
    assertThrows(NullPointerException.class, () -> b.uri((String) null));
    b.uri("WSS://example.com:443/pushline"); // scheme is case-insensitive
  }

  @Test
  void buildNeedsAUri() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> PushClient.builder().build());
    assertTrue(e.getMessage().contains("uri"), e.getMessage());
  }

  @Test
  void durationsAreChecked() {
    PushClient.Builder b = PushClient.builder();
    assertThrows(IllegalArgumentException.class, () -> b.requestTimeout(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> b.requestTimeout(Duration.ofSeconds(-1)));
    IllegalArgumentException c = assertThrows(IllegalArgumentException.class, () -> b.connectTimeout(Duration.ZERO));
    assertEquals("connectTimeout is PT0S; it must be > 0", c.getMessage());
    assertThrows(IllegalArgumentException.class, () -> b.reconnectDelay(Duration.ZERO, Duration.ofSeconds(1)));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> b.reconnectDelay(Duration.ofSeconds(2), Duration.ofSeconds(1)));
    assertTrue(e.getMessage().contains("PT2S") && e.getMessage().contains("PT1S"), e.getMessage());
    assertThrows(NullPointerException.class, () -> b.reconnectJitter(null));
    assertThrows(NullPointerException.class, () -> b.listener(null));
    assertThrows(NullPointerException.class, () -> b.httpClient(null));
  }

  @Test
  void aNewClientIsNewAndClosingItFailsConnect() {
    Recorder recorder = new Recorder();
    PushClient client = PushClient.builder().uri("ws://127.0.0.1:9/pushline").listener(recorder).build();
    assertEquals(PushClient.State.NEW, client.state());
    client.close();
    assertEquals(PushClient.State.CLOSED, client.state());
    CompletableFuture<Void> connect = client.connect();
    ExecutionException e = assertThrows(ExecutionException.class, connect::get);
    assertTrue(e.getCause() instanceof PushException, e.toString());
    ExecutionException s = assertThrows(ExecutionException.class, () -> client.subscribe("x", p -> {}).get());
    assertTrue(s.getCause() instanceof PushException, s.toString());
    client.close(); // idempotent
  }

  @Test
  void streamPositionIsValidated() {
    assertThrows(IllegalArgumentException.class, () -> new PushClient.StreamPosition(-1, "e"));
    assertThrows(NullPointerException.class, () -> new PushClient.StreamPosition(0, null));
  }

  @Test
  void subscribeOptionsAreValidated() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PushClient.SubscribeOptions.DEFAULT.withHistory(-1));
    assertEquals("history is -1; it must be 0..1000000", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new PushClient.SubscribeOptions(1_000_001));
    assertEquals(1_000_000, new PushClient.SubscribeOptions(1_000_000).history());
    assertThrows(NullPointerException.class, () -> PushClient.builder().serverSubscriptionHandler(null));
    PushClient client = PushClient.builder().uri("ws://127.0.0.1:9/pushline").build();
    assertThrows(NullPointerException.class,
        () -> client.subscribe("x", null, new SubscriptionRecorder()));
    client.close();
  }

  @Test
  void theSilenceLimitIsTwoPingIntervalsAndAMargin() {
    assertEquals(Duration.ofMillis(2 * 25_000 + 5_000), Connection.silenceLimit(25_000));
    assertEquals(Duration.ofMillis(2 * 2_000 + 1_000), Connection.silenceLimit(2_000));
    assertEquals(Duration.ofMillis(2 * 20 + 250), Connection.silenceLimit(20));
    assertTrue(Connection.silenceLimit(Long.MAX_VALUE).compareTo(Duration.ofDays(3)) < 0, "no overflow");
  }
}
