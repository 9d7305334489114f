package dev.pushline.examples.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pushline.examples.logtail.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** {@link MarketFeed} with a seeded {@link Random} and a clock that moves only when told. */
class MarketFeedTest {

  private static final Instant OPENING = Instant.parse("2025-11-26T09:30:00Z");

  private MutableClock clock = new MutableClock(OPENING, ZoneOffset.UTC);
  private final List<Quote> sunk = new ArrayList<>();

  private MarketFeed feed(long seed) {
    return new MarketFeed(MarketFeed.SYMBOLS, 6, new Random(seed), clock, sunk::add);
  }

  @Test
  void theSameSeedAndClockGiveTheSameQuotes() {
    List<Quote> first = run(feed(42), 500);
    clock = new MutableClock(OPENING, ZoneOffset.UTC);
    List<Quote> second = run(feed(42), 500);
    clock = new MutableClock(OPENING, ZoneOffset.UTC);
    List<Quote> otherSeed = run(feed(43), 500);

    assertTrue(first.equals(second), "the same seed and clock, other quotes");
    assertTrue(!first.equals(otherSeed), "another seed, another market");
  }

  @Test
  void eachStepMovesExactlyUpdatesPerStepDistinctTickersAndHandsTheirQuotesToTheSink() {
    MarketFeed feed = feed(1);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      sunk.clear();
      List<Quote> quotes = feed.step();

      assertEquals(6, quotes.size());
      assertEquals(quotes, sunk, "what step returns is what the sink got, in order");
      assertEquals(6, quotes.stream().map(Quote::symbol).distinct().count(), "distinct tickers: " + quotes);
      quotes.forEach(q -> seen.add(q.symbol()));
    }
    assertEquals(Set.copyOf(MarketFeed.SYMBOLS), seen, "every ticker moves sooner or later");
  }

  @Test
  void eachQuoteIsTheTickersWholeStateNotADifference() {
    MarketFeed feed = feed(7);
    Map<String, Quote> opening = new HashMap<>();
    feed.publishAll().forEach(q -> opening.put(q.symbol(), q));
    Map<String, Double> high = new HashMap<>();
    Map<String, Double> low = new HashMap<>();
    opening.forEach((symbol, q) -> {
      high.put(symbol, q.open());
      low.put(symbol, q.open());
      assertEquals(q.open(), q.price(), "at the opening the price is the open");
    });

    for (int step = 0; step < 3_000; step++) {
      clock.advance(Duration.ofMillis(20));
      for (Quote q : feed.step()) {
        assertWholeState(q, opening.get(q.symbol()).open(), high, low);
      }
    }
  }

  /** {@code q} says all there is about its ticker: computed from every earlier quote, it is the same. */
  private void assertWholeState(Quote q, double open, Map<String, Double> high, Map<String, Double> low) {
    Supplier<String> quote = q::toString; // messages made only on failure: thousands of quotes are checked
    high.merge(q.symbol(), q.price(), Math::max);
    low.merge(q.symbol(), q.price(), Math::min);
    assertEquals(open, q.open(), quote);
    assertEquals(high.get(q.symbol()), q.high(), () -> "high since the start: " + q);
    assertEquals(low.get(q.symbol()), q.low(), () -> "low since the start: " + q);
    assertEquals(cents(q.price() - open), cents(q.change()), quote);
    assertEquals(Math.round((q.price() - open) * 10_000 / open) / 100.0, q.changePercent(), 0.0051, quote);
    assertEquals(q.price(), cents(q.price()) / 100.0, () -> "whole cents: " + q);
    assertTrue(q.price() >= 0.01 && q.low() <= q.price() && q.price() <= q.high(), quote);
    assertEquals(clock.millis(), q.time(), () -> "dated by the clock: " + q);
  }

  @Test
  void publishAllHandsEveryTickersCurrentQuoteWithoutMovingAny() {
    MarketFeed feed = feed(5);
    run(feed, 50);
    Map<String, Quote> before = feed.quotes();
    sunk.clear();

    List<Quote> all = feed.publishAll();

    assertEquals(all, sunk);
    assertEquals(MarketFeed.SYMBOLS, all.stream().map(Quote::symbol).toList());
    assertEquals(List.copyOf(before.values()), all);
    assertEquals(before, feed.quotes(), "nothing moved");
  }

  @Test
  void refusesSettingsItCannotWorkWith() {
    Random random = new Random();
    IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
        () -> new MarketFeed(List.of("A", "B"), 3, random, clock, q -> { }));
    assertEquals("updatesPerStep is 3; it must be 1..2", tooMany.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new MarketFeed(List.of("A", "A"), 1, random, clock, q -> { }));
    assertThrows(IllegalArgumentException.class, () -> new MarketFeed(List.of(), 1, random, clock, q -> { }));
  }

  /** {@code steps} steps, the clock moving 20 ms before each; every quote made, in order. */
  private List<Quote> run(MarketFeed feed, int steps) {
    List<Quote> quotes = new ArrayList<>();
    for (int i = 0; i < steps; i++) {
      clock.advance(Duration.ofMillis(20));
      quotes.addAll(feed.step());
    }
    return quotes;
  }

  private static long cents(double dollars) {
    return Math.round(dollars * 100);
  }
}
