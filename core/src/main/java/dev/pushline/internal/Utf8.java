package dev.pushline.internal;

/** UTF-8 sizes. */
public final class Utf8 {

  private Utf8() {}

  /** The number of bytes {@code s} takes in UTF-8, without encoding it. */
  public static long length(CharSequence s) {
    long n = 0;
    for (int i = 0, len = s.length(); i < len; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3; // a lone surrogate cannot come from valid UTF-8, which the transport checks
      }
    }
    return n;
  }
}
