package dev.pushline.broker.redis;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.pushline.Publication;
import dev.pushline.client.PushClient;
import dev.pushline.client.PushClient.Recovery;
import dev.pushline.client.PushClient.StreamPosition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Records what one {@link PushClient} subscription hears, in order, for bounded, ordered assertions: the
 * client's threads add to a queue; the test thread takes from it with bounded waits and keeps what it took
 * in {@link #seen()}, so a test can judge a whole run afterwards.
 *
 * <p>{@link #onSubscribed}, {@link #onPublication} and {@link #onUnsubscribed} are thread-safe; the rest is
 * confined to the test's thread.
 */
final class ChannelRecorder implements PushClient.SubscriptionHandler {

  static final Duration WAIT = Duration.ofSeconds(10);

  sealed interface Event permits Subscribed, Received, Unsubscribed {}

  record Subscribed(StreamPosition position, Recovery recovery) implements Event {}

  record Received(Publication publication) implements Event {}

  record Unsubscribed() implements Event {}

  final String name;
  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final List<Event> seen = new ArrayList<>(); // test thread only

  ChannelRecorder(String name) {
    this.name = name;
  }

  @Override
  public void onSubscribed(String channel, StreamPosition position, Recovery recovery) {
    events.add(new Subscribed(position, recovery));
  }

  @Override
  public void onPublication(Publication publication) {
    events.add(new Received(publication));
  }

  @Override
  public void onUnsubscribed(String channel) {
    events.add(new Unsubscribed());
  }

  /** The next event, within {@link #WAIT}. */
  Event next() throws InterruptedException {
    Event e = poll(WAIT);
    assertNotNull(e, name + ": nothing within " + WAIT);
    return e;
  }

  /** The next event, which must be a {@code type}, within {@link #WAIT}. */
  <T extends Event> T next(Class<T> type) throws InterruptedException {
    return assertInstanceOf(type, next(), name);
  }

  /** The next event, or null if none came within {@code wait}. */
  Event poll(Duration wait) throws InterruptedException {
    Event e = events.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
    if (e != null) {
      seen.add(e);
    }
    return e;
  }

  /** Everything taken so far, in order. */
  List<Event> seen() {
    return seen;
  }

  @Override
  public String toString() {
    return name;
  }
}
