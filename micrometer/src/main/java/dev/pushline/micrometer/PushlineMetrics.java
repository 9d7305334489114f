package dev.pushline.micrometer;

import dev.pushline.CloseCodes;
import dev.pushline.PushServer;
import dev.pushline.ServerStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * Publishes a {@link PushServer}'s counters ({@link PushServer#stats()}) to a Micrometer registry, and so
 * to Prometheus and every other backend Micrometer supports.
 *
 * <pre>{@code
 * PushServer server = PushServer.builder().port(8025).build().start();
 * new PushlineMetrics(server, Tags.of("service", "orders")).bindTo(registry);
 * }</pre>
 *
 * <h2>Meters</h2>
 * <table>
 *   <caption>Meters, each with the tags given to the constructor</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>what</th></tr>
 *   <tr><td>{@code pushline.connections}</td><td>gauge</td><td></td><td>remote clients connected now</td></tr>
 *   <tr><td>{@code pushline.connections.opened}</td><td>counter</td><td></td><td>clients that connected</td></tr>
 *   <tr><td>{@code pushline.subscriptions}</td><td>gauge</td><td>{@code subscriber=remote|in_process}</td>
 *       <td>channel subscriptions now</td></tr>
 *   <tr><td>{@code pushline.channels}</td><td>gauge</td><td></td><td>channels the server holds now</td></tr>
 *   <tr><td>{@code pushline.publications}</td><td>counter</td><td>{@code origin=host|client}</td>
 *       <td>publications</td></tr>
 *   <tr><td>{@code pushline.deliveries}</td><td>counter</td><td></td><td>publication frames queued to remote
 *       clients, replays included</td></tr>
 *   <tr><td>{@code pushline.outbound}</td><td>counter, bytes</td><td></td><td>bytes of the frames queued to
 *       clients</td></tr>
 *   <tr><td>{@code pushline.inbound}</td><td>counter, bytes</td><td></td><td>bytes of the messages clients
 *       sent</td></tr>
 *   <tr><td>{@code pushline.errors}</td><td>counter</td><td>{@code code}: each protocol v1 error code</td>
 *       <td>{@code error} replies sent</td></tr>
 *   <tr><td>{@code pushline.disconnects}</td><td>counter</td><td>{@code code}: 1000, 1001, 1002, 1003, 1005,
 *       1006, 1007, 1008, 1009, 1011, 3000, 3001, 3002, 3003, 3500, 3501, or {@code other}</td><td>connections closed, by close
 *       code</td></tr>
 *   <tr><td>{@code pushline.slow.consumer.disconnects}</td><td>counter</td><td></td><td>connections closed
 *       because their queue was full</td></tr>
 *   <tr><td>{@code pushline.skipped.publications}</td><td>counter</td><td></td><td>publications of
 *       KEEP_LATEST channels replaced before a slow client got them</td></tr>
 *   <tr><td>{@code pushline.resumes}</td><td>counter</td><td>{@code outcome=recovered|not_recovered}</td>
 *       <td>subscribes with {@code since}</td></tr>
 *   <tr><td>{@code pushline.queued}</td><td>gauge, bytes</td><td></td><td>bytes queued for all connections
 *       and not yet written, now</td></tr>
 *   <tr><td>{@code pushline.queued.max}</td><td>gauge, bytes</td><td></td><td>the largest queue of one
 *       connection now</td></tr>
 * </table>
 * {@link ServerStats} documents each value exactly.
 *
 * <h2>Cost</h2>
 * Each meter reads a fresh {@link PushServer#stats()} when the registry asks for its value (on each
 * scrape, for Prometheus): about forty snapshots per scrape, each reading every counter once and every
 * connection's queue size once. Nothing is added to the server's own work between scrapes.
 *
 * <p>The meters hold the server weakly, as Micrometer does by default: once the application drops the
 * server, they report NaN. Thread-safe.
 */
public final class PushlineMetrics implements MeterBinder {

  /**
   * Close codes that get a {@code pushline.disconnects} counter of their own: WebSocket's that a server
   * sees (1005: closed without a code; 1006: dropped without a close frame) and Pushline's. Every other
   * code, the application's 4000..4999 included, counts as {@code other}, to keep the tag's values few.
   */
  static final Set<Integer> CLOSE_CODES = Set.of(1000, CloseCodes.GOING_AWAY, 1002, CloseCodes.UNSUPPORTED_DATA,
      1005, 1006, 1007, CloseCodes.POLICY_VIOLATION, CloseCodes.MESSAGE_TOO_BIG, CloseCodes.INTERNAL_ERROR,
      CloseCodes.RECONNECT, CloseCodes.SLOW_CONSUMER, CloseCodes.RATE_LIMITED, CloseCodes.TOKEN_EXPIRED,
      CloseCodes.DISCONNECT, CloseCodes.UNAUTHORIZED);

  private final PushServer server;
  private final Tags tags;

  /** Meters for {@code server}, without tags of their own. */
  public PushlineMetrics(PushServer server) {
    this(server, Tags.empty());
  }

  /**
   * Meters for {@code server}, each with {@code tags} (for example the service or the server's role, when
   * one application runs several servers).
   */
  public PushlineMetrics(PushServer server, Iterable<Tag> tags) {
    this.server = Objects.requireNonNull(server, "server");
    this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    gauge(registry, "pushline.connections", "Remote clients connected now", null, Tags.empty(),
        ServerStats::connections);
    counter(registry, "pushline.connections.opened", "Remote clients that connected", null, Tags.empty(),
        ServerStats::connectionsOpened);
    gauge(registry, "pushline.subscriptions", "Channel subscriptions now", null, Tags.of("subscriber", "remote"),
        ServerStats::subscriptions);
    gauge(registry, "pushline.subscriptions", "Channel subscriptions now", null,
        Tags.of("subscriber", "in_process"), ServerStats::inProcessSubscriptions);
    gauge(registry, "pushline.channels", "Channels the server holds now", null, Tags.empty(),
        ServerStats::channels);
    counter(registry, "pushline.publications", "Publications", null, Tags.of("origin", "host"),
        s -> s.publications() - s.clientPublications());
    counter(registry, "pushline.publications", "Publications", null, Tags.of("origin", "client"),
        ServerStats::clientPublications);
    counter(registry, "pushline.deliveries", "Publication frames queued to remote clients, replays included",
        null, Tags.empty(), ServerStats::deliveries);
    counter(registry, "pushline.outbound", "Bytes of the frames queued to remote clients", BaseUnits.BYTES,
        Tags.empty(), ServerStats::bytesOut);
    counter(registry, "pushline.inbound", "Bytes of the text messages remote clients sent", BaseUnits.BYTES,
        Tags.empty(), ServerStats::bytesIn);
    for (String code : server.stats().errors().keySet()) {
      counter(registry, "pushline.errors", "Error replies sent to clients, by protocol error code", null,
          Tags.of("code", code), s -> s.errors(code));
    }
    for (int code : CLOSE_CODES) {
      counter(registry, "pushline.disconnects", "Connections closed, by WebSocket close code", null,
          Tags.of("code", Integer.toString(code)), s -> s.closes(code));
    }
    counter(registry, "pushline.disconnects", "Connections closed, by WebSocket close code", null,
        Tags.of("code", "other"), PushlineMetrics::otherCloses);
    counter(registry, "pushline.slow.consumer.disconnects", "Connections closed because their queue was full",
        null, Tags.empty(), ServerStats::slowConsumerDisconnects);
    counter(registry, "pushline.skipped.publications",
        "Publications of KEEP_LATEST channels replaced before a slow client got them", null, Tags.empty(),
        ServerStats::skippedPublications);
    counter(registry, "pushline.resumes", "Subscribes that resumed from a position", null,
        Tags.of("outcome", "recovered"), ServerStats::resumesRecovered);
    counter(registry, "pushline.resumes", "Subscribes that resumed from a position", null,
        Tags.of("outcome", "not_recovered"), ServerStats::resumesNotRecovered);
    counter(registry, "pushline.continuity.losses",
        "Gaps in the broker's live delivery after which a channel's subscribers reconnected to resume", null,
        Tags.empty(), ServerStats::continuityLosses);
    gauge(registry, "pushline.queued", "Bytes queued for all connections and not yet written", BaseUnits.BYTES,
        Tags.empty(), ServerStats::queuedBytes);
    gauge(registry, "pushline.queued.max", "The largest number of bytes queued for one connection",
        BaseUnits.BYTES, Tags.empty(), ServerStats::largestQueueBytes);
  }

  /** Connections closed with a code that has no counter of its own. */
  static long otherCloses(ServerStats stats) {
    long n = 0;
    for (var e : stats.closes().entrySet()) {
      if (!CLOSE_CODES.contains(e.getKey())) {
        n += e.getValue();
      }
    }
    return n;
  }

  private void gauge(MeterRegistry registry, String name, String description, String baseUnit, Tags extra,
      ToDoubleFunction<ServerStats> value) {
    Gauge.builder(name, server, s -> value.applyAsDouble(s.stats()))
        .description(description).baseUnit(baseUnit).tags(tags.and(extra)).register(registry);
  }

  private void counter(MeterRegistry registry, String name, String description, String baseUnit, Tags extra,
      ToDoubleFunction<ServerStats> value) {
    FunctionCounter.builder(name, server, s -> value.applyAsDouble(s.stats()))
        .description(description).baseUnit(baseUnit).tags(tags.and(extra)).register(registry);
  }
}
