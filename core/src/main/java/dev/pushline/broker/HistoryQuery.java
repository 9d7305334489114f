package dev.pushline.broker;

/**
 * Which publications of a stream to read.
 *
 * @param after read publications with an offset above this one, oldest first; or -1 to read the latest
 *     ones instead
 * @param limit at most this many publications: the oldest ones after {@code after}, or the latest ones;
 *     0 to read only the stream's position
 *
 * <p>Immutable; thread-safe.
 */
public record HistoryQuery(long after, int limit) {

  public HistoryQuery {
    if (after < -1) {
      throw new IllegalArgumentException("after is " + after + "; it must be >= -1");
    }
    if (limit < 0) {
      throw new IllegalArgumentException("limit is " + limit + "; it must be >= 0");
    }
  }

  /** The publications after {@code offset}, oldest first, at most {@code limit} of them. */
  public static HistoryQuery after(long offset, int limit) {
    if (offset < 0) {
      throw new IllegalArgumentException("offset is " + offset + "; it must be >= 0");
    }
    return new HistoryQuery(offset, limit);
  }

  /** The latest {@code limit} publications (fewer if history holds fewer), oldest first. */
  public static HistoryQuery latest(int limit) {
    return new HistoryQuery(-1, limit);
  }

  /** Only the stream's position. */
  public static HistoryQuery positionOnly() {
    return new HistoryQuery(-1, 0);
  }

  public boolean isLatest() {
    return after < 0;
  }
}
