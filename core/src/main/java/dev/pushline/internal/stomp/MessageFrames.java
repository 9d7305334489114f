package dev.pushline.internal.stomp;

import dev.pushline.transport.OutboundMessage;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Parses each native message once and frames each {@code MESSAGE} once per distinct set of per-client
 * headers, however many STOMP connections it goes to.
 *
 * <p>The engine prepares a publication once and hands the same {@link OutboundMessage} to every
 * subscriber, one after the other on one thread. So a one-entry cache per thread, keyed by the message's
 * identity, parses it for the first STOMP subscriber and reuses the result for the others; and the framed
 * {@code MESSAGE}, which differs between clients only by its subscription id, version and epoch, is kept
 * by those: clients that chose the same subscription id (stompjs numbers its subscriptions
 * {@code sub-0}, {@code sub-1}, ...) share one prepared frame, so its bytes are encoded and framed once.
 *
 * <p>Thread-safe: each thread has its own cache.
 */
final class MessageFrames {

  /** Distinct framings kept for one message; past it the cache starts over (it is a cache, not a bound). */
  private static final int MAX_FRAMINGS = 16;

  private record Key(String subscription, StompVersion version, String epoch,
      Function<String, OutboundMessage> prepare) {}

  private static final class Entry {
    final OutboundMessage source;
    final NativeV1.Message parsed;
    Map<Key, OutboundMessage> frames; // made for publications only

    Entry(OutboundMessage source, NativeV1.Message parsed) {
      this.source = source;
      this.parsed = parsed;
    }
  }

  private final ThreadLocal<Entry> last = new ThreadLocal<>();

  /** {@code message} parsed, once per message on this thread. */
  NativeV1.Message parse(OutboundMessage message) {
    return entry(message).parsed;
  }

  /** The {@code MESSAGE} frame of publication {@code message} for one subscription, prepared by {@code prepare}. */
  OutboundMessage frame(OutboundMessage message, String subscription, String destination, String epoch,
      StompVersion version, Function<String, OutboundMessage> prepare) {
    Entry e = entry(message);
    if (e.frames == null) {
      e.frames = new HashMap<>();
    }
    Key key = new Key(subscription, version, epoch, prepare);
    OutboundMessage frame = e.frames.get(key);
    if (frame == null) {
      NativeV1.Message p = e.parsed;
      frame = prepare.apply(StompCodec.encode("MESSAGE", version, p.data(),
          "subscription", subscription,
          "message-id", p.channel() + "@" + epoch + ":" + p.offset(),
          "destination", destination,
          "content-type", "application/json",
          "offset", Long.toString(p.offset()),
          "epoch", epoch,
          "event", p.event()));
      if (e.frames.size() >= MAX_FRAMINGS) {
        e.frames.clear();
      }
      e.frames.put(key, frame);
    }
    return frame;
  }

  private Entry entry(OutboundMessage message) {
    Entry e = last.get();
    if (e == null || e.source != message) {
      e = new Entry(message, NativeV1.parse(message.text()));
      last.set(e);
    }
    return e;
  }
}
