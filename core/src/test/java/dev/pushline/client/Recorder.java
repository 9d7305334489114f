package dev.pushline.client;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.gson.JsonElement;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/** A {@link PushClient.Listener} that records every callback, for assertions in order with bounded waits. */
final class Recorder implements PushClient.Listener {

  sealed interface Event permits Connecting, Open, Message, Disconnected, Closed {}

  record Connecting(int attempt) implements Event {}

  record Open(String connectionId) implements Event {}

  record Message(String event, JsonElement data) implements Event {}

  record Disconnected(int code, String reason, Throwable failure, Duration reconnectDelay) implements Event {}

  record Closed(int code, String reason) implements Event {}

  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();

  @Override
  public void onConnecting(PushClient client, int attempt) {
    events.add(new Connecting(attempt));
  }

  @Override
  public void onOpen(PushClient client, String connectionId) {
    events.add(new Open(connectionId));
  }

  @Override
  public void onMessage(PushClient client, String event, JsonElement data) {
    events.add(new Message(event, data));
  }

  @Override
  public void onDisconnected(PushClient client, int code, String reason, Throwable failure,
      Duration reconnectDelay) {
    events.add(new Disconnected(code, reason, failure, reconnectDelay));
  }

  @Override
  public void onClosed(PushClient client, int code, String reason) {
    events.add(new Closed(code, reason));
  }

  /** The next event, which must be a {@code type}, within 10 s. */
  <T extends Event> T next(Class<T> type) throws InterruptedException {
    Event e = events.poll(10, SECONDS);
    assertNotNull(e, "no event within 10 s; expected " + type.getSimpleName());
    return assertInstanceOf(type, e);
  }

  /** Skips reconnect noise ({@link Connecting}, {@link Disconnected}) until a {@code type}. */
  <T extends Event> T skipUntil(Class<T> type) throws InterruptedException {
    for (;;) {
      Event e = events.poll(10, SECONDS);
      assertNotNull(e, "no event within 10 s; expected " + type.getSimpleName());
      if (type.isInstance(e)) {
        return type.cast(e);
      }
      if (!(e instanceof Connecting) && !(e instanceof Disconnected)) {
        throw new AssertionError("expected " + type.getSimpleName() + " but got " + e);
      }
    }
  }

  /** Asserts that nothing more is heard during {@code quiet}: for "did not happen" checks only. */
  void assertSilentFor(Duration quiet) throws InterruptedException {
    assertNull(events.poll(quiet.toMillis(), MILLISECONDS), "unexpected event");
  }
}
