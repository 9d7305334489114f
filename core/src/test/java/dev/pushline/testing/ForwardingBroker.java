package dev.pushline.testing;

import com.google.gson.JsonElement;
import dev.pushline.ClientInfo;
import dev.pushline.broker.Broker;
import dev.pushline.broker.BrokerHandler;
import dev.pushline.broker.HistoryQuery;
import dev.pushline.broker.HistoryResult;
import dev.pushline.broker.StreamOptions;
import dev.pushline.broker.StreamPosition;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link Broker} that passes every call to another one: tests override only the calls they script.
 * Thread-safe if the delegate is.
 */
public abstract class ForwardingBroker implements Broker {

  protected final Broker delegate;

  protected ForwardingBroker(Broker delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  @Override
  public void start(BrokerHandler handler) {
    delegate.start(handler);
  }

  @Override
  public CompletableFuture<StreamPosition> publish(String channel, String event, JsonElement data,
      StreamOptions options) {
    return delegate.publish(channel, event, data, options);
  }

  @Override
  public CompletableFuture<HistoryResult> history(String channel, HistoryQuery query, StreamOptions options) {
    return delegate.history(channel, query, options);
  }

  @Override
  public CompletableFuture<Void> subscribe(String channel) {
    return delegate.subscribe(channel);
  }

  @Override
  public CompletableFuture<Void> unsubscribe(String channel) {
    return delegate.unsubscribe(channel);
  }

  @Override
  public CompletableFuture<Void> addPresence(String channel, ClientInfo client, Duration ttl) {
    return delegate.addPresence(channel, client, ttl);
  }

  @Override
  public CompletableFuture<Void> removePresence(String channel, String clientId) {
    return delegate.removePresence(channel, clientId);
  }

  @Override
  public CompletableFuture<List<ClientInfo>> presence(String channel) {
    return delegate.presence(channel);
  }

  @Override
  public CompletableFuture<Void> publishJoin(String channel, ClientInfo client) {
    return delegate.publishJoin(channel, client);
  }

  @Override
  public CompletableFuture<Void> publishLeave(String channel, ClientInfo client) {
    return delegate.publishLeave(channel, client);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
