package dev.pushline.broker.redis;

import com.google.gson.JsonElement;
import dev.pushline.ClientInfo;
import dev.pushline.broker.Broker;
import dev.pushline.broker.BrokerException;
import dev.pushline.broker.BrokerHandler;
import dev.pushline.broker.HistoryQuery;
import dev.pushline.broker.HistoryResult;
import dev.pushline.broker.StreamOptions;
import dev.pushline.broker.StreamPosition;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link Broker} that passes every call to another one until {@link #crash()}, and from then on passes
 * none: the node it belongs to says nothing more to the shared broker, as if its process had died. A node
 * that really dies makes no call at all after its death; here the node's engine still runs for a moment
 * (until the test closes it) and its calls, refreshes of presence, removals and leave events of the clients
 * its closing drops, unsubscribes, are answered with a {@link BrokerException} instead, which the engine
 * logs and otherwise ignores. What Redis sees is the same: nothing after the crash. {@link #close()} still
 * closes the wrapped broker, to free its connections and threads as the death of a process would.
 *
 * <p>{@link #failHistoryReads} makes the next history reads fail with a {@link BrokerException}, as
 * {@link RedisBroker} does while its command connection is down and its pub/sub connection is up again
 * (each reconnects on its own after Redis restarts).
 *
 * <p>It also notes, per client, the wall-clock time of the last {@link #addPresence} it passed on: a
 * presence entry written then cannot expire before that time plus its ttl.
 *
 * <p>Thread-safe.
 */
final class CrashableBroker implements Broker {

  private final Broker delegate;
  private volatile boolean crashed;
  private final Map<String, Long> lastPresenceWrite = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicInteger historyFailures = new java.util.concurrent.atomic.AtomicInteger();

  CrashableBroker(Broker delegate) {
    this.delegate = delegate;
  }

  /** From now on no call reaches the wrapped broker. */
  void crash() {
    crashed = true;
  }

  /** The next {@code count} history reads fail with "Currently not connected", as Lettuce words it. */
  void failHistoryReads(int count) {
    historyFailures.set(count);
  }

  /**
   * Wall-clock milliseconds, taken just before the call went out, of the last presence write for
   * {@code clientId} on any channel; null if there was none.
   */
  Long lastPresenceWrite(String clientId) {
    return lastPresenceWrite.get(clientId);
  }

  private <T> CompletableFuture<T> dropped(String what) {
    return CompletableFuture.failedFuture(new BrokerException(what + " dropped: this node crashed"));
  }

  @Override
  public void start(BrokerHandler handler) {
    delegate.start(handler);
  }

  @Override
  public CompletableFuture<StreamPosition> publish(String channel, String event, JsonElement data,
      StreamOptions options) {
    return crashed ? dropped("publish") : delegate.publish(channel, event, data, options);
  }

  @Override
  public CompletableFuture<HistoryResult> history(String channel, HistoryQuery query, StreamOptions options) {
    if (!crashed && historyFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      return CompletableFuture.failedFuture(new BrokerException("Redis history on channel '" + channel
          + "' failed: Currently not connected. Commands are rejected."));
    }
    return crashed ? dropped("history") : delegate.history(channel, query, options);
  }

  @Override
  public CompletableFuture<Void> subscribe(String channel) {
    return crashed ? dropped("subscribe") : delegate.subscribe(channel);
  }

  @Override
  public CompletableFuture<Void> unsubscribe(String channel) {
    return crashed ? dropped("unsubscribe") : delegate.unsubscribe(channel);
  }

  @Override
  public CompletableFuture<Void> addPresence(String channel, ClientInfo client, Duration ttl) {
    if (crashed) {
      return dropped("addPresence");
    }
    // Noted before the call: Redis stamps the entry later than this, so it lives at least until this + ttl.
    lastPresenceWrite.put(client.clientId(), System.currentTimeMillis());
    return delegate.addPresence(channel, client, ttl);
  }

  @Override
  public CompletableFuture<Void> removePresence(String channel, String clientId) {
    return crashed ? dropped("removePresence") : delegate.removePresence(channel, clientId);
  }

  @Override
  public CompletableFuture<List<ClientInfo>> presence(String channel) {
    return crashed ? dropped("presence") : delegate.presence(channel);
  }

  @Override
  public CompletableFuture<Void> publishJoin(String channel, ClientInfo client) {
    return crashed ? dropped("publishJoin") : delegate.publishJoin(channel, client);
  }

  @Override
  public CompletableFuture<Void> publishLeave(String channel, ClientInfo client) {
    return crashed ? dropped("publishLeave") : delegate.publishLeave(channel, client);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
