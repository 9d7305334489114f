package dev.pushline.transport.websocket;

import java.util.Collections;
import java.util.List;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.enums.Opcode;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.exceptions.LimitExceededException;
import org.java_websocket.framing.Framedata;
import org.java_websocket.protocols.Protocol;

/**
 * RFC 6455 with a size limit that holds for whole messages, not just single frames.
 *
 * <p>{@code Draft_6455}'s own {@code maxFrameSize} limits one frame (and stops the default's
 * allocate-what-the-header-claims crash), but lets a message made of endless continuation frames grow
 * without bound until its FIN. This draft keeps a running total across fragments and closes with 1009 as
 * soon as it passes the limit. No extensions: permessage-deflate in 1.6.0 is unsafe (zip bombs, corrupt
 * broadcasts).
 *
 * <p>It also limits a message to {@link #MAX_FRAGMENTS} fragments. Java-WebSocket keeps every fragment of a
 * message in a list until the last, empty ones too, so the byte count alone does not bound it. Measured:
 * one client sending empty continuation frames (6 bytes each on the wire) ran a 1 GiB server out of heap
 * in under 5 s, and the {@code OutOfMemoryError} stopped the whole server.
 *
 * <p>Subprotocols: the client's most preferred of {@link Subprotocols#SUPPORTED} ({@code v12.stomp},
 * {@code v11.stomp}, {@code v10.stomp}), else none, whatever else it offered: {@code Protocol("")} accepts
 * every request, with or without a {@code Sec-WebSocket-Protocol} header, and answers without one.
 *
 * <p>The server copies the draft for each connection ({@link #copyInstance}), so {@link #messageBytes}
 * and {@link #fragments} are per connection and only touched by that connection's decoder thread.
 */
final class GuardedDraft extends Draft_6455 {

  /** The most fragments one message may have (its first frame included). */
  static final int MAX_FRAGMENTS = 1024;

  private final int maxMessageBytes;
  private long messageBytes;
  private int fragments;

  GuardedDraft(int maxMessageBytes) {
    super(Collections.emptyList(), List.of(new Subprotocols(), new Protocol("")), maxMessageBytes);
    this.maxMessageBytes = maxMessageBytes;
  }

  @Override
  public void processFrame(WebSocketImpl webSocket, Framedata frame) throws InvalidDataException {
    Opcode opcode = frame.getOpcode();
    if (opcode == Opcode.TEXT || opcode == Opcode.BINARY || opcode == Opcode.CONTINUOUS) {
      long size = frame.getPayloadData().remaining();
      boolean continuation = opcode == Opcode.CONTINUOUS;
      messageBytes = continuation ? messageBytes + size : size;
      fragments = continuation ? fragments + 1 : 1;
      if (messageBytes > maxMessageBytes) {
        messageBytes = 0;
        fragments = 0;
        throw new LimitExceededException(
            "message is over " + maxMessageBytes + " bytes", maxMessageBytes);
      }
      if (fragments > MAX_FRAGMENTS) {
        messageBytes = 0;
        fragments = 0;
        throw new LimitExceededException("message has over " + MAX_FRAGMENTS + " fragments", maxMessageBytes);
      }
      if (frame.isFin()) {
        messageBytes = 0;
        fragments = 0;
      }
    }
    super.processFrame(webSocket, frame);
  }

  @Override
  public Draft copyInstance() {
    return new GuardedDraft(maxMessageBytes);
  }
}
