package dev.pushline.auth;

import com.google.gson.JsonElement;

/**
 * Decides which channels a client may subscribe and publish to.
 *
 * <h2>Rules the server applies before asking</h2>
 * <ul>
 *   <li><b>Personal channels</b> {@code user:<id>}: only the user with that id may subscribe; others are
 *       refused without asking. The owner's subscribe is allowed without asking; publishing to it asks.
 *   <li><b>Granted channels</b> ({@link Principal#channels()}, e.g. a JWT's {@code channels} claim): the
 *       client may subscribe without asking.
 *   <li><b>Publishing</b> by clients is refused on a server built without {@code allowClientPublish()},
 *       whatever this authorizer says.
 * </ul>
 * Every other decision is this authorizer's: channels in the {@code private:} namespace and public
 * channels alike. {@link #DEFAULT} refuses {@code private:} channels and allows the rest.
 *
 * <h2>What a client publishes</h2>
 * {@link #mayPublish} sees only who publishes and where. Once it allowed a client's publish (and the event
 * name is valid), {@link #publication} sees the data and decides what is published: the data as sent (the
 * default), a replacement (for example the message with its sender set from the principal, so that no client
 * can speak for another), or nothing.
 *
 * <p>A refusal answers the request with an {@code error} of code {@code forbidden}. An exception thrown
 * here is logged at WARN and refuses the request; the connection stays. Called on transport I/O threads: it
 * must not block.
 */
public interface ChannelAuthorizer {

  /** The namespace of personal channels: {@code user:<userId>}. */
  String PERSONAL_NAMESPACE = "user:";

  /** The namespace of private channels, which {@link #DEFAULT} always refuses. */
  String PRIVATE_NAMESPACE = "private:";

  /** Allows public channels to everyone (anonymous clients too), refuses {@code private:} ones. */
  ChannelAuthorizer DEFAULT = new ChannelAuthorizer() {
    @Override
    public boolean maySubscribe(Principal principal, String channel) {
      return !channel.startsWith(PRIVATE_NAMESPACE);
    }

    @Override
    public boolean mayPublish(Principal principal, String channel) {
      return !channel.startsWith(PRIVATE_NAMESPACE);
    }

    @Override
    public String toString() {
      return "ChannelAuthorizer.DEFAULT";
    }
  };

  /** Whether {@code principal} may subscribe to {@code channel}. */
  boolean maySubscribe(Principal principal, String channel);

  /** Whether {@code principal} may publish to {@code channel}. */
  boolean mayPublish(Principal principal, String channel);

  /**
   * The data to publish for a client's publication that {@link #mayPublish} allowed. What this returns is
   * what subscribers receive and what the channel's history keeps; the client's own data is not published
   * unless returned. Return:
   * <ul>
   *   <li>{@code data} itself to publish it as sent (the default);
   *   <li>a replacement, for example the message with a {@code user} field set from {@code principal}
   *       whatever the client put there, or with a server timestamp;
   *   <li>{@code null} to refuse it: the client gets an {@code error} of code {@code forbidden} and nothing
   *       is published.
   * </ul>
   * Asked only for clients' publishes (WebSocket, SockJS, STOMP {@code SEND}), never for the host's
   * {@code Channel.publish} or the HTTP API. Called on the connection's transport I/O thread, after the
   * channel and event checks and before the broker: it must not block. {@code data} may be modified and
   * returned; it is not used again.
   *
   * @param principal who publishes
   * @param channel where
   * @param event the publication's event name, already valid
   * @param data what the client sent: any JSON value, {@code JsonNull} when it sent no {@code data}
   * @return the data to publish (a {@code JsonNull} publishes {@code null}), or {@code null} to refuse
   */
  default JsonElement publication(Principal principal, String channel, String event, JsonElement data) {
    return data;
  }
}
