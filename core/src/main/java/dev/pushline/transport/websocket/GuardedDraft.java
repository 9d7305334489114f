package dev.pushline.transport.websocket;

import java.util.Collections;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.enums.Opcode;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.exceptions.LimitExceededException;
import org.java_websocket.framing.Framedata;

/**
 * RFC 6455 with a size limit that holds for whole messages, not just single frames.
 *
 * <p>{@code Draft_6455}'s own {@code maxFrameSize} limits one frame (and stops the default's
 * allocate-what-the-header-claims crash), but lets a message made of endless continuation frames grow
 * without bound until its FIN. This draft keeps a running total across fragments and closes with 1009 as
 * soon as it passes the limit. No extensions: permessage-deflate in 1.6.0 is unsafe (zip bombs, corrupt
 * broadcasts).
 *
 * <p>The server copies the draft for each connection ({@link #copyInstance}), so {@link #messageBytes} is
 * per connection and only touched by that connection's decoder thread.
 */
final class GuardedDraft extends Draft_6455 {

  private final int maxMessageBytes;
  private long messageBytes;

  GuardedDraft(int maxMessageBytes) {
    super(Collections.emptyList(), maxMessageBytes);
    this.maxMessageBytes = maxMessageBytes;
  }

  @Override
  public void processFrame(WebSocketImpl webSocket, Framedata frame) throws InvalidDataException {
    Opcode opcode = frame.getOpcode();
    if (opcode == Opcode.TEXT || opcode == Opcode.BINARY || opcode == Opcode.CONTINUOUS) {
      long size = frame.getPayloadData().remaining();
      messageBytes = opcode == Opcode.CONTINUOUS ? messageBytes + size : size;
      if (messageBytes > maxMessageBytes) {
        messageBytes = 0;
        throw new LimitExceededException(
            "message is over " + maxMessageBytes + " bytes", maxMessageBytes);
      }
      if (frame.isFin()) {
        messageBytes = 0;
      }
    }
    super.processFrame(webSocket, frame);
  }

  @Override
  public Draft copyInstance() {
    return new GuardedDraft(maxMessageBytes);
  }
}
