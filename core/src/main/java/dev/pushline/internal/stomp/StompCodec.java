package dev.pushline.internal.stomp;

import dev.pushline.internal.Utf8;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Reads the STOMP frames of one connection from its text messages, strictly, and writes server frames.
 *
 * <h2>Reading</h2>
 * {@link #feed} appends a message's bytes; {@link #next} returns the next whole frame, or null when the rest
 * is not a whole frame yet. So a message may carry several frames, and a frame may be split over several
 * messages: the unfinished part waits for the next message, up to {@code maxFrameBytes}. End-of-lines
 * between frames (heart-beats) are skipped. The grammar is STOMP 1.2's:
 * <pre>
 * frame = command EOL *( header EOL ) EOL *OCTET NULL *( EOL )      EOL = [CR] LF
 * </pre>
 * with these choices, each a {@link StompException} (then {@code ERROR} and close) when broken:
 * <ul>
 *   <li>the command is one a client may send ({@link #CLIENT_COMMANDS}), in upper case;</li>
 *   <li>a header line has a {@code :} after a non-empty name; the value is everything after the first
 *       {@code :} (a raw {@code :} in a value is kept, as most brokers do); of a repeated header the first
 *       counts; at most {@link #MAX_HEADERS} header lines;</li>
 *   <li>escapes are undone as the frame's version says ({@link StompVersion#unescape}), never in
 *       {@code CONNECT} and {@code STOMP} frames; an undefined escape is an error;</li>
 *   <li>{@code content-length}, when present, is a decimal byte count and the body is exactly that many
 *       bytes (NULs included), followed by a NUL; without it the body ends at the first NUL;</li>
 *   <li>command and headers are UTF-8; a frame is at most {@code maxFrameBytes} bytes, and so is an
 *       unfinished one.</li>
 * </ul>
 *
 * <h2>Writing</h2>
 * {@link #encode} writes {@code command LF headers LF LF body NUL}, escaping as the version says (not in
 * {@code CONNECTED}), with a {@code content-length} for any body.
 *
 * <p>Not thread-safe: a connection's messages are fed by the transport one at a time. {@link #encode} is
 * static and thread-safe.
 */
final class StompCodec {

  /** Commands a client may send (STOMP 1.2 section "Client Frames"). */
  static final Set<String> CLIENT_COMMANDS = Set.of("CONNECT", "STOMP", "SEND", "SUBSCRIBE",
      "UNSUBSCRIBE", "ACK", "NACK", "BEGIN", "COMMIT", "ABORT", "DISCONNECT");

  /** The most header lines one frame may have. */
  static final int MAX_HEADERS = 64;

  private final int maxFrameBytes;
  private byte[] buffer = new byte[0];
  private int start; // the first byte not yet consumed
  private int end; // one past the last byte fed

  StompCodec(int maxFrameBytes) {
    if (maxFrameBytes < 1) {
      throw new IllegalArgumentException("maxFrameBytes is " + maxFrameBytes + "; it must be >= 1");
    }
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Appends the bytes of one message. */
  void feed(byte[] bytes) {
    int pending = end - start;
    if (pending == 0) {
      buffer = bytes; // the common case: every frame arrives whole; no copy
      start = 0;
      end = bytes.length;
      return;
    }
    byte[] joined = Arrays.copyOfRange(buffer, start, start + pending + bytes.length);
    System.arraycopy(bytes, 0, joined, pending, bytes.length);
    buffer = joined;
    start = 0;
    end = joined.length;
  }

  /** Bytes fed and not yet returned as frames (an unfinished frame, or end-of-lines not yet skipped). */
  int pendingBytes() {
    return end - start;
  }

  /**
   * The next whole frame, or null when what is left is not one yet.
   *
   * @param version the connection's version, for unescaping headers; null before {@code CONNECT} (then
   *     frames are read with 1.2's escapes)
   * @throws StompException when the input breaks the grammar or a limit; the codec is then unusable
   */
  StompFrame next(StompVersion version) throws StompException {
    int pos = skipEndOfLines();
    if (pos == end) {
      return null;
    }
    int commandEnd = indexOf((byte) '\n', pos);
    if (commandEnd < 0) {
      return unfinished();
    }
    String command = text(pos, lineEnd(pos, commandEnd));
    if (!CLIENT_COMMANDS.contains(command)) {
      throw new StompException("unknown command \"" + clip(command) + "\"");
    }
    boolean raw = command.equals("CONNECT") || command.equals("STOMP");
    StompVersion escaping = raw ? StompVersion.V1_0 : version == null ? StompVersion.V1_2 : version;
    Map<String, String> headers = new LinkedHashMap<>();
    int lines = 0;
    int line = commandEnd + 1;
    while (true) {
      int eol = indexOf((byte) '\n', line);
      if (eol < 0) {
        return unfinished();
      }
      int contentEnd = lineEnd(line, eol);
      if (contentEnd == line) { // the empty line before the body
        line = eol + 1;
        break;
      }
      if (++lines > MAX_HEADERS) {
        throw new StompException("more than " + MAX_HEADERS + " headers");
      }
      int colon = indexOf((byte) ':', line, contentEnd);
      if (colon < 0) {
        throw new StompException("header line without ':' in " + command);
      }
      if (colon == line) {
        throw new StompException("header with an empty name in " + command);
      }
      String name = escaping.unescape(text(line, colon));
      String value = escaping.unescape(text(colon + 1, contentEnd));
      headers.putIfAbsent(name, value);
      line = eol + 1;
    }
    int bodyStart = line;
    int bodyEnd;
    String length = headers.get("content-length");
    if (length != null) {
      int n = contentLength(length);
      if (bodyStart + (long) n + 1 > end) {
        return bodyStart + (long) n + 1 - start > maxFrameBytes ? tooLarge() : unfinished();
      }
      bodyEnd = bodyStart + n;
      if (buffer[bodyEnd] != 0) {
        throw new StompException("no NUL after the " + n + " bytes of content-length");
      }
    } else {
      bodyEnd = indexOf((byte) 0, bodyStart);
      if (bodyEnd < 0) {
        return unfinished();
      }
    }
    if (bodyEnd + 1 - pos > maxFrameBytes) {
      return tooLarge();
    }
    byte[] body = Arrays.copyOfRange(buffer, bodyStart, bodyEnd);
    start = bodyEnd + 1;
    return new StompFrame(command, headers, body);
  }

  /** Skips end-of-lines (heart-beats, or the optional EOLs after a frame) and returns where a frame starts. */
  private int skipEndOfLines() throws StompException {
    int pos = start;
    while (pos < end) {
      byte b = buffer[pos];
      if (b == '\n') {
        pos++;
      } else if (b == '\r') {
        if (pos + 1 == end) {
          break; // the LF may come with the next message
        }
        if (buffer[pos + 1] != '\n') {
          throw new StompException("CR not followed by LF between frames");
        }
        pos += 2;
      } else {
        break;
      }
    }
    start = pos;
    return pos;
  }

  private StompFrame unfinished() throws StompException {
    if (end - start > maxFrameBytes) {
      return tooLarge();
    }
    return null;
  }

  private StompFrame tooLarge() throws StompException {
    throw new StompException("frame over " + maxFrameBytes + " bytes");
  }

  private int contentLength(String value) throws StompException {
    if (value.isEmpty() || value.length() > 10) {
      throw new StompException("content-length is \"" + clip(value) + "\"; it must be a byte count");
    }
    long n = 0;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        throw new StompException("content-length is \"" + clip(value) + "\"; it must be a byte count");
      }
      n = n * 10 + (c - '0');
    }
    if (n > maxFrameBytes) {
      throw new StompException("content-length is " + n + "; a frame is at most " + maxFrameBytes + " bytes");
    }
    return (int) n;
  }

  /** The end of a line's content: {@code eol}, or one before it when a CR precedes the LF. */
  private int lineEnd(int lineStart, int eol) {
    return eol > lineStart && buffer[eol - 1] == '\r' ? eol - 1 : eol;
  }

  private int indexOf(byte b, int from) {
    return indexOf(b, from, end);
  }

  private int indexOf(byte b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (buffer[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private String text(int from, int to) throws StompException {
    for (int i = from; i < to; i++) {
      if (buffer[i] < 0) { // not ASCII: decode strictly
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
          return decoder.decode(ByteBuffer.wrap(buffer, from, to - from)).toString();
        } catch (CharacterCodingException e) {
          throw new StompException("a command or header is not UTF-8");
        }
      }
    }
    return new String(buffer, from, to - from, StandardCharsets.ISO_8859_1);
  }

  static String clip(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }

  // --- writing ---------------------------------------------------------------------------------

  /**
   * One frame as text: {@code headers} are name, value, name, value...; values escaped as {@code version}
   * says (none for {@code CONNECTED}, or when {@code version} is null: before a version is agreed), and a
   * {@code content-length} added when {@code body} is not empty.
   */
  static String encode(String command, StompVersion version, String body, String... headers) {
    StompVersion escaping = version == null || command.equals("CONNECTED") ? StompVersion.V1_0 : version;
    StringBuilder out = new StringBuilder(64 + body.length() + headers.length * 16);
    out.append(command).append('\n');
    for (int i = 0; i < headers.length; i += 2) {
      out.append(escaping.escape(headers[i])).append(':').append(escaping.escape(headers[i + 1])).append('\n');
    }
    if (!body.isEmpty()) {
      out.append("content-length:").append(Utf8.length(body)).append('\n');
    }
    return out.append('\n').append(body).append('\0').toString();
  }
}
