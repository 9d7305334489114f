package dev.pushline.client;

import dev.pushline.testing.ForwardingBroker;
import dev.pushline.broker.BrokerException;
import dev.pushline.broker.HistoryQuery;
import dev.pushline.broker.HistoryResult;
import dev.pushline.broker.MemoryBroker;
import dev.pushline.broker.StreamOptions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link MemoryBroker} whose next {@code history} reads fail, as many as a test arms: the server then
 * answers a {@code subscribe} (which reads history) with {@code unavailable}. Everything else is the
 * memory broker's.
 */
final class FlakyBroker extends ForwardingBroker {

  private final AtomicInteger failures = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();

  FlakyBroker() {
    super(new MemoryBroker());
  }

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
}
