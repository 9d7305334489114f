package dev.pushline.internal.http.api;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.pushline.internal.HostChannels;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The body of {@code POST /api/publish}: {@code {"channel":"news","event":"headline","data":...}}, or
 * {@code "channels":[...]} instead of {@code "channel"}. Strict: UTF-8, strict JSON, no unknown fields.
 *
 * @param channels the channels to publish to, in the order given, without repeats
 * @param event the event name
 * @param data the payload; {@code JsonNull} when absent
 *
 * <p>Immutable; thread-safe.
 */
record PublishRequest(List<String> channels, String event, JsonElement data) {

  /** The most channels one request may publish to. */
  static final int MAX_CHANNELS = 100;

  private static final Set<String> FIELDS = Set.of("channel", "channels", "event", "data");

  /**
   * Parses a request body.
   *
   * @throws ApiError 400 {@code bad_request} naming what is wrong
   */
  static PublishRequest parse(byte[] body) {
    JsonObject o = parseObject(body);
    for (String name : o.keySet()) {
      if (!FIELDS.contains(name)) {
        throw ApiError.badRequest("unknown field \"" + clip(name) + "\"; the fields are channel or channels, "
            + "event and data");
      }
    }
    List<String> channels;
    if (o.has("channel") == o.has("channels")) {
      throw ApiError.badRequest("give either \"channel\" (a string) or \"channels\" (an array of strings)");
    } else if (o.has("channel")) {
      channels = List.of(channel(o.get("channel"), "channel"));
    } else {
      channels = channels(o.get("channels"));
    }
    JsonElement event = o.get("event");
    if (event == null || !event.isJsonPrimitive() || !event.getAsJsonPrimitive().isString()) {
      throw ApiError.badRequest("field \"event\" must be a string");
    }
    String problem = HostChannels.eventProblem(event.getAsString());
    if (problem != null) {
      throw ApiError.badRequest(problem);
    }
    JsonElement data = o.has("data") ? o.get("data") : JsonNull.INSTANCE;
    return new PublishRequest(channels, event.getAsString(), data);
  }

  private static List<String> channels(JsonElement value) {
    if (!value.isJsonArray()) {
      throw ApiError.badRequest("field \"channels\" must be an array of channel names");
    }
    JsonArray array = value.getAsJsonArray();
    if (array.isEmpty() || array.size() > MAX_CHANNELS) {
      throw ApiError.badRequest("\"channels\" has " + array.size() + " names; it must have 1 to " + MAX_CHANNELS);
    }
    Set<String> names = new LinkedHashSet<>();
    for (int i = 0; i < array.size(); i++) {
      String name = channel(array.get(i), "channels[" + i + "]");
      if (!names.add(name)) {
        throw ApiError.badRequest("channel \"" + name + "\" is listed twice in \"channels\"");
      }
    }
    return List.copyOf(names);
  }

  private static String channel(JsonElement value, String field) {
    if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
      throw ApiError.badRequest("field \"" + field + "\" must be a string");
    }
    String name = value.getAsString();
    String problem = HostChannels.channelProblem(name);
    if (problem != null) {
      throw ApiError.badRequest(field + ": " + problem);
    }
    return name;
  }

  /** Strict JSON: UTF-8, no comments or unquoted names, nothing after the value, an object. */
  private static JsonObject parseObject(byte[] body) {
    if (body.length == 0) {
      throw ApiError.badRequest("the body is empty; it must be a JSON object");
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(body)).toString();
    } catch (CharacterCodingException e) {
      throw ApiError.badRequest("the body is not valid UTF-8");
    }
    JsonReader reader = new JsonReader(new StringReader(text));
    reader.setStrictness(Strictness.STRICT);
    JsonElement element;
    try {
      element = JsonParser.parseReader(reader);
      if (reader.peek() != JsonToken.END_DOCUMENT) {
        throw ApiError.badRequest("malformed JSON: more data after the value");
      }
    } catch (JsonParseException | IOException | StackOverflowError e) {
      Throwable reason = e.getCause() != null ? e.getCause() : e; // Gson wraps the reader's exception
      String message = String.valueOf(reason.getMessage());
      throw ApiError.badRequest("malformed JSON: " + (message.length() <= 200 ? message : message.substring(0, 200)));
    }
    if (!element.isJsonObject()) {
      throw ApiError.badRequest("the body must be a JSON object");
    }
    return element.getAsJsonObject();
  }

  /** Shortens a client-supplied string for an error message. */
  static String clip(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...(" + s.length() + " chars)";
  }
}
