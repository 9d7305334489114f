/**
 * The default transport, on Java-WebSocket 1.6.0: {@link dev.pushline.transport.websocket.WebSocketTransport}.
 * The only package that imports {@code org.java_websocket}.
 */
package dev.pushline.transport.websocket;
