package dev.pushline.transport.websocket;

import dev.pushline.transport.OutboundMessage;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A text message framed once as an unmasked, final RFC 6455 text frame (what a server sends). Each send
 * queues a {@link ByteBuffer#duplicate() duplicate} of the same read-only bytes, so a publication to N
 * connections costs one encoding and one framing, plus N small buffer views.
 *
 * <p>Immutable.
 */
final class TextFrame implements OutboundMessage {

  private final String text;
  private final ByteBuffer bytes;

  TextFrame(String text) {
    this.text = text;
    this.bytes = frame(text.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String text() {
    return text;
  }

  @Override
  public int sizeBytes() {
    return bytes.remaining();
  }

  /** A fresh view of the frame's bytes, with its own position. */
  ByteBuffer view() {
    return bytes.duplicate();
  }

  static ByteBuffer frame(byte[] payload) {
    int n = payload.length;
    int header = n <= 125 ? 2 : n <= 0xFFFF ? 4 : 10;
    ByteBuffer b = ByteBuffer.allocate(header + n);
    b.put((byte) 0x81); // FIN + text opcode
    if (n <= 125) {
      b.put((byte) n);
    } else if (n <= 0xFFFF) {
      b.put((byte) 126);
      b.putShort((short) n);
    } else {
      b.put((byte) 127);
      b.putLong(n);
    }
    b.put(payload);
    b.flip();
    return b.asReadOnlyBuffer();
  }
}
