package dev.pushline.internal;

import com.google.gson.JsonElement;
import dev.pushline.Channel;
import dev.pushline.ClientInfo;
import dev.pushline.Publication;
import dev.pushline.Subscriber;
import dev.pushline.broker.HistoryQuery;
import dev.pushline.broker.StreamPosition;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * The host's view of one channel: every call goes to the engine (local subscribers) or the broker (the
 * stream, history, presence). Holds nothing but the name, so it is cheap to make and never stale.
 *
 * <p>Thread-safe.
 */
final class ChannelHandle implements Channel {

  private final Engine engine;
  private final String name;

  ChannelHandle(Engine engine, String name) {
    this.engine = engine;
    this.name = name;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public long publish(String event, Object data) {
    return Futures.await(publishAsync(event, data), "publish to " + name);
  }

  @Override
  public CompletableFuture<Long> publishAsync(String event, Object data) {
    Names.requireEvent(event);
    JsonElement json = Codec.toJson(data);
    return engine.publish(name, event, json).thenApply(position -> {
      engine.metrics.hostPublications.increment();
      return position.offset();
    });
  }

  @Override
  public long offset() {
    return position().offset();
  }

  @Override
  public String epoch() {
    return position().epoch();
  }

  private StreamPosition position() {
    return Futures.await(engine.config.broker().history(name, HistoryQuery.positionOnly(),
        engine.config.streamOptionsFor(name)), "read the position of " + name).position();
  }

  @Override
  public List<Publication> history() {
    int size = engine.config.optionsFor(name).historySize();
    return Futures.await(engine.config.broker().history(name, HistoryQuery.latest(size),
        engine.config.streamOptionsFor(name)), "read the history of " + name).publications();
  }

  @Override
  public List<ClientInfo> presence() {
    if (!engine.config.optionsFor(name).presence()) {
      throw new IllegalStateException("presence is off for channel " + name
          + "; turn it on with ChannelOptions.withPresence(true)");
    }
    return Futures.await(engine.config.broker().presence(name), "read the presence of " + name);
  }

  @Override
  public int subscriberCount() {
    return engine.subscriberCount(name);
  }

  @Override
  public boolean subscribe(Subscriber subscriber) {
    Objects.requireNonNull(subscriber, "subscriber");
    engine.requireRunning();
    if (subscriber instanceof Session session && session.belongsTo(engine)) {
      return session.subscribeServerSide(name);
    }
    return engine.subscribeLocal(name, subscriber);
  }

  @Override
  public boolean unsubscribe(Subscriber subscriber) {
    Objects.requireNonNull(subscriber, "subscriber");
    if (subscriber instanceof Session session && session.belongsTo(engine)) {
      return session.unsubscribeServerSide(name);
    }
    return engine.unsubscribeLocal(name, subscriber);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ChannelHandle h && h.engine == engine && h.name.equals(name);
  }

  @Override
  public int hashCode() {
    return name.hashCode();
  }

  @Override
  public String toString() {
    return "Channel[" + name + "]";
  }
}
