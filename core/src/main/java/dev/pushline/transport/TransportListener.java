package dev.pushline.transport;

/**
 * Told by a {@link Transport} about each opening request and each connection that finished its handshake.
 *
 * <p>A transport calls {@link #onHandshake} once per request, before it upgrades it, and {@link #onOpen}
 * only for a request that was accepted, with the decision's context available from
 * {@link TransportConnection#context()}. A transport that wraps another must forward both.
 *
 * <p>Callbacks run on transport I/O threads and must not block.
 */
@FunctionalInterface
public interface TransportListener {

  /**
   * Decides whether to upgrade an opening request. The default accepts everything with no context.
   * Must not block: it runs on a transport I/O thread while other connections wait.
   */
  default HandshakeDecision onHandshake(Handshake handshake) {
    return HandshakeDecision.ACCEPT;
  }

  /**
   * A connection finished its handshake and is open. Returns the listener that receives the
   * connection's messages and its close. Called once per connection, before any of its messages.
   */
  InboundListener onOpen(TransportConnection connection);
}
