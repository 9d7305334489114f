package dev.pushline.examples.chat;

import dev.pushline.auth.ChannelAuthorizer;
import dev.pushline.auth.Principal;
import java.util.Set;

/**
 * The chat's channel rule: a logged-in user may subscribe to the rooms' channels ({@code room:lobby}, ...)
 * and nothing else; no client may publish anywhere.
 *
 * <h2>Why clients do not publish</h2>
 * A client's {@code publish} reaches subscribers as the client sent it, and this hook sees only who
 * publishes and where, not what: it cannot check that a message's {@code user} is the sender. So clients
 * send a message with the {@code rpc} {@value ChatMessages#METHOD} instead, whose handler
 * ({@link ChatMessages}) knows the caller's {@link Principal} and publishes the message with the user name
 * taken from it; the server is built without {@code allowClientPublish()}, and {@link #mayPublish} says no
 * as well, so that turning that on by mistake opens nothing.
 *
 * <p>Anonymous clients cannot get here with the chat's authenticator (a connection without a valid token
 * is closed), but the rule does not count on it.
 *
 * <p>Immutable; thread-safe.
 */
final class RoomAuthorizer implements ChannelAuthorizer {

  private final Set<String> roomChannels;

  /** @param roomChannels the channels of the rooms, such as {@code room:lobby} */
  RoomAuthorizer(Set<String> roomChannels) {
    this.roomChannels = Set.copyOf(roomChannels);
  }

  @Override
  public boolean maySubscribe(Principal principal, String channel) {
    return !principal.isAnonymous() && roomChannels.contains(channel);
  }

  @Override
  public boolean mayPublish(Principal principal, String channel) {
    return false;
  }

  @Override
  public String toString() {
    return "RoomAuthorizer" + roomChannels;
  }
}
