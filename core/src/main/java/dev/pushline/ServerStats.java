package dev.pushline;

/**
 * A snapshot of a server's counters, from {@link PushServer#stats()}. Counters count from the server's
 * start.
 *
 * @param connections remote clients connected now
 * @param channels channels the server holds now (with subscribers, history, or obtained by the host)
 * @param slowConsumerDisconnects connections closed with {@link CloseCodes#SLOW_CONSUMER}
 * @param skippedPublications publications of KEEP_LATEST channels replaced before a slow client got them
 * @param resumesRecovered subscribes with {@code since} that got every missed publication
 * @param resumesNotRecovered subscribes with {@code since} that were told {@code "recovered":false}
 *
 * <p>Immutable; thread-safe.
 */
public record ServerStats(
    int connections,
    int channels,
    long slowConsumerDisconnects,
    long skippedPublications,
    long resumesRecovered,
    long resumesNotRecovered) {}
