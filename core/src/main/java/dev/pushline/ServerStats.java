package dev.pushline;

import java.util.Map;
import java.util.Objects;

/**
 * A snapshot of a server's counters, from {@link PushServer#stats()}. Values marked "now" are the state at
 * the time of the snapshot; the others count from the server's start and only grow. The counters are read
 * one after the other, not atomically together, so two related values may be a few events apart while the
 * server is busy.
 *
 * <p>The optional module {@code pushline-micrometer} ({@code dev.pushline.micrometer.PushlineMetrics})
 * publishes these to Micrometer.
 *
 * @param connections remote clients connected now
 * @param connectionsOpened remote clients that connected (were sent a {@code welcome}) since the start
 * @param channels channels the server holds now (with subscribers, history, or obtained by the host)
 * @param subscriptions remote clients' channel subscriptions now, server-side ones included
 * @param inProcessSubscriptions the host's in-process {@link Subscriber}s now, one per channel subscribed
 * @param publications publications to any channel, by the host and by clients
 * @param clientPublications the part of {@code publications} that clients sent with {@code publish}
 * @param deliveries publication frames queued to remote clients: one per recipient of each publication,
 *     replays from history included; not those skipped or dropped by the slow-consumer policy, nor
 *     in-process deliveries
 * @param bytesOut bytes of every text frame queued to remote clients (publications, replies,
 *     {@code welcome}, {@code message}), WebSocket frame headers included; not pings, close frames or the
 *     handshake. Counted when queued: bytes of a client that disconnects before reading them are counted
 *     though never written
 * @param bytesIn UTF-8 bytes of the text messages clients sent, without frame headers
 * @param errors {@code error} replies sent, by code; holds every code of protocol v1 (see
 *     {@code protocol.md}), zero included. Unmodifiable
 * @param closes connections closed, by WebSocket close code (1006 when the connection dropped without a
 *     close frame); only codes that occurred. Unmodifiable
 * @param slowConsumerDisconnects connections closed with {@link CloseCodes#SLOW_CONSUMER}
 * @param skippedPublications publications of KEEP_LATEST channels replaced before a slow client got them
 * @param resumesRecovered subscribes with {@code since} that got every missed publication
 * @param resumesNotRecovered subscribes with {@code since} that were told {@code "recovered":false}
 * @param queuedBytes bytes queued for all connections and not yet written, now (the sum of
 *     {@link ClientConnection#queuedBytes()})
 * @param largestQueueBytes the largest {@link ClientConnection#queuedBytes()} of any connection now; a value
 *     near {@link PushServer.Builder#maxQueuedBytes} means a client is about to hit the slow-consumer policy
 *
 * @param continuityLosses times a channel on this node saw a gap in the broker's live delivery (or the broker
 *     reported an interrupted delivery), so its remote subscribers were told to reconnect and resume
 *
 * <p>Immutable; thread-safe.
 */
public record ServerStats(
    int connections,
    long connectionsOpened,
    int channels,
    int subscriptions,
    int inProcessSubscriptions,
    long publications,
    long clientPublications,
    long deliveries,
    long bytesOut,
    long bytesIn,
    Map<String, Long> errors,
    Map<Integer, Long> closes,
    long slowConsumerDisconnects,
    long skippedPublications,
    long resumesRecovered,
    long resumesNotRecovered,
    long queuedBytes,
    long largestQueueBytes,
    long continuityLosses) {

  public ServerStats {
    errors = Map.copyOf(Objects.requireNonNull(errors, "errors"));
    closes = Map.copyOf(Objects.requireNonNull(closes, "closes"));
  }

  /** The number of {@code error} replies sent with {@code code}; 0 for a code never sent. */
  public long errors(String code) {
    return errors.getOrDefault(code, 0L);
  }

  /** The number of connections closed with close code {@code code}; 0 for a code that never occurred. */
  public long closes(int code) {
    return closes.getOrDefault(code, 0L);
  }
}
