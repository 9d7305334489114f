/**
 * STOMP 1.2 (and 1.1, 1.0) in front of the engine: {@link dev.pushline.internal.stomp.StompAdapter}
 * translates one connection's STOMP frames to protocol v1 and back, over any transport;
 * {@link dev.pushline.internal.stomp.ProtocolRouter} sends each connection to the protocol its
 * subprotocol names. Not API.
 */
package dev.pushline.internal.stomp;
