package dev.pushline;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import java.util.Objects;

/**
 * One event published to a channel.
 *
 * @param channel the channel's name
 * @param offset the publication's position in the channel's stream: 1 for the first publication of a
 *     stream, then one more for each
 * @param event the event name chosen by the publisher
 * @param data the payload, as JSON ({@code JsonNull} when the publisher gave none)
 *
 * <p>Immutable, except that {@code data} is a Gson tree shared by every in-process subscriber: treat it as
 * read-only. Thread-safe.
 */
public record Publication(String channel, long offset, String event, JsonElement data) {

  private static final Gson GSON = new Gson();

  public Publication {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(data, "data");
    if (offset < 1) {
      throw new IllegalArgumentException("offset is " + offset + "; it must be >= 1");
    }
  }

  /** The payload converted to {@code type} with Gson's default mapping. */
  public <T> T dataAs(Class<T> type) {
    return GSON.fromJson(data, type);
  }
}
