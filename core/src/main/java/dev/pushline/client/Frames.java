package dev.pushline.client;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.pushline.PushException;
import dev.pushline.internal.JsonObjects;
import dev.pushline.internal.Utf8;
import java.io.IOException;
import java.math.BigDecimal;

/**
 * Protocol v1's JSON as the client speaks it: writes requests, reads server frames leniently. Reading
 * never throws for a missing or mistyped field: the accessors return a marker value and the caller
 * decides, so that frames with fields added by later protocol versions are still understood.
 *
 * <p>Thread-safe.
 */
final class Frames {

  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

  private Frames() {}

  /** Converts application data to JSON: a {@code JsonElement} is taken as is, null becomes JSON null. */
  static JsonElement toJson(Object data) {
    if (data == null) {
      return JsonNull.INSTANCE;
    }
    if (data instanceof JsonElement element) {
      return element;
    }
    try {
      return GSON.toJsonTree(data);
    } catch (RuntimeException | StackOverflowError e) {
      throw new IllegalArgumentException(
          "data of type " + data.getClass().getName() + " cannot be serialised to JSON: " + e, e);
    }
  }

  static String subscribe(long id, String channel) {
    return subscribe(id, channel, null, 0, false);
  }

  /**
   * A {@code subscribe} request.
   *
   * @param since where to resume from, or null for a fresh subscription
   * @param history how many of the latest publications to ask for when not resuming; 0 for none
   * @param joinLeave whether to ask for the channel's join and leave events
   */
  static String subscribe(long id, String channel, PushClient.StreamPosition since, int history,
      boolean joinLeave) {
    return JsonObjects.write(w -> {
      w.name("type").value("subscribe").name("id").value(id).name("channel").value(channel);
      if (since != null) {
        w.name("since").beginObject().name("offset").value(since.offset()).name("epoch").value(since.epoch())
            .endObject();
      }
      if (history > 0) {
        w.name("history").value(history);
      }
      if (joinLeave) {
        w.name("joinLeave").value(true);
      }
    });
  }

  static String unsubscribe(long id, String channel) {
    return JsonObjects.write(w -> w.name("type").value("unsubscribe").name("id").value(id).name("channel").value(channel));
  }

  /** A {@code presence} request. */
  static String presence(long id, String channel) {
    return JsonObjects.write(w -> w.name("type").value("presence").name("id").value(id)
        .name("channel").value(channel));
  }

  /** A {@code refresh} request carrying new credentials. */
  static String refresh(long id, String token) {
    return JsonObjects.write(w -> w.name("type").value("refresh").name("id").value(id).name("token").value(token));
  }

  /** A {@code publish} request with id {@code id} and a body from {@link #publishBody}. */
  static String publish(long id, String body) {
    return PUBLISH_PREFIX + id + body;
  }

  private static final String PUBLISH_PREFIX = "{\"type\":\"publish\",\"id\":";

  /**
   * What follows the id in a {@code publish} request, so that a request is encoded once, when it is
   * made, and only its id is added when it is sent.
   *
   * @throws IllegalArgumentException if a string in it is not well-formed UTF-16
   */
  static String publishBody(String channel, String event, JsonElement data) {
    String whole = JsonObjects.write(w -> {
      w.name("type").value("publish").name("id").value(0).name("channel").value(channel)
          .name("event").value(event).name("data");
      GSON.toJson(data, w);
    });
    requireWellFormed("publish request", whole);
    return whole.substring(PUBLISH_PREFIX.length() + 1);
  }

  /** An {@code rpc} request with id {@code id} and a body from {@link #rpcBody}. */
  static String rpc(long id, String body) {
    return RPC_PREFIX + id + body;
  }

  private static final String RPC_PREFIX = "{\"type\":\"rpc\",\"id\":";

  /**
   * What follows the id in an {@code rpc} request, encoded once, when the call is made.
   *
   * @throws IllegalArgumentException if a string in it is not well-formed UTF-16
   */
  static String rpcBody(String method, JsonElement data) {
    String whole = JsonObjects.write(w -> {
      w.name("type").value("rpc").name("id").value(0).name("method").value(method).name("data");
      GSON.toJson(data, w);
    });
    requireWellFormed("rpc request", whole);
    return whole.substring(RPC_PREFIX.length() + 1);
  }

  /**
   * An rpc result converted to {@code type}.
   *
   * @throws PushException (code null) when it does not fit
   */
  static <T> T fromJson(JsonElement result, Class<T> type, String method) {
    try {
      return GSON.fromJson(result, type);
    } catch (JsonParseException e) {
      throw new PushException("the result of \"" + clip(method) + "\" is not a " + type.getName(), e);
    }
  }

  /** Shortens a string for an exception message. */
  static String clip(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...(" + s.length() + " chars)";
  }

  /**
   * Checks that {@code text} can be encoded as UTF-8: no lone surrogate. WebSocket fails a send of
   * malformed text with an I/O error, which would drop the connection (and, for a subscription, drop it
   * again after every reconnect).
   *
   * @throws IllegalArgumentException naming {@code what} and the index of the lone surrogate
   */
  static String requireWellFormed(String what, String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new IllegalArgumentException(what + " has a lone surrogate \\u"
            + Integer.toHexString(c) + " at index " + i + "; it cannot be sent as UTF-8");
      }
    }
    return text;
  }

  /**
   * Parses one server frame.
   *
   * @return the frame, or null when it is JSON but not an object
   * @throws JsonParseException when it is not JSON
   */
  static JsonObject parse(String text) {
    JsonElement element = JsonParser.parseString(text);
    return element.isJsonObject() ? element.getAsJsonObject() : null;
  }

  /** The string field {@code name}, or null when it is missing or not a string. */
  static String string(JsonObject frame, String name) {
    return frame.get(name) instanceof JsonPrimitive p && p.isString() ? p.getAsString() : null;
  }

  /** The non-negative integer field {@code name}, or -1 when it is missing or not such a number. */
  static long number(JsonObject frame, String name) {
    if (frame.get(name) instanceof JsonPrimitive p && p.isNumber()) {
      String digits = p.getAsString();
      long value;
      try {
        value = Long.parseLong(digits); // the common case, without allocating a BigDecimal
      } catch (NumberFormatException notPlain) {
        try {
          value = new BigDecimal(digits).longValueExact(); // 12.0, 1e3
        } catch (ArithmeticException | NumberFormatException e) {
          return -1; // a fraction or out of range: the caller treats it as missing
        }
      }
      return value >= 0 ? value : -1;
    }
    return -1;
  }

  /** The boolean field {@code name}, or null when it is missing or not a boolean. */
  static Boolean bool(JsonObject frame, String name) {
    return frame.get(name) instanceof JsonPrimitive p && p.isBoolean() ? p.getAsBoolean() : null;
  }

  /** The field {@code name} as JSON; JSON null when it is missing. */
  static JsonElement element(JsonObject frame, String name) {
    JsonElement value = frame.get(name);
    return value == null ? JsonNull.INSTANCE : value;
  }

  /**
   * Null if a server that accepts at most {@code maxMessageBytes} accepts {@code text}, else why not.
   *
   * @param what the request, for the message: {@code "cannot " + what + ": ..."}
   */
  static PushException oversize(String text, String what, long maxMessageBytes) {
    if (text.length() * 3L <= maxMessageBytes) {
      return null;
    }
    long bytes = utf8Length(text);
    if (bytes <= maxMessageBytes) {
      return null;
    }
    return new PushException("cannot " + what + ": the request is " + bytes
        + " bytes; the server accepts at most " + maxMessageBytes);
  }

  /** The offset of a {@code published} reply. */
  static Long publishedOffset(JsonObject reply) {
    long offset = number(reply, "offset");
    if (offset < 1) {
      throw new PushException("the published reply has no valid offset");
    }
    return offset;
  }

  /** The UTF-8 length of {@code text}, without encoding it. */
  static long utf8Length(String text) {
    return Utf8.length(text);
  }

}
