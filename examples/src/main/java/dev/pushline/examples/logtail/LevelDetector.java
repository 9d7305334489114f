package dev.pushline.examples.logtail;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Guesses the level of each line of a log, so the page can colour it.
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li>A line that continues the entry before it (indented, {@code Caused by:}, {@code Suppressed:},
 *       {@code ... 12 more}, or an exception's first line such as {@code java.io.IOException: reset})
 *       takes the level of that entry, so a stack trace is coloured like the error it belongs to.</li>
 *   <li>Otherwise a level word near the start of the line (in its first {@value #SCAN_CHARS} characters)
 *       gives the level: {@code TRACE DEBUG INFO WARN ERROR} in capitals, as Logback, Log4j,
 *       java.util.logging ({@code WARNING SEVERE}) and most others write them, or in lower case in
 *       brackets, as nginx and Apache do ({@code [error]}). Synonyms map onto the five: {@code WARNING}
 *       to {@code WARN}; {@code FATAL SEVERE CRITICAL CRIT ALERT EMERG} to {@code ERROR};
 *       {@code NOTICE} to {@code INFO}; {@code FINE FINER FINEST} to {@code DEBUG}.</li>
 *   <li>Otherwise the line has no level (null).</li>
 * </ul>
 *
 * <p>Not thread-safe; confine to one thread. It remembers the last level for continuation lines.
 */
final class LevelDetector {

  static final int SCAN_CHARS = 120;

  private static final Pattern LEVEL = Pattern.compile(
      "(?<![A-Za-z])(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|FATAL|SEVERE|CRITICAL|FINE|FINER|FINEST)"
          + "(?![A-Za-z])"
          + "|\\[(trace|debug|info|notice|warn|warning|error|crit|alert|emerg)\\]");

  /** How a continuation line starts (matched against its first {@value #SCAN_CHARS} characters). */
  private static final Pattern CONTINUATION = Pattern.compile(
      "[ \\t]"
          + "|(Caused by|Suppressed): "
          + "|\\.\\.\\. \\d+ (more|common frames omitted)"
          + "|([a-zA-Z_$][\\w$]*\\.)+[A-Z][\\w$]*(Exception|Error|Throwable)(: |$)");

  private String last;

  /** The level of {@code line}: one of {@code ERROR WARN INFO DEBUG TRACE}, or null. */
  String detect(String line) {
    if (last != null && startsLike(CONTINUATION, line)) {
      return last;
    }
    last = levelWord(line);
    return last;
  }

  /** Whether the start of {@code line} matches {@code pattern}; looks at {@value #SCAN_CHARS} chars at most. */
  private static boolean startsLike(Pattern pattern, String line) {
    return pattern.matcher(line).region(0, Math.min(line.length(), SCAN_CHARS)).lookingAt();
  }

  private static String levelWord(String line) {
    Matcher m = LEVEL.matcher(line).region(0, Math.min(line.length(), SCAN_CHARS));
    if (!m.find()) {
      return null;
    }
    String word = (m.group(1) != null ? m.group(1) : m.group(2)).toUpperCase(Locale.ROOT);
    switch (word) {
      case "WARNING":
        return "WARN";
      case "FATAL":
      case "SEVERE":
      case "CRITICAL":
      case "CRIT":
      case "ALERT":
      case "EMERG":
        return "ERROR";
      case "NOTICE":
        return "INFO";
      case "FINE":
      case "FINER":
      case "FINEST":
        return "DEBUG";
      default:
        return word;
    }
  }
}
