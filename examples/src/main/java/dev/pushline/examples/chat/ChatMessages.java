package dev.pushline.examples.chat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.pushline.Channel;
import dev.pushline.RpcCall;
import dev.pushline.RpcException;
import dev.pushline.RpcHandler;
import dev.pushline.auth.ChannelAuthorizer;
import dev.pushline.auth.Principal;
import java.time.Clock;
import java.util.Objects;
import java.util.function.Function;

/**
 * Sends a chat message: the handler of the {@code rpc} {@value #METHOD}, which pages call with
 * {@code {"channel": "room:lobby", "text": "hi"}}. It publishes event {@value #EVENT} to that channel with
 * {@code {"user": <the caller's user name>, "text": ..., "sentAt": <epoch ms>}} and answers
 * {@code {"offset": n}}.
 *
 * <h2>The sender is the caller</h2>
 * The user name in a message is the {@link Principal#userId()} of the connection that called, which the
 * server took from its verified token; a {@code user} in the request is refused unless it is that same name
 * ({@code forbidden}), so no page can send as someone else.
 *
 * <h2>Errors</h2>
 * Answered with an {@code error} of these codes, each with a message for the user:
 * <ul>
 *   <li>{@code forbidden}: a channel the caller may not subscribe to (the {@link RoomAuthorizer}'s rule: a
 *       room, and logged in), or a {@code user} that is not the caller;
 *   <li>{@code bad_request}: not {@code {"channel": string, "text": string}};
 *   <li>{@code empty_message}: nothing but blanks;
 *   <li>{@code message_too_long}: over {@value #MAX_TEXT_CHARS} characters (after leading and trailing blanks
 *       are removed).
 * </ul>
 *
 * <p>Thread-safe; called on Pushline's callback threads.
 */
final class ChatMessages implements RpcHandler {

  /** The rpc method pages call to send a message. */
  static final String METHOD = "chat.send";

  /** The event name of a chat message. */
  static final String EVENT = "message";

  /** The longest message, in characters (Unicode code points). */
  static final int MAX_TEXT_CHARS = 500;

  private final ChannelAuthorizer rooms;
  private final Function<String, Channel> channels;
  private final Clock clock;

  /**
   * @param rooms who may send where: to a channel the caller may subscribe to
   * @param channels the server's channels by name ({@code PushServer::channel})
   * @param clock dates messages
   */
  ChatMessages(ChannelAuthorizer rooms, Function<String, Channel> channels, Clock clock) {
    this.rooms = Objects.requireNonNull(rooms, "rooms");
    this.channels = Objects.requireNonNull(channels, "channels");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public Object handle(RpcCall call) {
    Principal caller = call.connection().principal();
    JsonObject request = object(call.data());
    String channel = string(request, "channel");
    String text = string(request, "text").strip();
    if (!rooms.maySubscribe(caller, channel)) {
      throw new RpcException("forbidden", "you may not send to \"" + clip(channel) + "\"");
    }
    if (request.has("user") && !caller.userId().equals(stringOrNull(request.get("user")))) {
      throw new RpcException("forbidden", "you are logged in as " + caller.userId()
          + "; a message cannot say it is from anyone else");
    }
    if (text.isEmpty()) {
      throw new RpcException("empty_message", "the message is empty");
    }
    int chars = text.codePointCount(0, text.length());
    if (chars > MAX_TEXT_CHARS) {
      throw new RpcException("message_too_long", "the message is " + chars + " characters long; the limit is "
          + MAX_TEXT_CHARS);
    }
    JsonObject message = new JsonObject();
    message.addProperty("user", caller.userId());
    message.addProperty("text", text);
    message.addProperty("sentAt", clock.millis());
    long offset = channels.apply(channel).publish(EVENT, message);
    JsonObject answer = new JsonObject();
    answer.addProperty("offset", offset);
    return answer;
  }

  private static JsonObject object(JsonElement data) {
    if (!data.isJsonObject()) {
      throw new RpcException("bad_request", "send {\"channel\": \"room:...\", \"text\": \"...\"}");
    }
    return data.getAsJsonObject();
  }

  private static String string(JsonObject request, String field) {
    String value = request.has(field) ? stringOrNull(request.get(field)) : null;
    if (value == null) {
      throw new RpcException("bad_request", field + " must be a string");
    }
    return value;
  }

  private static String stringOrNull(JsonElement e) {
    return e.isJsonPrimitive() && e.getAsJsonPrimitive().isString() ? e.getAsString() : null;
  }

  private static String clip(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "…";
  }
}
