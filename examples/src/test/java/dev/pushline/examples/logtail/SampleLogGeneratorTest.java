package dev.pushline.examples.logtail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@link SampleLogGenerator} with a seeded {@link Random} and a {@link MutableClock}: no waiting. */
class SampleLogGeneratorTest {

  private static final Instant START = Instant.parse("2025-11-25T17:18:00Z");
  private static final ZoneId ZONE = ZoneOffset.UTC;

  /** An entry's first line: timestamp, level padded to 5, thread, logger, message. */
  private static final Pattern HEADER = Pattern.compile(
      "(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{3}) (INFO |DEBUG|WARN |ERROR) \\[([^\\]]+)] "
          + "([a-z]+(\\.[a-z]+)*\\.[A-Z][A-Za-z]*|org\\.hibernate\\.SQL) - (\\S.*)");
  /** A line of a stack trace that follows an ERROR entry. */
  private static final Pattern TRACE = Pattern.compile(
      "\tat [\\w$./]+\\([\\w. ]+(:\\d+)?\\)|\t\\.\\.\\. \\d+ more|Caused by: [\\w.]+: .+|[\\w.]+(Exception|Error): .+");
  private static final Pattern REQUEST = Pattern.compile("(GET|POST|DELETE) /\\S* (\\d{3}) (\\d+)ms");
  private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

  private final MutableClock clock = new MutableClock(START, ZONE);

  @Test
  void writesNothingBeforeItsTime() {
    SampleLogGenerator generator = new SampleLogGenerator(new Random(1), clock);

    assertEquals(List.of(), generator.poll());
  }

  @Test
  void writesAFewEntriesASecond() {
    List<String> lines = run(2, Duration.ofMinutes(1));

    long entries = lines.stream().filter(line -> HEADER.matcher(line).matches()).count();
    // The mean pause is 350 ms: about 170 entries a minute.
    assertTrue(entries >= 120 && entries <= 240, entries + " entries in a minute");
  }

  @Test
  void everyLineIsAnEntryOrPartOfTheStackTraceOfAnError() {
    List<String> lines = run(3, Duration.ofMinutes(30));

    String entryLevel = null;
    int traceLines = 0;
    for (String line : lines) {
      Matcher header = HEADER.matcher(line);
      if (header.matches()) {
        entryLevel = header.group(2).trim();
      } else {
        assertTrue(TRACE.matcher(line).matches(), "neither an entry nor a stack trace line: " + line);
        assertEquals("ERROR", entryLevel, "a stack trace after a " + entryLevel + " entry: " + line);
        traceLines++;
      }
    }
    assertTrue(traceLines > 0, "no stack trace in 30 minutes");
  }

  @Test
  void levelsComeInRealisticProportions() {
    List<String> lines = run(4, Duration.ofMinutes(60));

    Map<String, Integer> counts = new HashMap<>();
    int entries = 0;
    for (String line : lines) {
      Matcher header = HEADER.matcher(line);
      if (header.matches()) {
        counts.merge(header.group(2).trim(), 1, Integer::sum);
        entries++;
      }
    }
    assertTrue(entries > 5_000, entries + " entries");
    assertShare(counts, entries, "INFO", 0.55, 0.75);
    assertShare(counts, entries, "DEBUG", 0.15, 0.30);
    assertShare(counts, entries, "WARN", 0.05, 0.13);
    assertShare(counts, entries, "ERROR", 0.02, 0.07);
  }

  @Test
  void requestLinesHaveMethodPathStatusAndLatency() {
    List<String> lines = run(5, Duration.ofMinutes(10));

    List<Integer> statuses = new ArrayList<>();
    for (String line : lines) {
      if (line.contains(" com.example.shop.web.RequestLog - ") && line.contains(" INFO ")) {
        Matcher m = REQUEST.matcher(line.substring(line.indexOf(" - ") + 3));
        assertTrue(m.matches(), "not a request line: " + line);
        statuses.add(Integer.parseInt(m.group(2)));
        assertTrue(Long.parseLong(m.group(3)) >= 1);
      }
    }
    assertTrue(statuses.size() > 500, statuses.size() + " request lines");
    assertTrue(statuses.contains(200) && statuses.contains(201) && statuses.contains(404),
        "statuses " + statuses.stream().distinct().sorted().toList());
    long ok = statuses.stream().filter(s -> s < 400).count();
    assertTrue(ok > statuses.size() * 0.85, "mostly successes, got " + ok + " of " + statuses.size());
  }

  @Test
  void timestampsFollowTheClockInOrder() {
    SampleLogGenerator generator = new SampleLogGenerator(new Random(6), clock);
    LocalDateTime previous = LocalDateTime.ofInstant(START, ZONE);
    for (int i = 0; i < 600; i++) {
      clock.advance(Duration.ofMillis(100));
      LocalDateTime now = LocalDateTime.ofInstant(clock.instant(), ZONE);
      for (String line : generator.poll()) {
        Matcher header = HEADER.matcher(line);
        if (header.matches()) {
          LocalDateTime at = LocalDateTime.parse(header.group(1), TIMESTAMP);
          assertFalse(at.isBefore(previous), at + " before " + previous);
          assertFalse(at.isAfter(now), at + " is in the future of " + now);
          previous = at;
        }
      }
    }
  }

  @Test
  void theSameSeedGivesTheSameLog() {
    List<String> first = run(7, Duration.ofMinutes(2));
    List<String> second = run(7, Duration.ofMinutes(2));
    List<String> other = run(8, Duration.ofMinutes(2));

    assertEquals(first, second);
    assertNotEquals(first, other);
  }

  @Test
  void resumesFromThePresentAfterALongPause() {
    SampleLogGenerator generator = new SampleLogGenerator(new Random(9), clock);
    clock.advance(Duration.ofHours(1));

    List<String> lines = generator.poll();

    assertTrue(lines.size() < 100, lines.size() + " lines after a pause: it should not replay the hour");
    Matcher first = HEADER.matcher(lines.get(0));
    assertTrue(first.matches(), lines.get(0));
    assertEquals(LocalDateTime.ofInstant(clock.instant(), ZONE).format(TIMESTAMP), first.group(1));
  }

  @Test
  void levelDetectorGivesStackTracesTheLevelOfTheirError() {
    List<String> lines = run(10, Duration.ofMinutes(30));
    LevelDetector levels = new LevelDetector();

    for (String line : lines) {
      String level = levels.detect(line);
      Matcher header = HEADER.matcher(line);
      assertEquals(header.matches() ? header.group(2).trim() : "ERROR", level, line);
    }
  }

  /** The lines a generator seeded with {@code seed} writes in {@code duration}, polled every 100 ms. */
  private static List<String> run(long seed, Duration duration) {
    MutableClock clock = new MutableClock(START, ZONE);
    SampleLogGenerator generator = new SampleLogGenerator(new Random(seed), clock);
    List<String> lines = new ArrayList<>();
    for (long t = 0; t < duration.toMillis(); t += 100) {
      clock.advance(Duration.ofMillis(100));
      lines.addAll(generator.poll());
    }
    return lines;
  }

  private static void assertShare(Map<String, Integer> counts, int total, String level, double min, double max) {
    double share = counts.getOrDefault(level, 0) / (double) total;
    assertTrue(share >= min && share <= max, level + " is " + Math.round(share * 100) + "% of entries");
  }
}
