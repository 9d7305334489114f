package dev.pushline.transport.websocket;

import java.nio.ByteBuffer;
import java.util.List;
import org.java_websocket.WebSocketListener;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.framing.CloseFrame;

/**
 * Java-WebSocket's connection, with two things decided before Java-WebSocket sees the bytes.
 *
 * <ul>
 *   <li><b>The request head</b> is collected by a {@link RequestHead}, at most {@code maxHeadBytes} of it,
 *       and given to Java-WebSocket's parser once, whole. One byte more without its end and
 *       {@code headTooLarge} runs (the server refuses the request with 431).</li>
 *   <li><b>After a refusal</b> ({@link CountingChannel#refuse}) what the client still sends is dropped
 *       unparsed; after {@link #DRAIN_BYTES} of it the socket is closed, so a client that keeps sending
 *       costs little. (Reading it rather than closing at once keeps the kernel from resetting the
 *       connection under a response the client has not read.)</li>
 * </ul>
 *
 * This runs in {@link #decode}, on the decoder thread the connection is pinned to, and not in the channel's
 * {@code read} on the selector thread: a read that returns nothing leaves its key in the selector's
 * selected set, and the selector would then read every such socket again on every wakeup.
 *
 * <p>{@link #head} and {@link #dropped} are used only by the connection's decoder thread.
 */
final class PushSocket extends WebSocketImpl {

  /** After a refusal, how many more bytes are read and dropped before the socket is closed anyway. */
  static final int DRAIN_BYTES = 64 * 1024;

  private RequestHead head; // until the head is complete
  private final Runnable headTooLarge;
  private long dropped;

  PushSocket(WebSocketListener listener, List<Draft> drafts, int maxHeadBytes, Runnable headTooLarge) {
    super(listener, drafts);
    this.head = new RequestHead(maxHeadBytes);
    this.headTooLarge = headTooLarge;
  }

  @Override
  public void decode(ByteBuffer bytes) {
    if (getChannel() instanceof CountingChannel c && c.refusing()) {
      drop(bytes);
      return;
    }
    RequestHead h = head;
    if (h == null) {
      super.decode(bytes);
      return;
    }
    switch (h.take(bytes)) {
      case COMPLETE -> {
        head = null;
        ByteBuffer whole = h.bytes();
        if (whole.hasRemaining()) {
          super.decode(whole);
        }
      }
      case TOO_LARGE -> {
        head = null;
        bytes.position(bytes.limit());
        headTooLarge.run();
      }
      default -> { } // INCOMPLETE: wait for more
    }
  }

  private void drop(ByteBuffer bytes) {
    dropped += bytes.remaining();
    bytes.position(bytes.limit());
    if (dropped > DRAIN_BYTES) {
      closeConnection(CloseFrame.NEVER_CONNECTED, "refused; the client kept sending");
    }
  }
}
