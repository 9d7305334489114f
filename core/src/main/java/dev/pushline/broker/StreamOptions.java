package dev.pushline.broker;

import java.time.Duration;
import java.util.Objects;

/**
 * How a broker keeps one channel's stream, passed with every call that touches it (the broker keeps no
 * configuration of its own per channel).
 *
 * @param historySize how many of the latest publications to keep; 0 keeps none (offsets still count)
 * @param historyTtl how long a publication stays in history
 * @param metaTtl how long the stream's position (offset and epoch) is kept after its last publication or
 *     history read: a client that resumes within it on a quiet channel is told it missed nothing, after it
 *     the stream starts again in a new epoch. At least {@code historyTtl}.
 *
 * <p>Immutable; thread-safe.
 */
public record StreamOptions(int historySize, Duration historyTtl, Duration metaTtl) {

  public StreamOptions {
    Objects.requireNonNull(historyTtl, "historyTtl");
    Objects.requireNonNull(metaTtl, "metaTtl");
    if (historySize < 0) {
      throw new IllegalArgumentException("historySize is " + historySize + "; it must be >= 0");
    }
    if (historyTtl.isNegative() || historyTtl.isZero()) {
      throw new IllegalArgumentException("historyTtl is " + historyTtl + "; it must be positive");
    }
    if (metaTtl.compareTo(historyTtl) < 0) {
      throw new IllegalArgumentException("metaTtl " + metaTtl + " is shorter than historyTtl " + historyTtl);
    }
  }
}
