package dev.pushline.internal.http.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.pushline.ChannelOptions;
import dev.pushline.ClientInfo;
import dev.pushline.MutableClock;
import dev.pushline.PushServer;
import dev.pushline.broker.BrokerException;
import dev.pushline.broker.HistoryQuery;
import dev.pushline.broker.HistoryResult;
import dev.pushline.broker.MemoryBroker;
import dev.pushline.broker.StreamOptions;
import dev.pushline.broker.StreamPosition;
import dev.pushline.testing.ForwardingBroker;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every status the API answers besides 200, each with its JSON error body. */
class ApiErrorsTest {

  private ApiFixture api;

  @AfterEach
  void close() {
    if (api != null) {
      api.close();
    }
  }

  private ApiFixture.Response publish(String body) throws Exception {
    return api.post("/api/publish", body);
  }

  // --- 400 ----------------------------------------------------------------------------------------

  @Test
  void malformedOrMisshapenPublishBodiesAre400() throws Exception {
    api = new ApiFixture();
    String tooManyChannels = "[" + String.join(",", java.util.Collections.nCopies(101, "\"a\"")) + "]";
    List<String> bodies = List.of(
        "",
        "{\"channel\":\"news\",",
        "{'channel':'news','event':'e'}",
        "{\"channel\":\"news\",\"event\":\"e\"} {}",
        "[{\"channel\":\"news\",\"event\":\"e\"}]",
        "{\"event\":\"e\"}",
        "{\"channel\":\"a\",\"channels\":[\"b\"],\"event\":\"e\"}",
        "{\"channel\":5,\"event\":\"e\"}",
        "{\"channels\":[],\"event\":\"e\"}",
        "{\"channels\":\"a\",\"event\":\"e\"}",
        "{\"channels\":[\"a\",\"a\"],\"event\":\"e\"}",
        "{\"channels\":" + tooManyChannels + ",\"event\":\"e\"}",
        "{\"channel\":\"news\"}",
        "{\"channel\":\"news\",\"event\":\"\"}",
        "{\"channel\":\"news\",\"event\":\"" + "e".repeat(256) + "\"}",
        "{\"channel\":\"news\",\"event\":7}",
        "{\"channel\":\"news\",\"event\":\"e\",\"dat\":1}",
        "{\"channel\":\"bad name\",\"event\":\"e\"}",
        "{\"channel\":\"" + "c".repeat(256) + "\",\"event\":\"e\"}",
        "{\"channels\":[\"ok\",\"no*star\"],\"event\":\"e\"}");
    for (String body : bodies) {
      publish(body).assertError(400, "bad_request");
    }
    assertEquals(0, api.server.stats().publications(), "nothing was published");
  }

  @Test
  void aBodyThatIsNotUtf8Is400() throws Exception {
    api = new ApiFixture();
    byte[] latin1 = "{\"channel\":\"a\",\"event\":\"caf\u00e9\"}".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);

    ApiFixture.Response r = api.send(api.request("/api/publish").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(latin1)));

    assertTrue(r.assertError(400, "bad_request").contains("UTF-8"));
  }

  @Test
  void badHistoryQueriesAndChannelNamesAre400() throws Exception {
    api = new ApiFixture();
    for (String path : List.of(
        "/api/channels/news/history?limit=-1",
        "/api/channels/news/history?limit=1001",
        "/api/channels/news/history?limit=ten",
        "/api/channels/news/history?limit=",
        "/api/channels/news/history?after=-3",
        "/api/channels/news/history?after=1.5",
        "/api/channels/news/history?limit=1&limit=2",
        "/api/channels/news/history?since=1",
        "/api/channels/news/history?api_key=" + ApiFixture.KEY,
        "/api/channels/bad%20name/history",
        "/api/channels//history",
        "/api/channels/caf%C3%A9/presence")) {
      api.get(path).assertError(400, "bad_request");
    }
  }

  // --- 401, 403 -----------------------------------------------------------------------------------

  @Test
  void aMissingOrWrongKeyIs401WithABearerChallenge() throws Exception {
    api = new ApiFixture();
    HttpRequest.Builder noKey = HttpRequest.newBuilder(api.uri("/api/channels/news/history"));
    HttpRequest.Builder wrongKey = HttpRequest.newBuilder(api.uri("/api/channels/news/history"))
        .header("Authorization", "Bearer " + ApiFixture.KEY + "x");
    HttpRequest.Builder wrongXApiKey = HttpRequest.newBuilder(api.uri("/api/channels/news/history"))
        .header("X-Api-Key", "test-key-0123456789abcdeF");
    HttpRequest.Builder basic = HttpRequest.newBuilder(api.uri("/api/channels/news/history"))
        .header("Authorization", "Basic dXNlcjpwYXNz");
    HttpRequest.Builder inTheUrl = HttpRequest.newBuilder(api.uri("/api/channels/news/history?key=" + ApiFixture.KEY));
    HttpRequest.Builder publishWithoutKey = HttpRequest.newBuilder(api.uri("/api/publish"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"channel\":\"news\",\"event\":\"forged\"}"));

    for (HttpRequest.Builder request : List.of(noKey, wrongKey, wrongXApiKey, basic, inTheUrl, publishWithoutKey)) {
      ApiFixture.Response r = api.send(request);
      r.assertError(401, "unauthorized");
      assertEquals("Bearer realm=\"pushline\"", r.headers().firstValue("WWW-Authenticate").orElse(null));
    }
    assertEquals(0, api.server.stats().publications());
  }

  @Test
  void aRequestWithAnOriginHeaderIs403EvenWithTheRightKey() throws Exception {
    api = new ApiFixture();

    ApiFixture.Response r = api.send(api.request("/api/publish").header("Origin", "https://app.example.com")
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"channel\":\"news\",\"event\":\"e\"}")));
    ApiFixture.Response preflight = api.send(api.request("/api/publish").header("Origin", "https://app.example.com")
        .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));

    r.assertError(403, "forbidden");
    preflight.assertError(403, "forbidden");
    assertFalse(preflight.headers().firstValue("Access-Control-Allow-Origin").isPresent());
    assertEquals(0, api.server.stats().publications());
  }

  // --- 404, 405 -----------------------------------------------------------------------------------

  @Test
  void unknownRoutesAre404() throws Exception {
    api = new ApiFixture();
    for (String path : List.of("/api", "/api/", "/api/publish/", "/api/publishes", "/api/channels/news",
        "/api/channels/news/subscribers", "/api/channels/news/history/")) {
      api.get(path).assertError(404, "not_found");
    }
  }

  @Test
  void withoutAnApiKeyThereIsNoApi() throws Exception {
    api = new ApiFixture(PushServer.builder());

    api.post("/api/publish", "{\"channel\":\"news\",\"event\":\"e\"}").assertError(404, "not_found");
    api.get("/api/channels/news/history").assertError(404, "not_found");
  }

  @Test
  void aWrongMethodIs405WithAllow() throws Exception {
    api = new ApiFixture();

    ApiFixture.Response getPublish = api.get("/api/publish");
    ApiFixture.Response postHistory = api.post("/api/channels/news/history", "{}");
    ApiFixture.Response deletePresence = api.send(api.request("/api/channels/news/presence").DELETE());
    ApiFixture.Response headHistory = api.send(api.request("/api/channels/news/history")
        .method("HEAD", HttpRequest.BodyPublishers.noBody()));

    getPublish.assertError(405, "method_not_allowed");
    assertEquals("POST", getPublish.headers().firstValue("Allow").orElse(null));
    postHistory.assertError(405, "method_not_allowed");
    assertEquals("GET", postHistory.headers().firstValue("Allow").orElse(null));
    deletePresence.assertError(405, "method_not_allowed");
    assertEquals(405, headHistory.status());
    assertEquals("GET", headHistory.headers().firstValue("Allow").orElse(null));
  }

  // --- 413, 415 -----------------------------------------------------------------------------------

  /** A publish body of exactly {@code bytes} bytes. */
  private static String bodyOf(int bytes) {
    String head = "{\"channel\":\"big\",\"event\":\"e\",\"data\":\"";
    String tail = "\"}";
    return head + "x".repeat(bytes - head.length() - tail.length()) + tail;
  }

  @Test
  void aBodyOverMaxMessageBytesIs413AndOneAtTheLimitIsPublished() throws Exception {
    api = new ApiFixture(PushServer.builder().apiKey(ApiFixture.KEY).maxMessageBytes(1024));

    ApiFixture.Response atLimit = publish(bodyOf(1024));
    ApiFixture.Response overLimit = publish(bodyOf(1025));
    ApiFixture.Response chunkedOver = api.send(api.request("/api/publish").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofInputStream(
            () -> new java.io.ByteArrayInputStream(bodyOf(1025).getBytes())))); // no length: chunked

    assertEquals(200, atLimit.status(), atLimit.body());
    overLimit.assertError(413, "too_large");
    chunkedOver.assertError(413, "too_large");
    assertEquals(1, api.server.stats().publications());
  }

  @Test
  void aBodyThatIsNotDeclaredJsonIs415() throws Exception {
    api = new ApiFixture();
    String body = "{\"channel\":\"news\",\"event\":\"e\"}";

    for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "application/json; charset=iso-8859-1",
        "application/jsonp")) {
      api.send(api.request("/api/publish").header("Content-Type", type)
          .POST(HttpRequest.BodyPublishers.ofString(body))).assertError(415, "unsupported_media_type");
    }
    api.send(api.request("/api/publish").POST(HttpRequest.BodyPublishers.ofString(body)))
        .assertError(415, "unsupported_media_type");
    assertEquals(0, api.server.stats().publications());
  }

  // --- 429 ----------------------------------------------------------------------------------------

  @Test
  void aKeyOverItsRateIs429WithRetryAfterUntilItsBucketRefills() throws Exception {
    MutableClock clock = new MutableClock();
    String other = "another-key-0123456789";
    api = new ApiFixture(PushServer.builder().apiKey(ApiFixture.KEY).apiKey(other).apiRateLimit(1, 2).clock(clock));

    assertEquals(200, api.get("/api/channels/news/history").status());
    assertEquals(200, api.get("/api/channels/news/history").status());
    ApiFixture.Response limited = api.get("/api/channels/news/history");
    ApiFixture.Response otherKey = api.send(HttpRequest.newBuilder(api.uri("/api/channels/news/history"))
        .header("Authorization", "Bearer " + other));
    clock.advance(Duration.ofSeconds(1));
    ApiFixture.Response refilled = api.get("/api/channels/news/history");

    limited.assertError(429, "rate_limited");
    assertEquals("1", limited.headers().firstValue("Retry-After").orElse(null));
    assertEquals(200, otherKey.status(), "each key has its own bucket");
    assertEquals(200, refilled.status());
  }

  // --- 503 ----------------------------------------------------------------------------------------

  /** A memory broker that fails every call for channel {@code down}. */
  private static final class DownBroker extends ForwardingBroker {
    DownBroker() {
      super(new MemoryBroker());
    }

    @Override
    public CompletableFuture<StreamPosition> publish(String channel, String event, JsonElement data,
        StreamOptions options) {
      return channel.equals("down") ? CompletableFuture.failedFuture(new BrokerException("redis at 10.0.0.7 timed out"))
          : super.publish(channel, event, data, options);
    }

    @Override
    public CompletableFuture<HistoryResult> history(String channel, HistoryQuery query, StreamOptions options) {
      return channel.equals("down") ? CompletableFuture.failedFuture(new BrokerException("redis at 10.0.0.7 timed out"))
          : super.history(channel, query, options);
    }

    @Override
    public CompletableFuture<List<ClientInfo>> presence(String channel) {
      return channel.equals("down") ? CompletableFuture.failedFuture(new BrokerException("redis at 10.0.0.7 timed out"))
          : super.presence(channel);
    }
  }

  @Test
  void aBrokerFailureIs503AndAPartialPublishSaysWhichChannelsWerePublished() throws Exception {
    api = new ApiFixture(PushServer.builder().apiKey(ApiFixture.KEY).broker(new DownBroker())
        .channelOptions(ChannelOptions.DEFAULT.withPresence(true)));

    ApiFixture.Response partial = publish("{\"channels\":[\"up1\",\"down\",\"up2\"],\"event\":\"e\"}");
    ApiFixture.Response history = api.get("/api/channels/down/history");
    ApiFixture.Response presence = api.get("/api/channels/down/presence");

    String message = partial.assertError(503, "unavailable");
    assertFalse(message.contains("10.0.0.7"), "the broker's failure stays in the log: " + message);
    assertEquals("1", partial.headers().firstValue("Retry-After").orElse(null));
    JsonObject body = partial.json();
    assertEquals(Set.of("up1", "up2"), body.getAsJsonObject("published").keySet());
    assertEquals(1, body.getAsJsonObject("published").getAsJsonObject("up2").get("offset").getAsLong());
    assertEquals(List.of("down"), body.getAsJsonArray("failed").asList().stream().map(JsonElement::getAsString).toList());
    assertEquals(1, api.server.channel("up2").offset(), "up2 was published after down failed");
    history.assertError(503, "unavailable");
    presence.assertError(503, "unavailable");
    assertEquals(200, api.get("/api/channels/up1/history").status(), "other channels are unaffected");
  }
}
