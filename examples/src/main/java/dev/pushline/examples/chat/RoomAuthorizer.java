package dev.pushline.examples.chat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.pushline.auth.ChannelAuthorizer;
import dev.pushline.auth.Principal;
import java.time.Clock;
import java.util.Objects;
import java.util.Set;

/**
 * The chat's channel rules: a logged-in user may subscribe and publish to the rooms' channels
 * ({@code room:lobby}, ...) and nothing else, and what a page publishes becomes a message stamped by the
 * server.
 *
 * <h2>Messages</h2>
 * Pages publish event {@value #EVENT} with {@code {"text": "hi"}}. {@link #publication} turns that into what
 * the room receives and keeps: {@code {"user": <the publisher's user name>, "text": <the text, trimmed>,
 * "sentAt": <epoch ms from the demo's clock>}}. The user name is the {@link Principal#userId()} the server
 * took from the verified token; a {@code user} (or {@code sentAt}) the page put in its data is dropped, so
 * no page can speak for another user. Refused, with {@code forbidden}: another event, data that is not an
 * object with a string {@code text}, a text that is blank or longer than {@value #MAX_TEXT_CHARS}
 * characters after trimming. (The page counts characters before sending, so that a user learns why before
 * the server refuses.)
 *
 * <p>Anonymous clients cannot get here with the chat's authenticator (a connection without a valid token
 * is closed), but the rules do not count on it.
 *
 * <p>Immutable; thread-safe. Called on transport I/O threads; nothing here blocks.
 */
final class RoomAuthorizer implements ChannelAuthorizer {

  /** The event name of a chat message. */
  static final String EVENT = "message";

  /** The longest message, in characters (Unicode code points), after leading and trailing blanks go. */
  static final int MAX_TEXT_CHARS = 500;

  private final Set<String> roomChannels;
  private final Clock clock;

  /**
   * @param roomChannels the channels of the rooms, such as {@code room:lobby}
   * @param clock dates messages ({@code sentAt})
   */
  RoomAuthorizer(Set<String> roomChannels, Clock clock) {
    this.roomChannels = Set.copyOf(roomChannels);
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public boolean maySubscribe(Principal principal, String channel) {
    return !principal.isAnonymous() && roomChannels.contains(channel);
  }

  @Override
  public boolean mayPublish(Principal principal, String channel) {
    return maySubscribe(principal, channel);
  }

  /** The message the room gets: the text with the sender and time set here; null (refused) if not a message. */
  @Override
  public JsonElement publication(Principal principal, String channel, String event, JsonElement data) {
    String text = EVENT.equals(event) ? textOf(data) : null;
    if (text == null || text.isEmpty() || text.codePointCount(0, text.length()) > MAX_TEXT_CHARS) {
      return null;
    }
    JsonObject message = new JsonObject();
    message.addProperty("user", principal.userId());
    message.addProperty("text", text);
    message.addProperty("sentAt", clock.millis());
    return message;
  }

  /** The trimmed {@code text} of {@code {"text": "..."}}; null for anything else. */
  private static String textOf(JsonElement data) {
    if (!data.isJsonObject()) {
      return null;
    }
    JsonElement text = data.getAsJsonObject().get("text");
    return text != null && text.isJsonPrimitive() && text.getAsJsonPrimitive().isString()
        ? text.getAsString().strip() : null;
  }

  @Override
  public String toString() {
    return "RoomAuthorizer" + roomChannels;
  }
}
