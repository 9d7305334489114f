package dev.pushline.broker.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.pushline.ClientInfo;
import dev.pushline.Publication;
import dev.pushline.broker.BrokerHandler;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Records every handler call in order, for bounded, ordered assertions. Thread-safe. */
final class RecordingHandler implements BrokerHandler {

  static final Duration WAIT = Duration.ofSeconds(10);

  sealed interface Event permits Pub, Join, Leave, Interrupted {}

  record Pub(Publication publication, String epoch) implements Event {}

  record Join(String channel, ClientInfo client) implements Event {}

  record Leave(String channel, ClientInfo client) implements Event {}

  record Interrupted() implements Event {}

  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();

  @Override
  public void onPublication(Publication publication, String epoch) {
    events.add(new Pub(publication, epoch));
  }

  @Override
  public void onJoin(String channel, ClientInfo client) {
    events.add(new Join(channel, client));
  }

  @Override
  public void onLeave(String channel, ClientInfo client) {
    events.add(new Leave(channel, client));
  }

  @Override
  public void onDeliveryInterrupted() {
    events.add(new Interrupted());
  }

  Event next() throws InterruptedException {
    return next(WAIT);
  }

  Event next(Duration wait) throws InterruptedException {
    Event event = events.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    assertNotNull(event, "no handler call within " + wait);
    return event;
  }

  <T extends Event> T next(Class<T> type) throws InterruptedException {
    return assertInstanceOf(type, next());
  }

  Pub nextPublication(String channel, long offset) throws InterruptedException {
    Pub pub = next(Pub.class);
    assertEquals(channel, pub.publication().channel());
    assertEquals(offset, pub.publication().offset());
    return pub;
  }

  void assertNoMoreCalls() {
    assertNull(events.poll(), "unexpected handler call");
  }
}
