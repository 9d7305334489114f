package dev.pushline.examples.dashboard;

import java.util.List;
import java.util.Objects;

/**
 * The push server's own numbers, once a second: the data of every {@value MetricsSampler#EVENT} event on
 * the channel {@value DashboardDemo#METRICS_CHANNEL}. Like a {@link Quote}, each publication carries the
 * whole state the page draws, the last minute of rates included, so skipping one loses nothing.
 *
 * @param time when the sample was taken, in milliseconds since the epoch
 * @param connections WebSocket clients connected now
 * @param subscriptions their channel subscriptions now
 * @param publicationsPerSecond publications (every channel) per second since the previous sample
 * @param deliveriesPerSecond publication frames queued to clients per second since the previous sample
 * @param bytesOutPerSecond bytes queued to clients per second since the previous sample
 * @param queuedBytes bytes queued for all connections and not yet written, now
 * @param largestQueueBytes the largest of those queues, now
 * @param skippedPublications publications of KEEP_LATEST channels replaced before a slow client got them,
 *     since the server started
 * @param slowConsumerDisconnects connections closed as slow consumers since the server started
 * @param recent the rates of the last samples, oldest first, this one last
 */
record ServerMetrics(long time, int connections, int subscriptions, double publicationsPerSecond,
    double deliveriesPerSecond, double bytesOutPerSecond, long queuedBytes, long largestQueueBytes,
    long skippedPublications, long slowConsumerDisconnects, List<Rates> recent) {

  ServerMetrics {
    recent = List.copyOf(Objects.requireNonNull(recent, "recent"));
  }

  /** One sample's rates, for the chart. */
  record Rates(long time, double publicationsPerSecond, double deliveriesPerSecond) {}
}
