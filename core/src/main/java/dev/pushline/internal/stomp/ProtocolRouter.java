package dev.pushline.internal.stomp;

import dev.pushline.transport.Handshake;
import dev.pushline.transport.HandshakeDecision;
import dev.pushline.transport.InboundListener;
import dev.pushline.transport.OutboundMessage;
import dev.pushline.transport.TransportConnection;
import dev.pushline.transport.TransportListener;
import java.util.Objects;
import java.util.function.Function;

/**
 * What a transport is started with: gives each connection to the engine speaking the protocol its
 * subprotocol names. A connection whose subprotocol ends in {@code .stomp} ({@code v12.stomp},
 * {@code v11.stomp}, {@code v10.stomp}) goes through a {@link StompAdapter}; every other one (no
 * subprotocol: protocol v1) goes to the engine as it is. Handshakes go to the engine unchanged.
 *
 * <p>Thread-safe. Callbacks run on transport I/O threads and must not block.
 */
public final class ProtocolRouter implements TransportListener {

  private final TransportListener engine;
  private final Function<String, OutboundMessage> prepare;
  private final StompSupport stomp;

  /**
   * @param engine the engine
   * @param prepare the transport's {@code prepare}, to frame what the adapters send
   * @param stomp what the STOMP connections of this server share
   */
  public ProtocolRouter(TransportListener engine, Function<String, OutboundMessage> prepare, StompSupport stomp) {
    this.engine = Objects.requireNonNull(engine, "engine");
    this.prepare = Objects.requireNonNull(prepare, "prepare");
    this.stomp = Objects.requireNonNull(stomp, "stomp");
  }

  @Override
  public HandshakeDecision onHandshake(Handshake handshake) {
    return engine.onHandshake(handshake);
  }

  @Override
  public InboundListener onOpen(TransportConnection connection) {
    return connection.subprotocol().endsWith(".stomp")
        ? StompAdapter.open(connection, prepare, engine, stomp)
        : engine.onOpen(connection);
  }
}
