package dev.pushline.internal.http.sse;

import dev.pushline.broker.StreamPosition;
import dev.pushline.internal.EngineConfig;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code id:} of an SSE event: the stream position of every channel of the stream, so that the one
 * {@code Last-Event-ID} an {@code EventSource} sends back resumes all of them.
 *
 * <h2>Format</h2>
 * Entries {@code channel,epoch,offset} joined by {@code ;}, in the order the stream's channels were first
 * given a position, for example {@code logs,5c1e07a4d2b9f316,57;room:lobby,77a0c4e1b9d2f365,12}. The
 * channel and the epoch are written as they are when every character is one a channel name may hold
 * (letters, digits, {@code _ - . : @ / = $ ~ +}); any other character (possible only in an epoch of a
 * custom broker) is written as {@code %XX}, one per byte of its UTF-8 encoding. So {@code ,}, {@code ;}
 * and {@code %} never appear inside a field, and an id never holds CR, LF or NUL. The offset is a decimal
 * integer from 0.
 *
 * <p>Stateless; thread-safe.
 */
final class EventId {

  private EventId() {}

  /** A malformed id: the request is answered 400. */
  static final class Malformed extends Exception {
    Malformed(String message) {
      super(message, null, false, false);
    }
  }

  /** Formats {@code positions} (channel to position), in the map's order; "" for none. */
  static String format(Map<String, StreamPosition> positions) {
    StringBuilder b = new StringBuilder(positions.size() * 32);
    for (Map.Entry<String, StreamPosition> e : positions.entrySet()) {
      if (b.length() > 0) {
        b.append(';');
      }
      encode(e.getKey(), b);
      b.append(',');
      encode(e.getValue().epoch(), b);
      b.append(',').append(e.getValue().offset());
    }
    return b.toString();
  }

  /**
   * Parses an id made by {@link #format}.
   *
   * @return the positions by channel, in the id's order; empty for an empty id
   * @throws Malformed if {@code id} is not in the format, names a channel twice, or a channel name breaks
   *     the naming rule
   */
  static Map<String, StreamPosition> parse(String id) throws Malformed {
    if (id.isEmpty()) {
      return Map.of();
    }
    Map<String, StreamPosition> out = new LinkedHashMap<>();
    for (String entry : id.split(";", -1)) {
      String[] fields = entry.split(",", -1);
      if (fields.length != 3) {
        throw new Malformed("each entry must be channel,epoch,offset; got \"" + clip(entry) + "\"");
      }
      String channel = decode(fields[0]);
      String problem = channelProblem(channel);
      if (problem != null) {
        throw new Malformed(problem);
      }
      String epoch = decode(fields[1]);
      long offset;
      try {
        offset = fields[2].startsWith("+") ? -1 : Long.parseLong(fields[2]);
      } catch (NumberFormatException e) {
        offset = -1;
      }
      if (offset < 0) {
        throw new Malformed("the offset of " + channel + " is \"" + clip(fields[2])
            + "\"; it must be an integer from 0");
      }
      if (out.put(channel, new StreamPosition(offset, epoch)) != null) {
        throw new Malformed("channel " + channel + " appears twice");
      }
    }
    return Collections.unmodifiableMap(out);
  }

  private static boolean plain(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || "_-.:@/=$~+".indexOf(c) >= 0;
  }

  /** Null when {@code name} is a valid channel name, else why not. */
  private static String channelProblem(String name) {
    try {
      EngineConfig.requireChannelName(name);
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  private static void encode(String s, StringBuilder b) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (plain(c)) {
        b.append(c);
        continue;
      }
      int end = Character.isHighSurrogate(c) && i + 1 < s.length() ? i + 2 : i + 1;
      for (byte x : s.substring(i, end).getBytes(StandardCharsets.UTF_8)) {
        b.append('%').append(Character.toUpperCase(Character.forDigit((x >> 4) & 0xf, 16)))
            .append(Character.toUpperCase(Character.forDigit(x & 0xf, 16)));
      }
      i = end - 1;
    }
  }

  private static String decode(String s) throws Malformed {
    if (s.indexOf('%') < 0) {
      for (int i = 0; i < s.length(); i++) {
        if (!plain(s.charAt(i))) {
          throw new Malformed("\"" + clip(s) + "\" holds a character that must be %-encoded");
        }
      }
      return s;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        int hi = i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
        int lo = hi < 0 ? -1 : Character.digit(s.charAt(i + 2), 16);
        if (lo < 0) {
          throw new Malformed("\"" + clip(s) + "\" has a bad %-escape at index " + i);
        }
        bytes.write(hi << 4 | lo);
        i += 2;
      } else if (plain(c)) {
        bytes.write(c);
      } else {
        throw new Malformed("\"" + clip(s) + "\" holds a character that must be %-encoded");
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private static String clip(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }
}
