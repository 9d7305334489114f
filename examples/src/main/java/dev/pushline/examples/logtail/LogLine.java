package dev.pushline.examples.logtail;

import java.util.Objects;

/**
 * The data of one {@code line} event on the {@code logs} channel, as the page receives it:
 * <pre>{@code {"text":"2025-11-25 17:18:03.123 ERROR [main] c.e.App - boom","level":"ERROR"}}</pre>
 *
 * @param text the line as read, without its line terminator (at most 16 KiB of it, see
 *     {@link LogTailer#MAX_LINE_BYTES})
 * @param level {@code ERROR}, {@code WARN}, {@code INFO}, {@code DEBUG} or {@code TRACE} as guessed by
 *     {@link LevelDetector}, or null when the line shows none
 */
record LogLine(String text, String level) {

  LogLine {
    Objects.requireNonNull(text, "text");
  }
}
