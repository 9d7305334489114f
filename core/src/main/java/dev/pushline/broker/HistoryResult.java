package dev.pushline.broker;

import dev.pushline.Publication;
import java.util.List;
import java.util.Objects;

/**
 * A read of a stream's history.
 *
 * @param position the stream's position when it was read
 * @param publications the publications asked for that history still holds, oldest first, with consecutive
 *     offsets, none above {@code position.offset()}. A read {@link HistoryQuery#after after} an offset
 *     whose next publications were evicted starts later than asked: that is how a caller sees the gap.
 *
 * <p>Immutable; thread-safe.
 */
public record HistoryResult(StreamPosition position, List<Publication> publications) {

  public HistoryResult {
    Objects.requireNonNull(position, "position");
    publications = List.copyOf(publications);
  }
}
