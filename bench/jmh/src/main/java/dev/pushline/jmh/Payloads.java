package dev.pushline.jmh;

/** The payloads the benchmarks publish. */
public final class Payloads {

  private Payloads() {}

  /**
   * A string payload of {@code bytes} ASCII bytes, shaped like the fan-out harness's ({@code #seq|time|xxx…}):
   * nothing JSON has to escape, so the JSON writer copies it as is.
   */
  public static String text(int bytes) {
    StringBuilder b = new StringBuilder(bytes).append("#17|1764093600000|");
    while (b.length() < bytes) {
      b.append('x');
    }
    b.setLength(bytes);
    return b.toString();
  }
}
