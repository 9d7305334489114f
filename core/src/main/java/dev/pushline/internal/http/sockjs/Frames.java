package dev.pushline.internal.http.sockjs;

import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;

/**
 * SockJS 0.3 framing: what the server sends ({@code o}, {@code h}, {@code a[...]}, {@code c[code,"reason"]})
 * and what a client posts to {@code xhr_send} (a JSON array of strings).
 *
 * <p>Stateless; thread-safe.
 */
final class Frames {

  static final String OPEN = "o";
  static final String HEARTBEAT = "h";
  /** The xhr-streaming prelude: 2 KiB of {@code h} and a newline, so that browsers start handing over chunks. */
  static final String STREAMING_PRELUDE = "h".repeat(2048) + "\n";
  /** The EventSource prelude (an empty line, for old Opera). */
  static final String EVENTSOURCE_PRELUDE = "\r\n";

  private Frames() {}

  /** The frame {@code c[code,"reason"]}. */
  static String close(int code, String reason) {
    StringBuilder b = new StringBuilder(reason.length() + 16).append("c[").append(code).append(',');
    quote(b, reason);
    return b.append(']').toString();
  }

  /** The frame {@code a["m1","m2",...]}, each message a JSON string. */
  static String array(List<String> messages) {
    int size = 4;
    for (String m : messages) {
      size += m.length() + 3;
    }
    StringBuilder b = new StringBuilder(size).append("a[");
    for (int i = 0; i < messages.size(); i++) {
      if (i > 0) {
        b.append(',');
      }
      quote(b, messages.get(i));
    }
    return b.append(']').toString();
  }

  /**
   * Appends {@code s} as a JSON string, escaping what SockJS clients need escaped on top of JSON's own rules:
   * controls, the invisible and separator characters browsers mangle ({@code U+200C..U+200F},
   * {@code U+2028..U+202F}, {@code U+2060..U+206F}, {@code U+FFF0..U+FFFF}) and surrogates, each as
   * {@code \\uXXXX}. The result is plain ASCII-safe for every SockJS transport.
   */
  static void quote(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (mustEscape(c)) {
            b.append("\\u");
            String hex = Integer.toHexString(c);
            for (int pad = hex.length(); pad < 4; pad++) {
              b.append('0');
            }
            b.append(hex);
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }

  private static boolean mustEscape(char c) {
    return c < 0x20
        || (c >= 0x7f && c <= 0x9f)
        || (c >= 0x200c && c <= 0x200f)
        || (c >= 0x2028 && c <= 0x202f)
        || (c >= 0x2060 && c <= 0x206f)
        || (c >= 0xd800 && c <= 0xdfff)
        || c >= 0xfff0;
  }

  /** An {@code xhr_send} body that is not a JSON array of strings. */
  static final class BrokenJson extends Exception {
    BrokenJson(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The messages of an {@code xhr_send} body: a JSON array of strings, parsed strictly.
   *
   * @throws BrokenJson if the body is anything else
   */
  static List<String> parseMessages(String body) throws BrokenJson {
    List<String> out = new ArrayList<>();
    try (JsonReader r = new JsonReader(new StringReader(body))) {
      r.beginArray();
      while (r.hasNext()) {
        if (r.peek() != JsonToken.STRING) {
          throw new BrokenJson("an element is " + r.peek() + ", not a string");
        }
        out.add(r.nextString());
      }
      r.endArray();
      if (r.peek() != JsonToken.END_DOCUMENT) {
        throw new BrokenJson("data after the array");
      }
    } catch (IOException | IllegalStateException | NumberFormatException e) {
      throw new BrokenJson(e.getMessage());
    }
    return out;
  }
}
