package dev.pushline.examples.dashboard;

import dev.pushline.ServerStats;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Turns the push server's counters ({@link ServerStats}) into {@link ServerMetrics}: rates per second
 * between two samples, and the rates of the last {@code window} samples.
 *
 * <p>The first {@link #sample()} only takes the counters to count from; each later one hands a
 * {@link ServerMetrics} to the sink. A sample taken when the clock has not moved since the previous one is
 * skipped (a rate needs time).
 *
 * <p>Thread-safe: samples are taken one at a time.
 */
final class MetricsSampler {

  /** The event name of every metrics publication. */
  static final String EVENT = "metrics";

  private final Supplier<ServerStats> stats;
  private final Clock clock;
  private final int window;
  private final Consumer<ServerMetrics> sink;
  private ServerStats previous; // guarded by this
  private long previousMillis; // guarded by this
  private final Deque<ServerMetrics.Rates> recent = new ArrayDeque<>(); // guarded by this

  /**
   * @param stats the server's counters, such as {@code pushServer::stats}
   * @param clock times the samples
   * @param window how many samples' rates each {@link ServerMetrics} carries; 1 to 3,600
   * @param sink receives each {@link ServerMetrics}, on the sampling thread
   */
  MetricsSampler(Supplier<ServerStats> stats, Clock clock, int window, Consumer<ServerMetrics> sink) {
    this.stats = Objects.requireNonNull(stats, "stats");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.sink = Objects.requireNonNull(sink, "sink");
    if (window < 1 || window > 3_600) {
      throw new IllegalArgumentException("window is " + window + "; it must be 1..3600");
    }
    this.window = window;
  }

  /**
   * Reads the counters and, unless this is the first sample or no time passed, hands the metrics since the
   * previous sample to the sink.
   *
   * @return what was handed to the sink, or empty
   */
  synchronized Optional<ServerMetrics> sample() {
    ServerStats now = stats.get();
    long millis = clock.millis();
    if (previous != null && millis <= previousMillis) {
      return Optional.empty();
    }
    ServerStats before = previous;
    long elapsed = millis - previousMillis;
    previous = now;
    previousMillis = millis;
    if (before == null) {
      return Optional.empty();
    }
    double publications = perSecond(now.publications() - before.publications(), elapsed);
    double deliveries = perSecond(now.deliveries() - before.deliveries(), elapsed);
    double bytesOut = perSecond(now.bytesOut() - before.bytesOut(), elapsed);
    recent.addLast(new ServerMetrics.Rates(millis, publications, deliveries));
    while (recent.size() > window) {
      recent.removeFirst();
    }
    ServerMetrics metrics = new ServerMetrics(millis, now.connections(), now.subscriptions(), publications,
        deliveries, bytesOut, now.queuedBytes(), now.largestQueueBytes(), now.skippedPublications(),
        now.slowConsumerDisconnects(), new ArrayList<>(recent));
    sink.accept(metrics);
    return Optional.of(metrics);
  }

  /** {@code count} per second over {@code millis}, with one decimal. */
  private static double perSecond(long count, long millis) {
    return Math.round(count * 10_000.0 / millis) / 10.0;
  }
}
