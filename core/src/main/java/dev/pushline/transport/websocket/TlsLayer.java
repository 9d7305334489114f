package dev.pushline.transport.websocket;

import java.io.IOException;
import java.nio.channels.GatheringByteChannel;
import org.java_websocket.WrappedByteChannel;

/**
 * What {@link CountingChannel} needs from the TLS layer under it: {@link TlsChannel}, or a fake in tests.
 * Its gathering write returns plaintext bytes consumed; its {@code WrappedByteChannel} side is
 * Java-WebSocket's contract for channels that buffer (encrypted output waiting, decrypted input left over).
 */
interface TlsLayer extends GatheringByteChannel, WrappedByteChannel {

  /** Encrypted bytes not yet written to the socket. */
  boolean hasPendingOutput();

  /**
   * Whether application bytes have been received and decrypted, or wait encrypted in full records, with
   * the handshake done: {@link #readMore} returns them without reading the socket.
   */
  boolean hasBufferedInput();

  /** Sends {@code close_notify} and half-closes the TCP connection. */
  void shutdownOutput() throws IOException;
}
