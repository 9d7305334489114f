package dev.pushline.auth;

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
 * <p>A refusal answers the request with an {@code error} of code {@code forbidden}. An exception thrown
 * here is logged and refuses the request. Called on transport I/O threads: it must not block.
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
}
