package dev.pushline.internal;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringReader;
import java.util.List;

/**
 * Protocol v1's JSON: parses requests strictly and writes server frames. The only engine class that
 * touches Gson's streaming API.
 *
 * <p>Thread-safe.
 */
final class Codec {

  /** Largest {@code id} a client may use: 2^53, the largest integer JavaScript numbers hold exactly. */
  static final long MAX_ID = 1L << 53;

  /**
   * Every {@code error} code of protocol v1, in the order of the table in {@code protocol.md}. The metrics
   * count each from zero; a test checks this list against the document.
   */
  static final List<String> ERROR_CODES = List.of("bad_request", "unknown_type",
      "invalid_channel", "already_subscribed", "not_subscribed", "limit_exceeded", "forbidden",
      "unauthorized", "token_expired", "rate_limited", "unavailable", "cancelled", "presence_disabled",
      "method_not_found", "timeout", "internal");

  private static final java.util.regex.Pattern TOKEN_FIELD =
      java.util.regex.Pattern.compile("(\"token\"\\s*:\\s*\")(?:[^\"\\\\]|\\\\.)*\"");

  /** {@code text} with the value of any {@code "token"} field replaced, for logs. */
  static String redactToken(String text) {
    return text.contains("\"token\"") ? TOKEN_FIELD.matcher(text).replaceAll("$1(redacted)\"") : text;
  }

  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

  private Codec() {}

  /** Converts host data to JSON; a {@code JsonElement} is taken as is, null becomes JSON null. */
  static JsonElement toJson(Object data) {
    if (data == null) {
      return JsonNull.INSTANCE;
    }
    if (data instanceof JsonElement element) {
      return element;
    }
    JsonElement json;
    try {
      json = GSON.toJsonTree(data);
    } catch (RuntimeException | StackOverflowError e) {
      throw new IllegalArgumentException(
          "data of type " + data.getClass().getName() + " cannot be serialised to JSON: " + e, e);
    }
    if (json.isJsonNull()) {
      // Gson writes anonymous and local classes as null; refuse rather than publish a silent null.
      throw new IllegalArgumentException("data of type " + data.getClass().getName()
          + " serialises to null (Gson skips anonymous and local classes); use a record, a class or a Map");
    }
    return json;
  }

  /**
   * Parses one request. Strict JSON: no comments, no unquoted names, nothing after the value.
   *
   * @throws BadRequest when {@code text} is not a strict JSON object
   */
  static JsonObject parseObject(String text) {
    JsonReader reader = new JsonReader(new StringReader(text));
    reader.setStrictness(Strictness.STRICT);
    JsonElement element;
    try {
      element = JsonParser.parseReader(reader);
      if (reader.peek() != JsonToken.END_DOCUMENT) {
        throw new BadRequest("bad_request", "malformed JSON: more data after the value");
      }
    } catch (JsonParseException | IOException | StackOverflowError e) {
      throw new BadRequest("bad_request", "malformed JSON: " + Names.clip(String.valueOf(e.getMessage())));
    }
    if (!element.isJsonObject()) {
      throw new BadRequest("bad_request", "a request must be a JSON object");
    }
    return element.getAsJsonObject();
  }

  /** The request's {@code id}, or -1 when it has none. */
  static long id(JsonObject request) {
    return nonNegative(request.get("id"), "id", MAX_ID);
  }

  /** The string field {@code name}, or a {@link BadRequest} naming it. */
  static String string(JsonObject request, String name) {
    JsonElement value = request.get(name);
    if (value == null || value.isJsonNull()) {
      throw new BadRequest("bad_request", "field \"" + name + "\" is missing");
    }
    if (!(value instanceof JsonPrimitive p) || !p.isString()) {
      throw new BadRequest("bad_request", "field \"" + name + "\" must be a string");
    }
    return p.getAsString();
  }

  /** The request's {@code since} position, or null when it has none. */
  static ChannelState.Since since(JsonObject request) {
    JsonElement since = request.get("since");
    if (since == null || since.isJsonNull()) {
      return null;
    }
    if (!since.isJsonObject()) {
      throw new BadRequest("bad_request", "since must be an object {\"offset\":N,\"epoch\":\"...\"}");
    }
    JsonObject o = since.getAsJsonObject();
    long offset = nonNegative(o.get("offset"), "since.offset", MAX_ID);
    if (offset < 0) {
      throw new BadRequest("bad_request", "since.offset is missing");
    }
    return new ChannelState.Since(offset, string(o, "epoch"));
  }

  /** Whether the request asks for join and leave events ({@code "joinLeave":true}). */
  static boolean joinLeave(JsonObject request) {
    JsonElement v = request.get("joinLeave");
    if (v == null || v.isJsonNull()) {
      return false;
    }
    if (!(v instanceof JsonPrimitive p) || !p.isBoolean()) {
      throw new BadRequest("bad_request", "joinLeave must be true or false");
    }
    return p.getAsBoolean();
  }

  /** The request's {@code history} count, 0 when it has none. */
  static int historyCount(JsonObject request) {
    long n = nonNegative(request.get("history"), "history", 1_000_000);
    return (int) Math.max(0, n);
  }

  /** A non-negative integer field up to {@code max}, or -1 when absent. */
  private static long nonNegative(JsonElement value, String name, long max) {
    if (value == null || value.isJsonNull()) {
      return -1;
    }
    if (value instanceof JsonPrimitive p && p.isNumber()) {
      try {
        long v = p.getAsBigDecimal().longValueExact();
        if (v >= 0 && v <= max) {
          return v;
        }
      } catch (ArithmeticException | NumberFormatException e) {
        // not an integer: reported below
      }
    }
    throw new BadRequest("bad_request", name + " must be an integer from 0 to " + max);
  }

  static String welcome(String clientId, int maxMessageBytes, int maxSubscriptions, long pingIntervalMs) {
    return JsonObjects.write(w -> {
      w.name("type").value("welcome").name("client").value(clientId).name("protocol").value(1)
          .name("maxMessageBytes").value(maxMessageBytes).name("maxSubscriptions").value(maxSubscriptions)
          .name("pingIntervalMs").value(pingIntervalMs);
    });
  }

  static String publication(String channel, long offset, String event, JsonElement data) {
    return JsonObjects.write(w -> {
      w.name("type").value("publication").name("channel").value(channel).name("offset").value(offset)
          .name("event").value(event).name("data");
      GSON.toJson(data, w);
    });
  }

  static String message(String event, JsonElement data) {
    return JsonObjects.write(w -> {
      w.name("type").value("message").name("event").value(event).name("data");
      GSON.toJson(data, w);
    });
  }

  static String subscribed(long id, String channel, long offset, String epoch, Boolean recovered) {
    return JsonObjects.write(w -> {
      w.name("type").value("subscribed");
      id(w, id);
      w.name("channel").value(channel).name("offset").value(offset).name("epoch").value(epoch);
      if (recovered != null) {
        w.name("recovered").value(recovered);
      }
    });
  }

  static String unsubscribed(long id, String channel) {
    return JsonObjects.write(w -> {
      w.name("type").value("unsubscribed");
      id(w, id);
      w.name("channel").value(channel);
    });
  }

  static String published(long id, String channel, long offset, String epoch) {
    return JsonObjects.write(w -> {
      w.name("type").value("published");
      id(w, id);
      w.name("channel").value(channel).name("offset").value(offset).name("epoch").value(epoch);
    });
  }

  static String refreshed(long id, java.time.Instant expiresAt) {
    return JsonObjects.write(w -> {
      w.name("type").value("refreshed");
      id(w, id);
      // Credentials valid past the last millisecond a long counts (Instant.MAX) are sent as never expiring.
      if (expiresAt != null && expiresAt.isBefore(java.time.Instant.ofEpochMilli(Long.MAX_VALUE))) {
        w.name("expiresAt").value(expiresAt.toEpochMilli());
      }
    });
  }

  static String presenceEvent(String type, String channel, dev.pushline.ClientInfo client) {
    return JsonObjects.write(w -> {
      w.name("type").value(type).name("channel").value(channel).name("client");
      clientInfo(w, client);
    });
  }

  static String presence(long id, String channel, List<dev.pushline.ClientInfo> clients) {
    return JsonObjects.write(w -> {
      w.name("type").value("presence");
      id(w, id);
      w.name("channel").value(channel).name("clients").beginArray();
      for (dev.pushline.ClientInfo c : clients) {
        clientInfo(w, c);
      }
      w.endArray();
    });
  }

  private static void clientInfo(JsonWriter w, dev.pushline.ClientInfo c) throws IOException {
    w.beginObject().name("client").value(c.clientId()).name("user").value(c.userId()).name("info");
    GSON.toJson(c.info(), w);
    w.endObject();
  }

  static String pong(long id) {
    return JsonObjects.write(w -> {
      w.name("type").value("pong");
      id(w, id);
    });
  }

  /** The reply to an {@code rpc} request that succeeded: its result as {@code data}. */
  static String rpcResult(long id, JsonElement data) {
    return JsonObjects.write(w -> {
      w.name("type").value("rpc");
      id(w, id);
      w.name("data");
      GSON.toJson(data, w);
    });
  }

  static String error(long id, String code, String message) {
    return JsonObjects.write(w -> {
      w.name("type").value("error");
      id(w, id);
      w.name("code").value(code).name("message").value(message);
    });
  }

  private static void id(JsonWriter w, long id) throws IOException {
    if (id >= 0) {
      w.name("id").value(id);
    }
  }


  /** A request the server refuses: becomes an {@code error} reply with {@link #code}. */
  static final class BadRequest extends RuntimeException {
    final String code;

    BadRequest(String code, String message) {
      super(message, null, false, false);
      this.code = code;
    }
  }
}
