package dev.pushline.broker;

import java.util.Objects;

/**
 * A place in a channel's stream: an offset together with the epoch it belongs to.
 *
 * @param offset the offset of the last publication, 0 before the first
 * @param epoch the stream's epoch: it changes whenever the stream loses continuity (its history and offset
 *     were lost, for example when an in-memory broker restarts or a Redis without persistence restarts).
 *     Offsets of different epochs cannot be compared.
 *
 * <p>Immutable; thread-safe.
 */
public record StreamPosition(long offset, String epoch) {

  public StreamPosition {
    Objects.requireNonNull(epoch, "epoch");
    if (offset < 0) {
      throw new IllegalArgumentException("offset is " + offset + "; it must be >= 0");
    }
  }
}
