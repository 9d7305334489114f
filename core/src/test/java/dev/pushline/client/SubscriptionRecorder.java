package dev.pushline.client;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.pushline.ClientInfo;
import dev.pushline.Publication;
import dev.pushline.PushException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A {@link PushClient.SubscriptionHandler} and {@link PushClient.PresenceListener} that records every call
 * in one queue, so that tests assert the order of {@code onSubscribed}, publications, join and leave
 * events and {@code onUnsubscribed} with bounded waits.
 */
final class SubscriptionRecorder implements PushClient.SubscriptionHandler, PushClient.PresenceListener {

  sealed interface Event permits Subscribed, Received, Unsubscribed, SubscribeFailed, Joined, Left {}

  record Subscribed(String channel, PushClient.StreamPosition position, PushClient.Recovery recovery)
      implements Event {}

  record Received(Publication publication) implements Event {}

  record Unsubscribed(String channel) implements Event {}

  record SubscribeFailed(String channel, PushException failure, Duration retryDelay) implements Event {}

  record Joined(String channel, ClientInfo client) implements Event {}

  record Left(String channel, ClientInfo client) implements Event {}

  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();

  @Override
  public void onSubscribed(String channel, PushClient.StreamPosition position, PushClient.Recovery recovery) {
    events.add(new Subscribed(channel, position, recovery));
  }

  @Override
  public void onPublication(Publication publication) {
    events.add(new Received(publication));
  }

  @Override
  public void onUnsubscribed(String channel) {
    events.add(new Unsubscribed(channel));
  }

  @Override
  public void onSubscribeFailed(String channel, PushException failure, Duration retryDelay) {
    events.add(new SubscribeFailed(channel, failure, retryDelay));
  }

  @Override
  public void onJoin(String channel, ClientInfo client) {
    events.add(new Joined(channel, client));
  }

  @Override
  public void onLeave(String channel, ClientInfo client) {
    events.add(new Left(channel, client));
  }

  /** The next event, which must be a {@code type}, within 10 s. */
  <T extends Event> T next(Class<T> type) throws InterruptedException {
    Event e = events.poll(10, SECONDS);
    assertNotNull(e, "no event within 10 s; expected " + type.getSimpleName());
    return assertInstanceOf(type, e);
  }

  /** The next event, which must be {@code onSubscribed}; returns its recovery after checking the rest. */
  Subscribed subscribed(String channel) throws InterruptedException {
    Subscribed s = next(Subscribed.class);
    assertEquals(channel, s.channel());
    return s;
  }

  /** Asserts that the next events are the publications {@code from..to} of {@code channel}, in order. */
  void publications(String channel, long from, long to) throws InterruptedException {
    for (long offset = from; offset <= to; offset++) {
      Publication p = next(Received.class).publication();
      assertEquals(channel, p.channel());
      assertEquals(offset, p.offset(), "offsets in order, each once");
    }
  }

  /** Asserts that nothing more is heard during {@code quiet}: for "did not happen" checks only. */
  void assertSilentFor(Duration quiet) throws InterruptedException {
    assertNull(events.poll(quiet.toMillis(), MILLISECONDS), "unexpected event");
  }
}
