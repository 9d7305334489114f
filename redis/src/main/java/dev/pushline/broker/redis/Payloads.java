package dev.pushline.broker.redis;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.pushline.ClientInfo;
import dev.pushline.Publication;

/**
 * The JSON the broker stores in Redis and sends over pub/sub. A publication is
 * {@code {"type":"pub","event":...,"data":...,"offset":N,"epoch":"..."}} (the script appends offset and
 * epoch, which only it knows); a join or leave is {@code {"type":"join","client":{...}}}; a presence entry
 * is the client object alone: {@code {"clientId":...,"userId":...,"info":...}}.
 *
 * <p>Stateless; thread-safe.
 */
final class Payloads {

  static final String PUBLICATION = "pub";
  static final String JOIN = "join";
  static final String LEAVE = "leave";

  private static final Gson GSON = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();

  private Payloads() {}

  /** A publication's payload without offset, epoch and the closing brace: publish.lua completes it. */
  static String publicationHead(String event, JsonElement data) {
    return "{\"type\":\"" + PUBLICATION + "\",\"event\":" + GSON.toJson(new JsonPrimitive(event))
        + ",\"data\":" + GSON.toJson(data);
  }

  static String presenceEvent(String type, ClientInfo client) {
    JsonObject message = new JsonObject();
    message.addProperty("type", type);
    message.add("client", clientJson(client));
    return GSON.toJson(message);
  }

  static String client(ClientInfo client) {
    return GSON.toJson(clientJson(client));
  }

  static JsonObject parse(String json) {
    return JsonParser.parseString(json).getAsJsonObject();
  }

  static Publication publication(String channel, JsonObject message) {
    JsonElement data = message.get("data");
    return new Publication(channel, message.get("offset").getAsLong(), message.get("event").getAsString(),
        data == null ? JsonNull.INSTANCE : data);
  }

  static String epoch(JsonObject message) {
    return message.get("epoch").getAsString();
  }

  static ClientInfo client(JsonObject client) {
    return new ClientInfo(client.get("clientId").getAsString(), client.get("userId").getAsString(),
        client.get("info"));
  }

  private static JsonObject clientJson(ClientInfo client) {
    JsonObject json = new JsonObject();
    json.addProperty("clientId", client.clientId());
    json.addProperty("userId", client.userId());
    json.add("info", client.info());
    return json;
  }
}
