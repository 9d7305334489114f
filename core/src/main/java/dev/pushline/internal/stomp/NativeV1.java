package dev.pushline.internal.stomp;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;

/**
 * The protocol v1 side of the STOMP adapter: writes the JSON requests the engine reads, and reads the JSON
 * the engine sends. The only class of this package that touches Gson.
 *
 * <p>Thread-safe (stateless).
 */
final class NativeV1 {

  private NativeV1() {}

  /**
   * What the engine sent, as far as the adapter needs it. Absent strings are null, absent numbers -1.
   *
   * @param data a publication's {@code data} as JSON text
   */
  record Message(String type, long id, String channel, long offset, String epoch, String event, String data,
      String code, String message, String client, Boolean recovered) {}

  static Message parse(String text) {
    JsonObject o = JsonParser.parseString(text).getAsJsonObject();
    JsonElement data = o.get("data");
    JsonElement recovered = o.get("recovered");
    return new Message(string(o, "type"), number(o, "id"), string(o, "channel"), number(o, "offset"),
        string(o, "epoch"), string(o, "event"), data == null ? null : data.toString(), string(o, "code"),
        string(o, "message"), string(o, "client"),
        recovered instanceof JsonPrimitive p && p.isBoolean() ? p.getAsBoolean() : null);
  }

  /** A string (or number) field; null when absent or not a primitive (a join event's {@code client} object). */
  private static String string(JsonObject o, String name) {
    JsonElement e = o.get(name);
    return e instanceof JsonPrimitive p ? p.getAsString() : null;
  }

  private static long number(JsonObject o, String name) {
    JsonElement e = o.get(name);
    return e instanceof JsonPrimitive p && p.isNumber() ? p.getAsLong() : -1;
  }

  static String connect(long id, String token) {
    JsonObject o = request("connect", id);
    if (token != null) {
      o.addProperty("token", token);
    }
    return o.toString();
  }

  /**
   * A subscribe request.
   *
   * @param history the last publications to send first, 0 for none
   * @param sinceEpoch with {@code sinceOffset}, where to resume; null for a fresh subscription
   */
  static String subscribe(long id, String channel, long history, String sinceEpoch, long sinceOffset) {
    JsonObject o = request("subscribe", id);
    o.addProperty("channel", channel);
    if (history > 0) {
      o.addProperty("history", history);
    }
    if (sinceEpoch != null) {
      JsonObject since = new JsonObject();
      since.addProperty("offset", sinceOffset);
      since.addProperty("epoch", sinceEpoch);
      o.add("since", since);
    }
    return o.toString();
  }

  static String unsubscribe(long id, String channel) {
    JsonObject o = request("unsubscribe", id);
    o.addProperty("channel", channel);
    return o.toString();
  }

  /**
   * A publish request whose {@code data} is {@code body} parsed as JSON when {@code json} is true and it
   * parses (strictly, one value), else {@code body} as a JSON string.
   */
  static String publish(long id, String channel, String event, String body, boolean json) {
    JsonObject o = request("publish", id);
    o.addProperty("channel", channel);
    o.addProperty("event", event);
    JsonElement data = json ? parseJson(body) : null;
    o.add("data", data != null ? data : new JsonPrimitive(body));
    return o.toString();
  }

  /** {@code text} as one strict JSON value, or null when it is not one. */
  static JsonElement parseJson(String text) {
    JsonReader reader = new JsonReader(new StringReader(text));
    reader.setStrictness(Strictness.STRICT);
    try {
      JsonElement value = JsonParser.parseReader(reader);
      return reader.peek() == JsonToken.END_DOCUMENT ? value : null;
    } catch (JsonParseException | IOException | StackOverflowError e) {
      return null; // not JSON (or nested too deeply to read): published as a string instead
    }
  }

  private static JsonObject request(String type, long id) {
    JsonObject o = new JsonObject();
    o.addProperty("type", type);
    o.addProperty("id", id);
    return o;
  }
}
