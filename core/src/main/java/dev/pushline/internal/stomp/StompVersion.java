package dev.pushline.internal.stomp;

/**
 * A STOMP protocol version, and how it escapes header values.
 *
 * <p>1.2 escapes {@code \r \n : \} as {@code \r \n \c \\}; 1.1 the same without {@code \r}; 1.0 nothing. In
 * every version {@code CONNECT}, {@code STOMP} and {@code CONNECTED} frames are not escaped (1.2 section
 * "Value Encoding"), so that a 1.0 peer can read them before a version is agreed.
 */
enum StompVersion {
  V1_0("1.0"),
  V1_1("1.1"),
  V1_2("1.2");

  /** The versions the server speaks, as the {@code version} header of a refusal lists them. */
  static final String SUPPORTED = "1.0,1.1,1.2";

  final String text;

  StompVersion(String text) {
    this.text = text;
  }

  /** The version written {@code text}, or null. */
  static StompVersion of(String text) {
    for (StompVersion v : values()) {
      if (v.text.equals(text)) {
        return v;
      }
    }
    return null;
  }

  /**
   * The highest version in an {@code accept-version} header ({@code null}: the header is absent, which
   * means 1.0), or null when none is one the server speaks.
   */
  static StompVersion negotiate(String acceptVersion) {
    if (acceptVersion == null) {
      return V1_0;
    }
    StompVersion best = null;
    for (String offered : acceptVersion.split(",")) {
      StompVersion v = of(offered.trim());
      if (v != null && (best == null || v.compareTo(best) > 0)) {
        best = v;
      }
    }
    return best;
  }

  /** Whether frames other than CONNECT, STOMP and CONNECTED escape their header names and values. */
  boolean escapes() {
    return this != V1_0;
  }

  /** Whether heart-beating is defined (1.1 and later). */
  boolean heartBeats() {
    return this != V1_0;
  }

  /**
   * {@code value} as this version writes it in a frame other than CONNECTED. Characters a version cannot
   * carry (CR and LF in 1.0, CR in 1.1) become a space: they would end the header line.
   */
  String escape(String value) {
    StringBuilder out = null;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      String replacement = switch (c) {
        case '\\' -> this == V1_0 ? null : "\\\\";
        case ':' -> this == V1_0 ? null : "\\c";
        case '\n' -> this == V1_0 ? " " : "\\n";
        case '\r' -> this == V1_2 ? "\\r" : " ";
        default -> null;
      };
      if (replacement != null && out == null) {
        out = new StringBuilder(value.length() + 8).append(value, 0, i);
      }
      if (out != null) {
        if (replacement != null) {
          out.append(replacement);
        } else {
          out.append(c);
        }
      }
    }
    return out == null ? value : out.toString();
  }

  /**
   * Reverses {@link #escape}.
   *
   * @throws StompException on an escape this version does not define ({@code \t}, a trailing {@code \}, or
   *     {@code \r} in 1.1): the specification makes those a fatal protocol error
   */
  String unescape(String value) throws StompException {
    int slash = value.indexOf('\\');
    if (slash < 0 || this == V1_0) {
      return value;
    }
    StringBuilder out = new StringBuilder(value.length()).append(value, 0, slash);
    for (int i = slash; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c != '\\') {
        out.append(c);
        continue;
      }
      if (i + 1 == value.length()) {
        throw new StompException("header ends in an unfinished escape \\");
      }
      char next = value.charAt(++i);
      switch (next) {
        case '\\' -> out.append('\\');
        case 'c' -> out.append(':');
        case 'n' -> out.append('\n');
        case 'r' -> {
          if (this != V1_2) {
            throw new StompException("undefined escape \\r in STOMP " + text);
          }
          out.append('\r');
        }
        default -> throw new StompException("undefined escape \\" + printable(next) + " in a header");
      }
    }
    return out.toString();
  }

  private static String printable(char c) {
    return c >= 0x20 && c < 0x7F ? String.valueOf(c) : String.format("u%04x", (int) c);
  }
}
