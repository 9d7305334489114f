package dev.pushline.examples.logtail;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Cuts a stream of UTF-8 bytes into lines, holding at most one line's worth of bytes.
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li>A line ends at {@code \n}; a {@code \r} right before it is dropped, so CRLF files read like LF
 *       files. A lone {@code \r} elsewhere is kept as part of the line.</li>
 *   <li>Bytes after the last {@code \n} are held until their newline arrives (or until {@link #flush}).</li>
 *   <li>A line longer than {@code maxLineBytes} is emitted as soon as the limit is passed: its first
 *       {@code maxLineBytes} bytes (cut at a character boundary) followed by {@link #CUT_MARK}. The rest
 *       of that line is skipped up to its newline. Memory stays bounded however long the line is, and a
 *       file with no newline at all still shows something.</li>
 *   <li>Malformed UTF-8 becomes U+FFFD.</li>
 * </ul>
 *
 * <p>Not thread-safe; confine to one thread.
 */
final class LineSplitter {

  /** Appended to a line that was cut at the length limit. */
  static final String CUT_MARK = " [... line cut: longer than %d bytes]";

  private final int maxLineBytes;
  /** The current line's bytes so far; one extra byte so a line of exactly the limit may end in CR. */
  private final byte[] pending;
  private int length;
  /** Skipping the rest of an overlong line, up to its newline. */
  private boolean skipping;

  LineSplitter(int maxLineBytes) {
    if (maxLineBytes < 4) {
      throw new IllegalArgumentException("maxLineBytes is " + maxLineBytes + "; it must be >= 4");
    }
    this.maxLineBytes = maxLineBytes;
    this.pending = new byte[maxLineBytes + 1];
  }

  /** Consumes every remaining byte of {@code bytes} and adds each line it completes to {@code out}. */
  void feed(ByteBuffer bytes, List<String> out) {
    while (bytes.hasRemaining()) {
      byte b = bytes.get();
      if (b == '\n') {
        if (skipping) {
          skipping = false;
        } else {
          out.add(decode(withoutTrailingCr()));
        }
        length = 0;
      } else if (skipping) {
        continue;
      } else if (length == pending.length) {
        cut(out); // the byte held past the limit was a CR, but not the end of the line
      } else {
        pending[length++] = b;
        if (length == pending.length && b != '\r') {
          cut(out);
        }
      }
    }
  }

  /** Emits the line so far, cut at the limit and marked, and skips the rest of it. */
  private void cut(List<String> out) {
    out.add(decode(cutPoint()) + String.format(CUT_MARK, maxLineBytes));
    length = 0;
    skipping = true;
  }

  /**
   * Ends the current partial line, if any, as a line of its own: used when its file is done (truncated
   * or replaced) and the newline will never come.
   */
  void flush(List<String> out) {
    if (length > 0 && !skipping) {
      out.add(decode(withoutTrailingCr()));
    }
    length = 0;
    skipping = false;
  }

  /** Bytes held for a line that has no newline yet. */
  int pendingBytes() {
    return length;
  }

  private int withoutTrailingCr() {
    return length > 0 && pending[length - 1] == '\r' ? length - 1 : length;
  }

  /** The longest prefix of at most {@code maxLineBytes} that does not end inside a UTF-8 sequence. */
  private int cutPoint() {
    int cut = maxLineBytes;
    // pending[cut] is the first byte left out; if it continues a sequence, back off to where it starts.
    for (int i = 0; i < 3 && cut > 0 && (pending[cut] & 0xC0) == 0x80; i++) {
      cut--;
    }
    return cut;
  }

  private String decode(int n) {
    return new String(pending, 0, n, StandardCharsets.UTF_8);
  }
}
