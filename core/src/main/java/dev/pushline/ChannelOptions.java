package dev.pushline;

import java.time.Duration;
import java.util.Objects;

/**
 * How the server treats the channels of one namespace (or, as the default, every channel).
 *
 * <h2>History</h2>
 * A channel keeps its most recent publications, at most {@code historySize} of them and none older than
 * {@code historyTtl}, so that a client that lost its connection can resume from its last offset without a
 * gap, and a new subscriber can ask for the last few. {@code historySize} 0 turns history off: then a
 * client that missed publications is told so ({@code "recovered":false}) instead.
 *
 * @param historySize publications kept per channel, 0 to 1,000,000
 * @param historyTtl how long a publication stays in history; positive
 */
public record ChannelOptions(int historySize, Duration historyTtl) {

  /** 1,000 publications for at most 5 minutes. */
  public static final ChannelOptions DEFAULT = new ChannelOptions(1_000, Duration.ofMinutes(5));

  public ChannelOptions {
    Objects.requireNonNull(historyTtl, "historyTtl");
    if (historySize < 0 || historySize > 1_000_000) {
      throw new IllegalArgumentException("historySize is " + historySize + "; it must be 0..1000000");
    }
    if (historyTtl.isNegative() || historyTtl.isZero()) {
      throw new IllegalArgumentException("historyTtl is " + historyTtl + "; it must be positive");
    }
  }

  /** No history: resuming clients are told they missed publications. */
  public static ChannelOptions noHistory() {
    return new ChannelOptions(0, DEFAULT.historyTtl());
  }

  /** A copy with another history size and age. */
  public ChannelOptions withHistory(int size, Duration ttl) {
    return new ChannelOptions(size, ttl);
  }
}
