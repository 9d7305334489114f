package dev.pushline.client;

import com.google.gson.JsonElement;
import dev.pushline.ClientInfo;
import dev.pushline.broker.Broker;
import dev.pushline.broker.BrokerException;
import dev.pushline.broker.BrokerHandler;
import dev.pushline.broker.HistoryQuery;
import dev.pushline.broker.HistoryResult;
import dev.pushline.broker.MemoryBroker;
import dev.pushline.broker.StreamOptions;
import dev.pushline.broker.StreamPosition;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link MemoryBroker} whose next {@code history} reads fail, as many as a test arms: the server then
 * answers a {@code subscribe} (which reads history) with {@code unavailable}. Everything else is the
 * memory broker's.
 */
final class FlakyBroker implements Broker {

  private final MemoryBroker delegate = new MemoryBroker();
  private final AtomicInteger failures = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();

  /** The next {@code count} history reads fail. */
  void failNextHistoryReads(int count) {
    failures.set(count);
  }

  /** How many history reads failed so far. */
  int failedReads() {
    return failed.get();
  }

  @Override
  public CompletableFuture<HistoryResult> history(String channel, HistoryQuery query, StreamOptions options) {
    if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      failed.incrementAndGet();
      return CompletableFuture.failedFuture(
          new BrokerException("history of " + channel + " failed (armed by a test)"));
    }
    return delegate.history(channel, query, options);
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
