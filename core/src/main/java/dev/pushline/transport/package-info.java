/**
 * The transport SPI: what the engine needs from something that moves text messages for connections.
 *
 * <p>The engine depends only on these types. The default implementation,
 * {@link dev.pushline.transport.websocket.WebSocketTransport}, runs on Java-WebSocket; engine tests run
 * on an in-memory implementation. An implementation must:
 * <ul>
 *   <li>carry text messages only, closing a connection that sends a binary message with 1003;</li>
 *   <li>enforce {@link dev.pushline.transport.TransportSettings#maxMessageBytes()} on whole messages,
 *       including fragmented ones, closing with 1009;</li>
 *   <li>call a connection's {@link dev.pushline.transport.InboundListener#onText} serially, in arrival
 *       order, never concurrently with itself; {@code onClosed} is called at most once;</li>
 *   <li>never let an exception or {@code Error} thrown by a listener stop the transport: close that
 *       connection with 1011 and keep serving the others.</li>
 * </ul>
 */
package dev.pushline.transport;
