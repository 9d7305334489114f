package dev.pushline.bench.scenario;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A histogram of latencies in microseconds, at most about 1 % off: exact below 128 µs, then 64 buckets
 * per power of two, up to about 1,100 s (larger values land in the last bucket). Fixed memory, whatever
 * the number of samples.
 *
 * <p>Thread-safe: {@link #record} may be called from any thread; read it when recording has stopped.
 */
final class Latencies {

  private static final int SUB = 64; // buckets per power of two
  private static final int EXACT = 2 * SUB; // values below this are their own bucket
  private static final int POWERS = 24; // 128 µs * 2^23 ≈ 1,073 s
  private final AtomicLongArray counts = new AtomicLongArray(EXACT + POWERS * SUB);

  void record(long micros) {
    counts.incrementAndGet(index(Math.max(0, micros)));
  }

  private static int index(long v) {
    if (v < EXACT) {
      return (int) v;
    }
    int power = 63 - Long.numberOfLeadingZeros(v); // >= 7
    int sub = (int) ((v >>> (power - 6)) & (SUB - 1));
    int i = EXACT + (power - 7) * SUB + sub;
    return Math.min(i, EXACT + POWERS * SUB - 1);
  }

  /** The largest value that falls in bucket {@code i}. */
  private static long upper(int i) {
    if (i < EXACT) {
      return i;
    }
    int power = (i - EXACT) / SUB + 7;
    int sub = (i - EXACT) % SUB;
    long width = 1L << (power - 6);
    return (1L << power) + (sub + 1) * width - 1;
  }

  long count() {
    long n = 0;
    for (int i = 0; i < counts.length(); i++) {
      n += counts.get(i);
    }
    return n;
  }

  /** The {@code q}-quantile (0..1) in microseconds, from the bucket's upper bound; -1 without samples. */
  long quantile(double q) {
    long n = count();
    if (n == 0) {
      return -1;
    }
    long rank = Math.max(1, (long) Math.ceil(q * n));
    long seen = 0;
    for (int i = 0; i < counts.length(); i++) {
      seen += counts.get(i);
      if (seen >= rank) {
        return upper(i);
      }
    }
    return upper(counts.length() - 1);
  }

  /** p50 / p99 / max in milliseconds, for a table cell. */
  String summaryMillis() {
    if (count() == 0) {
      return "n/a";
    }
    return String.format("%.1f / %.1f / %.1f", quantile(0.5) / 1000.0, quantile(0.99) / 1000.0,
        quantile(1.0) / 1000.0);
  }
}
