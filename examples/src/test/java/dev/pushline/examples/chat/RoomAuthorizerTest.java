package dev.pushline.examples.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonParser;
import dev.pushline.auth.Principal;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chat's channel rules: rooms for logged-in users, nothing else; what a page publishes becomes
 * {@code {user, text, sentAt}} with the sender from the principal, or is refused.
 */
class RoomAuthorizerTest {

  private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");

  private final RoomAuthorizer authorizer =
      new RoomAuthorizer(ChatDemo.roomChannels(), Clock.fixed(NOW, ZoneOffset.UTC));
  private final Principal alice = Principal.user("alice");

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"room:lobby", "room:random", "room:dev"})
  void aUserMaySubscribeAndPublishToEveryRoom(String channel) {
    assertTrue(authorizer.maySubscribe(alice, channel));
    assertTrue(authorizer.mayPublish(alice, channel));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"room:lobby", "room:dev"})
  void anonymousClientsMayNeitherSubscribeNorPublish(String channel) {
    assertFalse(authorizer.maySubscribe(Principal.ANONYMOUS, channel));
    assertFalse(authorizer.mayPublish(Principal.ANONYMOUS, channel));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"room:secret", "room:", "room", "lobby", "logs", "user:bob", "user:alice", "private:x",
      "room:lobby:x"})
  void otherChannelsAreRefused(String channel) {
    assertFalse(authorizer.maySubscribe(alice, channel));
    assertFalse(authorizer.mayPublish(alice, channel));
  }

  @Test
  void aMessageIsStampedWithThePublisherAndTheServersTime() {
    assertEquals(json("{\"user\":\"alice\",\"text\":\"hi bob\",\"sentAt\":" + NOW.toEpochMilli() + "}"),
        publication("{\"text\":\"  hi bob \\n\"}"));
  }

  @Test
  void aSpoofedSenderOrTimeIsOverwrittenAndOtherFieldsDropped() {
    assertEquals(json("{\"user\":\"alice\",\"text\":\"I am bob\",\"sentAt\":" + NOW.toEpochMilli() + "}"),
        publication("{\"user\":\"bob\",\"text\":\"I am bob\",\"sentAt\":0,\"html\":\"<b>x</b>\"}"));
  }

  @Test
  void aMessageAtTheLimitPassesAndOneOverIsRefused() {
    String atLimit = "é".repeat(RoomAuthorizer.MAX_TEXT_CHARS);
    assertEquals(atLimit, publication("{\"text\":\"" + atLimit + "\"}").getAsJsonObject().get("text").getAsString());
    assertNull(publication("{\"text\":\"" + atLimit + "é\"}"));
    String emoji = "\uD83D\uDE00".repeat(RoomAuthorizer.MAX_TEXT_CHARS); // 1,000 UTF-16 units, 500 characters
    assertEquals(emoji, publication("{\"text\":\"" + emoji + "\"}").getAsJsonObject().get("text").getAsString());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"{\"text\":\"\"}", "{\"text\":\" \\n\\t \"}", "{\"text\":42}", "{\"text\":null}",
      "{\"text\":[\"hi\"]}", "{\"user\":\"alice\"}", "{}", "\"hi\"", "42", "[]", "null"})
  void anythingButAnObjectWithANonBlankTextIsRefused(String data) {
    assertNull(publication(data));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"typing", "Message", "join"})
  void anotherEventIsRefused(String event) {
    assertNull(authorizer.publication(alice, "room:lobby", event, json("{\"text\":\"hi\"}")));
  }

  private JsonElement publication(String data) {
    return authorizer.publication(alice, "room:lobby", RoomAuthorizer.EVENT, json(data));
  }

  private static JsonElement json(String text) {
    JsonElement e = JsonParser.parseString(text);
    return e == null ? JsonNull.INSTANCE : e;
  }
}
