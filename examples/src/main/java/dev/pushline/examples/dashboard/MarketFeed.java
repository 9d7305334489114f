package dev.pushline.examples.dashboard;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A simulated market: each ticker's price is a random walk in whole cents, and {@link #step()} moves a few
 * tickers one step and hands their new {@link Quote}s to a sink (the demo publishes each to the ticker's
 * channel).
 *
 * <h2>The walk</h2>
 * Each ticker starts at a price from $20 to $500 and has a volatility from 0.05% to 0.2% per step. A step
 * multiplies the price by {@code 1 + volatility × N(0, 1)}, plus a weak pull back towards the opening price
 * so that a demo left running for hours stays readable, and rounds it to a cent (never below one cent).
 * Everything comes from the {@link Random} and the {@link Clock} it was given: the same seed and clock give
 * the same quotes.
 *
 * <h2>Rate</h2>
 * A step moves exactly {@code updatesPerStep} distinct tickers; it does not pace itself. Whoever calls it
 * sets the rate: the demo every {@link DashboardDemo#STEP_INTERVAL}, with a fixed delay, so at most
 * {@link DashboardDemo#MAX_UPDATES_PER_SECOND} quotes a second.
 *
 * <p>Thread-safe: steps run one at a time (the demo's publishing thread, or a test's).
 */
final class MarketFeed {

  /** The event name of every quote publication. */
  static final String EVENT = "quote";

  /** The demo's tickers: made-up companies. */
  static final List<String> SYMBOLS = List.of(
      "ACME", "BOLT", "CRUX", "DYNE", "EMBR", "FLUX", "GRIT", "HALO", "IONX", "JADE",
      "KITE", "LUMN", "MOSS", "NOVA", "ORBT", "PIXL", "QUIL", "RIFT", "SOLR", "TIDE");

  private static final double MIN_START_DOLLARS = 20;
  private static final double MAX_START_DOLLARS = 500;
  private static final double MIN_VOLATILITY = 0.0005;
  private static final double MAX_VOLATILITY = 0.002;
  /** How strongly a step pulls the price back towards the opening price, per unit of relative distance. */
  private static final double REVERSION = 0.0005;

  private final Random random; // guarded by this
  private final Clock clock;
  private final int updatesPerStep;
  private final Consumer<Quote> sink;
  private final Ticker[] tickers; // guarded by this

  /**
   * @param symbols the tickers, in the order the page shows them; 1 to 1,000, distinct
   * @param updatesPerStep how many distinct tickers each {@link #step()} moves; 1 to {@code symbols.size()}
   * @param random where the opening prices, the volatilities and the walk come from
   * @param clock dates the quotes
   * @param sink receives each new quote, on the stepping thread, in the order made
   */
  MarketFeed(List<String> symbols, int updatesPerStep, Random random, Clock clock, Consumer<Quote> sink) {
    Objects.requireNonNull(symbols, "symbols");
    this.random = Objects.requireNonNull(random, "random");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.sink = Objects.requireNonNull(sink, "sink");
    if (symbols.isEmpty() || symbols.size() > 1_000 || Set.copyOf(symbols).size() != symbols.size()) {
      throw new IllegalArgumentException("symbols are " + symbols + "; there must be 1 to 1000 distinct ones");
    }
    if (updatesPerStep < 1 || updatesPerStep > symbols.size()) {
      throw new IllegalArgumentException("updatesPerStep is " + updatesPerStep + "; it must be 1.." + symbols.size());
    }
    this.updatesPerStep = updatesPerStep;
    this.tickers = new Ticker[symbols.size()];
    for (int i = 0; i < tickers.length; i++) {
      long cents = Math.round(100 * (MIN_START_DOLLARS + random.nextDouble() * (MAX_START_DOLLARS - MIN_START_DOLLARS)));
      double volatility = MIN_VOLATILITY + random.nextDouble() * (MAX_VOLATILITY - MIN_VOLATILITY);
      tickers[i] = new Ticker(symbols.get(i), cents, volatility);
    }
  }

  /** How many tickers each {@link #step()} moves. */
  int updatesPerStep() {
    return updatesPerStep;
  }

  /**
   * Moves {@code updatesPerStep} distinct tickers, chosen at random, one step each, and hands their quotes
   * to the sink.
   *
   * @return the quotes made, in the order handed to the sink
   */
  synchronized List<Quote> step() {
    long now = clock.millis();
    // A partial Fisher-Yates shuffle of the indexes picks distinct tickers.
    int[] order = new int[tickers.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    List<Quote> quotes = new ArrayList<>(updatesPerStep);
    for (int i = 0; i < updatesPerStep; i++) {
      int j = i + random.nextInt(order.length - i);
      int picked = order[j];
      order[j] = order[i];
      order[i] = picked;
      Ticker ticker = tickers[picked];
      ticker.walk(random.nextGaussian());
      quotes.add(ticker.quote(now));
    }
    quotes.forEach(sink);
    return quotes;
  }

  /**
   * Hands every ticker's current quote to the sink, without moving any: so that each channel holds its
   * ticker's state from the start.
   *
   * @return the quotes, in the order of the symbols
   */
  synchronized List<Quote> publishAll() {
    long now = clock.millis();
    List<Quote> quotes = new ArrayList<>(tickers.length);
    for (Ticker ticker : tickers) {
      quotes.add(ticker.quote(now));
    }
    quotes.forEach(sink);
    return quotes;
  }

  /** Every ticker's current quote by symbol, in the order of the symbols, dated now. */
  synchronized Map<String, Quote> quotes() {
    long now = clock.millis();
    Map<String, Quote> quotes = new LinkedHashMap<>();
    for (Ticker ticker : tickers) {
      quotes.put(ticker.symbol, ticker.quote(now));
    }
    return quotes;
  }

  /** One ticker's walk, in cents. Confined to the feed's lock. */
  private static final class Ticker {
    final String symbol;
    final long open;
    final double volatility;
    long price;
    long high;
    long low;

    Ticker(String symbol, long open, double volatility) {
      this.symbol = symbol;
      this.open = open;
      this.volatility = volatility;
      this.price = open;
      this.high = open;
      this.low = open;
    }

    void walk(double gaussian) {
      double factor = 1 + volatility * gaussian + REVERSION * (open - price) / open;
      price = Math.max(1, Math.round(price * factor));
      high = Math.max(high, price);
      low = Math.min(low, price);
    }

    Quote quote(long time) {
      long change = price - open;
      double changePercent = Math.round(change * 10_000.0 / open) / 100.0;
      return new Quote(symbol, price / 100.0, open / 100.0, high / 100.0, low / 100.0, change / 100.0,
          changePercent, time);
    }
  }
}
