package dev.pushline.examples.logtail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link LevelDetector} on lines in the layouts of common loggers and servers. */
class LevelDetectorTest {

  @ParameterizedTest(name = "{1} <- {0}")
  @CsvSource(delimiter = '|', value = {
    "2025-11-25 17:18:03.123 INFO  [main] c.e.App - started                      | INFO",
    "2025-11-25 17:18:03.123 ERROR [main] c.e.App - boom                         | ERROR",
    "17:18:03.123 [http-nio-8080-exec-1] WARN  c.e.Web - slow                     | WARN",
    "2025-11-25T17:18:03.123Z DEBUG 4242 --- [main] o.s.b.App : context            | DEBUG",
    "[2025-11-25 17:18:03] TRACE entering method                                 | TRACE",
    "Nov 25, 2025 5:18:03 PM com.example.App main WARNING: disk almost full       | WARN",
    "SEVERE: cannot bind port 8080                                                | ERROR",
    "FINE: cache warmed                                                           | DEBUG",
    "2025/11/25 17:18:03 [error] 1234#0: *5 connect() failed (111: Connection refused) | ERROR",
    "2025/11/25 17:18:03 [notice] 1234#0: signal process started                  | INFO",
    "2025-11-25 17:18:03 FATAL out of memory                                      | ERROR",
  })
  void findsTheLevelWord(String line, String level) {
    assertEquals(level, new LevelDetector().detect(line));
  }

  @Test
  void linesWithoutALevelHaveNone() {
    LevelDetector levels = new LevelDetector();

    assertNull(levels.detect("127.0.0.1 - - [25/Nov/2025:17:18:03 +0000] \"GET / HTTP/1.1\" 200 612"));
    assertNull(levels.detect("Information about errors is in the manual"));
    assertNull(levels.detect(""));
  }

  @Test
  void onlyLooksNearTheStartOfTheLine() {
    String line = "2025-11-25 17:18:03 " + "x".repeat(LevelDetector.SCAN_CHARS) + " ERROR";

    assertNull(new LevelDetector().detect(line));
  }

  @Test
  void aStackTraceTakesTheLevelOfItsEntry() {
    LevelDetector levels = new LevelDetector();
    List<String> found = new ArrayList<>();
    for (String line : List.of(
        "2025-11-25 17:18:03.123 ERROR [main] c.e.App - request failed",
        "java.lang.IllegalStateException: Cart 8812 is already checked out",
        "\tat com.example.shop.cart.CartService.checkout(CartService.java:142)",
        "Caused by: java.io.IOException: reset",
        "\t... 38 more",
        "Suppressed: java.lang.IllegalArgumentException",
        "com.example.shop.mail.MailDeliveryException",
        "2025-11-25 17:18:04.000 INFO  [main] c.e.App - next entry",
        "plain text after an entry")) {
      found.add(levels.detect(line));
    }

    assertEquals(List.of("ERROR", "ERROR", "ERROR", "ERROR", "ERROR", "ERROR", "ERROR", "INFO"),
        found.subList(0, 8));
    assertNull(found.get(8));
  }

  @Test
  void aVeryLongContinuationLineKeepsTheLevel() {
    LevelDetector levels = new LevelDetector();
    levels.detect("2025-11-25 17:18:03.123 WARN  [main] c.e.App - slow");

    assertEquals("WARN", levels.detect("\t" + "x.".repeat(8_000)));
    assertEquals("WARN", levels.detect("com.example.shop.mail.MailDeliveryException: " + "y".repeat(10_000)));
  }

  @Test
  void anIndentedLineWithNoEntryBeforeItHasNoLevel() {
    assertNull(new LevelDetector().detect("\tat com.example.App.main(App.java:3)"));
  }
}
