package dev.pushline.broker.redis;

import com.google.gson.JsonObject;
import dev.pushline.broker.BrokerHandler;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns what arrives on the pub/sub connection into {@link BrokerHandler} calls, and tells the handler
 * when delivery was interrupted.
 *
 * <h2>Interruption</h2>
 * When the pub/sub connection drops, Lettuce reconnects and subscribes again, with one SUBSCRIBE, to every
 * channel Redis had confirmed before (the set this class mirrors in {@link #confirmed}). This class notes
 * which of those are still unconfirmed; messages that arrive meanwhile are held back. When Redis has
 * confirmed the last of them, it calls {@link BrokerHandler#onDeliveryInterrupted()} and then delivers
 * the held messages in the order they arrived. If nothing was subscribed, it calls the handler as soon as
 * the connection is up again.
 *
 * <h2>Threading</h2>
 * Lettuce calls this class on the pub/sub connection's I/O thread, one call at a time; a reconnected
 * connection may use another I/O thread, which starts after the old one's last call. The fields below are
 * guarded by {@code this} for visibility across that hand-over; the handler is always called after the
 * lock is released, and only from that single calling thread, so calls keep the order of arrival.
 */
final class Delivery extends RedisPubSubAdapter<String, String> implements RedisConnectionStateListener {

  private static final Logger log = LoggerFactory.getLogger(Delivery.class);

  private final BrokerHandler handler;
  private final Keys keys;

  /** The pub/sub connection, once connected: connection events of other connections are ignored. */
  private volatile Object connection;
  /** Set by {@link #close()}: no handler call starts after. */
  private volatile boolean closed;

  // Guarded by this.
  /** Pub/sub channels that Redis confirmed and that Lettuce will subscribe again after a reconnect. */
  private final Set<String> confirmed = new HashSet<>();
  /** While delivery is interrupted, the channels whose re-subscription is not yet confirmed; else null. */
  private Set<String> awaiting;
  /** Messages that arrived while delivery was interrupted, as {pubSubChannel, payload}. */
  private final ArrayDeque<String[]> held = new ArrayDeque<>();

  Delivery(BrokerHandler handler, Keys keys) {
    this.handler = handler;
    this.keys = keys;
  }

  void attach(Object pubSubConnection) {
    this.connection = pubSubConnection;
  }

  void close() {
    closed = true;
  }

  @Override
  public void onRedisDisconnected(RedisChannelHandler<?, ?> disconnected) {
    if (disconnected != connection || closed) {
      return;
    }
    int channels;
    synchronized (this) {
      awaiting = new HashSet<>(confirmed);
      channels = awaiting.size();
    }
    log.warn("lost the Redis pub/sub connection; delivery of {} channels is interrupted until it is back",
        channels);
  }

  @Override
  public void onRedisConnected(RedisChannelHandler<?, ?> connected, SocketAddress address) {
    if (connected != connection || closed) {
      return;
    }
    boolean resume;
    synchronized (this) {
      resume = awaiting != null && awaiting.isEmpty();
    }
    log.info("Redis pub/sub connection is back ({})", address);
    if (resume) {
      resume();
    }
  }

  @Override
  public void subscribed(String channel, long count) {
    confirmed(channel, true);
  }

  @Override
  public void unsubscribed(String channel, long count) {
    confirmed(channel, false);
  }

  private void confirmed(String channel, boolean subscribed) {
    boolean resume;
    synchronized (this) {
      if (subscribed) {
        confirmed.add(channel);
      } else {
        confirmed.remove(channel);
      }
      resume = awaiting != null && awaiting.remove(channel) && awaiting.isEmpty();
    }
    if (resume) {
      resume();
    }
  }

  /** Every channel is subscribed again: tell the handler, then deliver what was held back. */
  private void resume() {
    List<String[]> messages;
    synchronized (this) {
      awaiting = null;
      messages = List.copyOf(held);
      held.clear();
    }
    log.info("Redis pub/sub subscriptions restored; delivering again ({} messages were held back)",
        messages.size());
    if (closed) {
      return;
    }
    try {
      handler.onDeliveryInterrupted();
    } catch (RuntimeException e) {
      log.warn("BrokerHandler.onDeliveryInterrupted threw", e);
    }
    for (String[] message : messages) {
      deliver(message[0], message[1]);
    }
  }

  @Override
  public void message(String pubSubChannel, String payload) {
    synchronized (this) {
      if (awaiting != null) {
        held.add(new String[] {pubSubChannel, payload});
        return;
      }
    }
    deliver(pubSubChannel, payload);
  }

  private void deliver(String pubSubChannel, String payload) {
    if (closed) {
      return;
    }
    String channel = keys.channelOf(pubSubChannel);
    if (channel == null) {
      log.debug("ignoring a message on Redis channel {}: not one of this broker's", pubSubChannel);
      return;
    }
    JsonObject message;
    String type;
    try {
      message = Payloads.parse(payload);
      type = message.get("type").getAsString();
    } catch (RuntimeException e) {
      log.warn("ignoring an unreadable message on channel {}: {}", channel, e.toString());
      return;
    }
    try {
      switch (type) {
        case Payloads.PUBLICATION ->
            handler.onPublication(Payloads.publication(channel, message), Payloads.epoch(message));
        case Payloads.JOIN -> handler.onJoin(channel, Payloads.client(message.getAsJsonObject("client")));
        case Payloads.LEAVE -> handler.onLeave(channel, Payloads.client(message.getAsJsonObject("client")));
        default -> log.warn("ignoring a message of unknown type '{}' on channel {}", type, channel);
      }
    } catch (RuntimeException e) {
      // A malformed message or a handler that threw: either way the I/O thread must go on.
      log.warn("delivering a '{}' message on channel {} failed", type, channel, e);
    }
  }
}
