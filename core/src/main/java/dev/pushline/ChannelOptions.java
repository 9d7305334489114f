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
 *
 * <h2>Slow consumers</h2>
 * Each connection's outgoing queue is bounded ({@code PushServer.Builder.maxQueuedBytes}). What happens to
 * a subscriber whose queue is full is the channel's {@link SlowConsumerPolicy}.
 *
 * @param historySize publications kept per channel, 0 to 1,000,000
 * @param historyTtl how long a publication stays in history; positive
 * @param slowConsumerPolicy what to do with a subscriber that cannot keep up
 * @param presence whether the server keeps track of who is subscribed (see {@link Channel#presence()}) and
 *     sends join and leave events to subscribers that ask for them; off by default, as it costs one broker
 *     write per subscribe and unsubscribe and a refresh of every entry while it lasts
 *
 * <p>Immutable; thread-safe.
 */
public record ChannelOptions(int historySize, Duration historyTtl, SlowConsumerPolicy slowConsumerPolicy,
    boolean presence) {

  /** 1,000 publications for at most 5 minutes; slow consumers are disconnected to resume from history. */
  public static final ChannelOptions DEFAULT =
      new ChannelOptions(1_000, Duration.ofMinutes(5), SlowConsumerPolicy.DISCONNECT, false);

  /** What happens to a subscriber whose connection's outgoing queue is full. */
  public enum SlowConsumerPolicy {
    /**
     * Stop sending to the connection and close it with {@link CloseCodes#SLOW_CONSUMER} once it has read
     * what is queued: the client reconnects and resumes from history without a gap. The default.
     */
    DISCONNECT,
    /**
     * Keep only the newest publication of the channel while the queue is full, and send it as soon as the
     * queue has drained to half: for channels where only the latest value matters (a ticker, a gauge).
     * The subscriber sees a jump in offsets where publications were skipped; nothing else is lost.
     */
    KEEP_LATEST
  }

  public ChannelOptions {
    Objects.requireNonNull(historyTtl, "historyTtl");
    Objects.requireNonNull(slowConsumerPolicy, "slowConsumerPolicy");
    if (historySize < 0 || historySize > 1_000_000) {
      throw new IllegalArgumentException("historySize is " + historySize + "; it must be 0..1000000");
    }
    if (historyTtl.isNegative() || historyTtl.isZero()) {
      throw new IllegalArgumentException("historyTtl is " + historyTtl + "; it must be positive");
    }
  }

  /** Options without presence. */
  public ChannelOptions(int historySize, Duration historyTtl, SlowConsumerPolicy slowConsumerPolicy) {
    this(historySize, historyTtl, slowConsumerPolicy, false);
  }

  /** No history: resuming clients are told they missed publications. */
  public static ChannelOptions noHistory() {
    return DEFAULT.withHistory(0, DEFAULT.historyTtl());
  }

  /** A copy with another history size and age. */
  public ChannelOptions withHistory(int size, Duration ttl) {
    return new ChannelOptions(size, ttl, slowConsumerPolicy, presence);
  }

  /** A copy with another slow-consumer policy. */
  public ChannelOptions withSlowConsumerPolicy(SlowConsumerPolicy policy) {
    return new ChannelOptions(historySize, historyTtl, policy, presence);
  }

  /** A copy with presence on or off. */
  public ChannelOptions withPresence(boolean on) {
    return new ChannelOptions(historySize, historyTtl, slowConsumerPolicy, on);
  }
}
