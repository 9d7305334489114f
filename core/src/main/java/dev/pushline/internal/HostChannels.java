package dev.pushline.internal;

import com.google.gson.JsonElement;
import dev.pushline.ClientInfo;
import dev.pushline.broker.HistoryQuery;
import dev.pushline.broker.HistoryResult;
import dev.pushline.broker.StreamPosition;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The host's channel operations without waiting, for code outside this package that must not block on the
 * broker (the HTTP API): each returns the broker's future. Publications made here are the host's, counted
 * as such in {@link dev.pushline.ServerStats}, and reach every subscriber as {@code Channel.publish} does.
 * {@link dev.pushline.Channel} offers the same blocking, or without the stream position.
 *
 * <p>Thread-safe.
 */
public final class HostChannels {

  private final Engine engine;

  public HostChannels(Engine engine) {
    this.engine = engine;
  }

  /** Null when {@code name} is a valid channel name (protocol v1's rule, up to 255 characters), else why not. */
  public static String channelProblem(String name) {
    return Names.channelProblem(name);
  }

  /** Null when {@code event} is a valid event name (1 to 255 characters), else why not. */
  public static String eventProblem(String event) {
    return Names.eventProblem(event);
  }

  /**
   * Publishes as the host.
   *
   * @param data the payload; {@code JsonNull} for none
   * @return the publication's position, or a {@link dev.pushline.broker.BrokerException}
   * @throws IllegalArgumentException if the channel or event name is invalid
   * @throws IllegalStateException if the server is not running
   */
  public CompletableFuture<StreamPosition> publish(String channel, String event, JsonElement data) {
    Names.requireChannel(channel);
    Names.requireEvent(event);
    return engine.publish(channel, event, data).thenApply(position -> {
      engine.metrics.hostPublications.increment();
      return position;
    });
  }

  /** The channel's position and, as {@code query} asks, its history, in one read. */
  public CompletableFuture<HistoryResult> history(String channel, HistoryQuery query) {
    Names.requireChannel(channel);
    return engine.config.broker().history(channel, query, engine.config.streamOptionsFor(channel));
  }

  /** Whether the server keeps presence for {@code channel} ({@code ChannelOptions.presence()}). */
  public boolean presenceEnabled(String channel) {
    return engine.config.optionsFor(channel).presence();
  }

  /**
   * Who is subscribed to {@code channel} now, on every node.
   *
   * @throws IllegalStateException if presence is off for the channel
   */
  public CompletableFuture<List<ClientInfo>> presence(String channel) {
    Names.requireChannel(channel);
    if (!presenceEnabled(channel)) {
      throw new IllegalStateException("presence is off for channel " + channel);
    }
    return engine.config.broker().presence(channel);
  }
}
