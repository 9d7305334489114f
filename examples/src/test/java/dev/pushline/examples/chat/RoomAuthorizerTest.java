package dev.pushline.examples.chat;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pushline.auth.Principal;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The chat's channel rule: rooms for logged-in users, nothing else, and no client publishing. */
class RoomAuthorizerTest {

  private final RoomAuthorizer authorizer = new RoomAuthorizer(ChatDemo.roomChannels());
  private final Principal alice = Principal.user("alice");

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"room:lobby", "room:random", "room:dev"})
  void aUserMaySubscribeToEveryRoom(String channel) {
    assertTrue(authorizer.maySubscribe(alice, channel));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"room:lobby", "room:dev"})
  void anonymousClientsMayNotSubscribe(String channel) {
    assertFalse(authorizer.maySubscribe(Principal.ANONYMOUS, channel));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"room:secret", "room:", "room", "lobby", "logs", "user:bob", "private:x", "room:lobby:x"})
  void otherChannelsAreRefused(String channel) {
    assertFalse(authorizer.maySubscribe(alice, channel));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"room:lobby", "room:dev", "user:alice", "logs"})
  void noClientMayPublishAnywhere(String channel) {
    assertFalse(authorizer.mayPublish(alice, channel));
    assertFalse(authorizer.mayPublish(Principal.ANONYMOUS, channel));
  }
}
