package dev.pushline.examples.dashboard;

import java.util.Objects;

/**
 * The whole state of one ticker: the data of every {@value MarketFeed#EVENT} event on its channel
 * {@code ticker:<symbol>}, as the page receives it:
 * <pre>{@code {"symbol":"ACME","price":101.37,"open":100.0,"high":102.1,"low":99.52,"change":1.37,
 *  "changePercent":1.37,"time":1764150000123}}</pre>
 *
 * <p>Each publication carries all of it, never a difference from the previous one: a subscriber that
 * skipped publications (the channel's policy is {@code KEEP_LATEST}), or that starts from the last one in
 * history, shows the ticker exactly as one that got every publication.
 *
 * @param symbol the ticker's symbol, such as {@code ACME}
 * @param price the last price, in dollars with two decimals
 * @param open the price when the demo started
 * @param high the highest price since the demo started
 * @param low the lowest price since the demo started
 * @param change {@code price - open}, with two decimals
 * @param changePercent {@code change} in percent of {@code open}, with two decimals
 * @param time when the price was made, in milliseconds since the epoch (the feed's clock)
 */
record Quote(String symbol, double price, double open, double high, double low, double change,
    double changePercent, long time) {

  Quote {
    Objects.requireNonNull(symbol, "symbol");
  }
}
