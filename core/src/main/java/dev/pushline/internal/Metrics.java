package dev.pushline.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The engine's counters, read together by {@link Engine#stats()}.
 *
 * <h2>Cost</h2>
 * Every counter is a {@link LongAdder}: threads that count at once (decoder threads, host threads
 * publishing on different channels) add to different cells instead of contending on one word. The fan-out
 * loop never counts per recipient: a publication adds its number of recipients and their bytes once, after
 * the loop ({@link #delivered}), so a publication to N subscribers costs two adds, not N.
 *
 * <p>Thread-safe.
 */
final class Metrics {

  final LongAdder connectionsOpened = new LongAdder();
  /** Subscriptions of remote clients now: +1 when a session is added to a channel, -1 when removed. */
  final LongAdder remoteSubscriptions = new LongAdder();
  /** In-process subscribers now, counted like {@link #remoteSubscriptions}. */
  final LongAdder inProcessSubscriptions = new LongAdder();
  final LongAdder hostPublications = new LongAdder();
  final LongAdder clientPublications = new LongAdder();
  final LongAdder deliveries = new LongAdder();
  final LongAdder bytesOut = new LongAdder();
  final LongAdder bytesIn = new LongAdder();
  final LongAdder slowConsumerDisconnects = new LongAdder();
  final LongAdder skipped = new LongAdder();
  final LongAdder resumesRecovered = new LongAdder();
  final LongAdder resumesNotRecovered = new LongAdder();
  final LongAdder continuityLosses = new LongAdder();
  /** Every code of {@link Codec#ERROR_CODES} from the start; a code missing from that list on first use. */
  private final ConcurrentHashMap<String, LongAdder> errors = new ConcurrentHashMap<>();
  /** Close codes as they occur: a few dozen at most (the transport passes only valid WebSocket codes). */
  private final ConcurrentHashMap<Integer, LongAdder> closes = new ConcurrentHashMap<>();

  Metrics() {
    for (String code : Codec.ERROR_CODES) {
      errors.put(code, new LongAdder());
    }
  }

  /** {@code recipients} remote connections were each queued one frame of {@code frameBytes}. */
  void delivered(int recipients, int frameBytes) {
    if (recipients > 0) {
      deliveries.add(recipients);
      bytesOut.add((long) recipients * frameBytes);
    }
  }

  void error(String code) {
    errors.computeIfAbsent(code, k -> new LongAdder()).increment();
  }

  void closed(int code) {
    closes.computeIfAbsent(code, k -> new LongAdder()).increment();
  }

  Map<String, Long> errors() {
    return sums(errors);
  }

  Map<Integer, Long> closes() {
    return sums(closes);
  }

  private static <K> Map<K, Long> sums(Map<K, LongAdder> adders) {
    Map<K, Long> out = new LinkedHashMap<>();
    adders.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** The number of bytes {@code s} takes in UTF-8, without encoding it. */
  static long utf8Length(CharSequence s) {
    return Utf8.length(s);
  }
}
