package dev.pushline.internal.http.api;

import static dev.pushline.internal.http.api.ApiFixture.next;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pushline.Publication;
import dev.pushline.PushServer;
import dev.pushline.ServerStats;
import dev.pushline.testing.Threads;
import java.net.http.HttpRequest;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code POST /api/publish}: what it answers, and what subscribers receive. */
class ApiPublishTest {

  private ApiFixture api;

  @AfterEach
  void close() {
    if (api != null) {
      api.close();
    }
  }

  @Test
  void publishAnswersOffsetAndEpochAndTheSubscriberReceivesThePublication() throws Exception {
    api = new ApiFixture();
    BlockingQueue<Publication> news = api.subscriber("news");

    ApiFixture.Response r = api.post("/api/publish",
        "{\"channel\":\"news\",\"event\":\"headline\",\"data\":{\"title\":\"Hello\",\"n\":1.50}}");

    assertEquals(200, r.status(), r.body());
    assertTrue(r.headers().firstValue("Content-Type").orElseThrow().startsWith("application/json"));
    JsonObject position = r.json().getAsJsonObject("published").getAsJsonObject("news");
    assertEquals(1, position.get("offset").getAsLong());
    assertEquals(api.server.channel("news").epoch(), position.get("epoch").getAsString());
    Publication p = next(news);
    assertEquals(1, p.offset());
    assertEquals("headline", p.event());
    assertEquals("{\"title\":\"Hello\",\"n\":1.50}", p.data().toString(), "data passes through as sent");
  }

  @Test
  void subscriberReceivesApiPublicationsInOrder() throws Exception {
    api = new ApiFixture();
    BlockingQueue<Publication> ticks = api.subscriber("ticks");

    for (int i = 1; i <= 30; i++) {
      ApiFixture.Response r = api.post("/api/publish", "{\"channel\":\"ticks\",\"event\":\"tick\",\"data\":" + i + "}");
      assertEquals(i, r.json().getAsJsonObject("published").getAsJsonObject("ticks").get("offset").getAsLong());
    }

    for (int i = 1; i <= 30; i++) {
      Publication p = next(ticks);
      assertEquals(i, p.offset());
      assertEquals(i, p.data().getAsInt());
    }
  }

  @Test
  void publishToSeveralChannelsReachesTheSubscribersOfEach() throws Exception {
    api = new ApiFixture();
    api.server.channel("chat/room1").publish("earlier", null); // its stream is one ahead
    BlockingQueue<Publication> alerts = api.subscriber("alerts");
    BlockingQueue<Publication> room = api.subscriber("chat/room1");

    ApiFixture.Response r = api.post("/api/publish",
        "{\"channels\":[\"alerts\",\"chat/room1\",\"ops:eu@west\"],\"event\":\"notice\",\"data\":[1,2]}");

    assertEquals(200, r.status(), r.body());
    JsonObject published = r.json().getAsJsonObject("published");
    assertEquals(Set.of("alerts", "chat/room1", "ops:eu@west"), published.keySet());
    assertEquals(1, published.getAsJsonObject("alerts").get("offset").getAsLong());
    assertEquals(2, published.getAsJsonObject("chat/room1").get("offset").getAsLong());
    assertEquals(1, published.getAsJsonObject("ops:eu@west").get("offset").getAsLong());
    Publication a = next(alerts);
    assertEquals("notice", a.event());
    assertEquals(JsonParser.parseString("[1,2]"), a.data());
    Publication b = next(room);
    assertEquals(2, b.offset());
    assertEquals("notice", b.event());
    assertEquals(1, api.server.channel("ops:eu@west").history().size());
  }

  @Test
  void publishWithoutDataPublishesNull() throws Exception {
    api = new ApiFixture();
    BlockingQueue<Publication> news = api.subscriber("news");

    assertEquals(200, api.post("/api/publish", "{\"channel\":\"news\",\"event\":\"ping\"}").status());

    assertEquals(JsonNull.INSTANCE, next(news).data());
  }

  @Test
  void apiPublicationsCountAsHostPublications() throws Exception {
    api = new ApiFixture();

    api.post("/api/publish", "{\"channels\":[\"a\",\"b\"],\"event\":\"e\",\"data\":1}");

    ServerStats stats = api.server.stats();
    assertEquals(2, stats.publications());
    assertEquals(0, stats.clientPublications());
  }

  @Test
  void theKeyMayComeInXApiKeyAndEveryConfiguredKeyIsAccepted() throws Exception {
    String second = "second-key-with-sixteen-plus-chars";
    api = new ApiFixture(PushServer.builder().apiKey(ApiFixture.KEY).apiKey(second));

    HttpRequest.Builder viaHeader = HttpRequest.newBuilder(api.uri("/api/publish"))
        .header("X-Api-Key", second).header("Content-Type", "application/json; charset=utf-8")
        .POST(HttpRequest.BodyPublishers.ofString("{\"channel\":\"a\",\"event\":\"e\"}"));
    assertEquals(200, api.send(viaHeader).status());
    HttpRequest.Builder lowercaseScheme = HttpRequest.newBuilder(api.uri("/api/publish"))
        .header("Authorization", "bearer " + second).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"channel\":\"a\",\"event\":\"e\"}"));
    assertEquals(200, api.send(lowercaseScheme).status());
    assertEquals(200, api.post("/api/publish", "{\"channel\":\"a\",\"event\":\"e\"}").status());
  }

  @Test
  void closingTheServerEndsTheApiThreads() throws Exception {
    Set<String> before = Threads.serverThreads();
    api = new ApiFixture();
    api.post("/api/publish", "{\"channel\":\"a\",\"event\":\"e\"}");
    api.get("/api/channels/a/history");

    api.close();
    api = null;

    assertEquals(Set.of(), Threads.startedSince(before));
  }
}
