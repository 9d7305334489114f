package dev.pushline.internal.http.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.pushline.Channel;
import dev.pushline.ChannelOptions;
import dev.pushline.ClientConnection;
import dev.pushline.ClientInfo;
import dev.pushline.PushServer;
import dev.pushline.client.PushClient;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code GET /api/channels/<channel>/history} and {@code .../presence}. */
class ApiReadTest {

  private ApiFixture api;

  @AfterEach
  void close() {
    if (api != null) {
      api.close();
    }
  }

  private static List<Long> offsets(JsonObject history) {
    JsonArray publications = history.getAsJsonArray("publications");
    return publications.asList().stream().map(p -> p.getAsJsonObject().get("offset").getAsLong()).toList();
  }

  @Test
  void historyAnswersThePositionAndTheLatestPublicationsOldestFirst() throws Exception {
    api = new ApiFixture();
    Channel news = api.server.channel("news");
    for (int i = 1; i <= 5; i++) {
      news.publish("headline", Map.of("n", i));
    }

    ApiFixture.Response r = api.get("/api/channels/news/history?limit=3");

    assertEquals(200, r.status(), r.body());
    JsonObject body = r.json();
    assertEquals("news", body.get("channel").getAsString());
    assertEquals(5, body.get("offset").getAsLong());
    assertEquals(news.epoch(), body.get("epoch").getAsString());
    assertEquals(List.of(3L, 4L, 5L), offsets(body));
    JsonObject third = body.getAsJsonArray("publications").get(0).getAsJsonObject();
    assertEquals("headline", third.get("event").getAsString());
    assertEquals(3, third.getAsJsonObject("data").get("n").getAsInt());
  }

  @Test
  void historyAfterAnOffsetAnswersTheNextOnes() throws Exception {
    api = new ApiFixture();
    Channel news = api.server.channel("news");
    for (int i = 1; i <= 5; i++) {
      news.publish("headline", i);
    }

    assertEquals(List.of(3L, 4L), offsets(api.get("/api/channels/news/history?after=2&limit=2").json()));
    assertEquals(List.of(5L), offsets(api.get("/api/channels/news/history?after=4").json()));
    assertEquals(List.of(), offsets(api.get("/api/channels/news/history?after=5").json()));
  }

  @Test
  void historyLimitDefaultsTo100AndZeroAnswersOnlyThePosition() throws Exception {
    api = new ApiFixture();
    Channel log = api.server.channel("log");
    for (int i = 1; i <= 120; i++) {
      log.publish("line", i);
    }

    List<Long> offsets = offsets(api.get("/api/channels/log/history").json());
    assertEquals(100, offsets.size());
    assertEquals(21L, offsets.get(0));
    JsonObject position = api.get("/api/channels/log/history?limit=0").json();
    assertEquals(120, position.get("offset").getAsLong());
    assertEquals(List.of(), offsets(position));
  }

  @Test
  void historyOfAnUnusedChannelIsEmptyAtOffsetZero() throws Exception {
    api = new ApiFixture();

    JsonObject body = api.get("/api/channels/quiet/history").json();

    assertEquals(0, body.get("offset").getAsLong());
    assertNotNull(body.get("epoch").getAsString());
    assertEquals(List.of(), offsets(body));
  }

  @Test
  void channelNamesWithSlashesColonsAndAtSignsArePercentEncodedOrLiteral() throws Exception {
    api = new ApiFixture();
    api.server.channel("chat/room:1@eu").publish("m", 1);
    api.server.channel("a+b=c$d~e").publish("m", 2);

    JsonObject encoded = api.get("/api/channels/chat%2Froom%3A1%40eu/history").json();
    JsonObject literal = api.get("/api/channels/chat/room:1@eu/history").json();
    JsonObject plus = api.get("/api/channels/a+b=c$d~e/history").json();

    assertEquals("chat/room:1@eu", encoded.get("channel").getAsString());
    assertEquals(List.of(1L), offsets(encoded));
    assertEquals("chat/room:1@eu", literal.get("channel").getAsString());
    assertEquals("a+b=c$d~e", plus.get("channel").getAsString(), "+ is a plus sign in the path");
    assertEquals(List.of(1L), offsets(plus));
  }

  @Test
  void presenceListsTheChannelsSubscribers() throws Exception {
    api = new ApiFixture(PushServer.builder().apiKey(ApiFixture.KEY)
        .channelOptions("room", ChannelOptions.DEFAULT.withPresence(true)));
    PushClient client = api.client();
    BlockingQueue<ClientInfo> joins = new LinkedBlockingQueue<>();
    client.subscribe("room:lobby", new PushClient.SubscribeOptions(0).withJoinLeave(new PushClient.PresenceListener() {
      @Override
      public void onJoin(String channel, ClientInfo c) {
        joins.add(c);
      }

      @Override
      public void onLeave(String channel, ClientInfo c) {}
    }), new PushClient.SubscriptionHandler() {
      @Override
      public void onSubscribed(String channel, PushClient.StreamPosition position, PushClient.Recovery recovery) {}

      @Override
      public void onPublication(dev.pushline.Publication publication) {}
    }).get(10, TimeUnit.SECONDS);
    ClientInfo me = joins.poll(10, TimeUnit.SECONDS); // its own join: announced after its presence entry
    assertNotNull(me, "no join within 10 s");

    ApiFixture.Response r = api.get("/api/channels/room:lobby/presence");

    assertEquals(200, r.status(), r.body());
    ClientConnection connection = api.server.connections().get(0);
    assertEquals("room:lobby", r.json().get("channel").getAsString());
    JsonArray clients = r.json().getAsJsonArray("clients");
    assertEquals(1, clients.size(), r.body());
    JsonObject c = clients.get(0).getAsJsonObject();
    assertEquals(connection.id(), c.get("client").getAsString());
    assertEquals("", c.get("user").getAsString());
    assertEquals(true, c.get("info").isJsonNull());
  }

  @Test
  void presenceOfAnEmptyPresenceChannelIsAnEmptyList() throws Exception {
    api = new ApiFixture(PushServer.builder().apiKey(ApiFixture.KEY)
        .channelOptions(ChannelOptions.DEFAULT.withPresence(true)));

    ApiFixture.Response r = api.get("/api/channels/nobody/presence");

    assertEquals(200, r.status(), r.body());
    assertEquals(0, r.json().getAsJsonArray("clients").size());
  }

  @Test
  void presenceOfAChannelWithoutPresenceIs404PresenceDisabled() throws Exception {
    api = new ApiFixture();

    String message = api.get("/api/channels/news/presence").assertError(404, "presence_disabled");

    assertEquals(true, message.contains("news"), message);
  }
}
