package dev.pushline.broker.redis;

import com.google.gson.JsonElement;
import dev.pushline.ClientInfo;
import dev.pushline.Publication;
import dev.pushline.broker.Broker;
import dev.pushline.broker.BrokerException;
import dev.pushline.broker.BrokerHandler;
import dev.pushline.broker.HistoryQuery;
import dev.pushline.broker.HistoryResult;
import dev.pushline.broker.StreamOptions;
import dev.pushline.broker.StreamPosition;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubListener;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.DefaultClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Broker} on Redis, so that several Pushline nodes share each channel's stream (offset, epoch,
 * history), deliver every publication to every node with subscribers, and share presence.
 *
 * <pre>{@code
 * Broker broker = RedisBroker.builder()
 *     .uri("redis://127.0.0.1:6379")
 *     .keyPrefix("pushline")
 *     .commandTimeout(Duration.ofSeconds(5))
 *     .build();
 * }</pre>
 *
 * <h2>Why Lettuce</h2>
 * The client is <a href="https://lettuce.io">Lettuce</a>: it is asynchronous, so a publish does not hold
 * a thread while Redis answers; it is built for many concurrent commands pipelined over one connection,
 * in the order they were issued; and it reconnects by itself and subscribes its pub/sub connection again
 * to every channel it had. The broker uses two connections: one for commands, one for pub/sub.
 *
 * <h2>What is stored</h2>
 * Keys are named after the {@link Builder#keyPrefix key prefix} and carry the channel in a Redis Cluster
 * hash tag, so every script's keys share a slot (Redis Cluster itself is not supported yet). A publish is
 * one Lua script: it creates the stream if needed (offset 0, a fresh random epoch), increments the offset,
 * appends to history, refreshes the expiries and PUBLISHes to the channel's pub/sub channel, atomically.
 * History is a list trimmed to {@link StreamOptions#historySize()}; each entry carries Redis' time, and
 * entries older than {@link StreamOptions#historyTtl()} are never returned and are dropped at the next
 * publish; the whole list expires {@code historyTtl} after the last publish. The position expires
 * {@link StreamOptions#metaTtl()} after the last publish or history read. Presence is a hash of entries
 * and a sorted set of their expiry times; both keys expire with their longest-lived entry.
 *
 * <h2>Failures</h2>
 * Commands are rejected at once while a connection is down, and a command in flight when it drops fails
 * rather than being sent again: a publish completes exceptionally with {@link BrokerException} (it may or
 * may not have been applied) and is never retried behind the caller's back, so one publish never gets two
 * offsets. Every future completes within {@link Builder#commandTimeout} (twice that at most for the first
 * run of a script after Redis lost its script cache). A Redis that restarts without persistence loses the
 * streams: the next publish or read starts them again in a new epoch, which tells resuming clients they
 * cannot recover.
 *
 * <h2>Reconnection</h2>
 * When the pub/sub connection drops, Lettuce reconnects (retrying with backoff up to
 * {@value #MAX_RECONNECT_DELAY_SECONDS} s between attempts) and subscribes again to every channel Redis
 * had confirmed. The broker guarantees: {@link BrokerHandler#onDeliveryInterrupted()} is called exactly
 * once after each interruption (several drops before delivery resumes count as one), after Redis has
 * confirmed the re-subscription of every channel that was subscribed when the connection dropped, and
 * before any message received on the new connection is delivered; messages that arrive before that are
 * held back and delivered right after it, in order. Subscribe and unsubscribe calls made while the
 * connection is down fail with {@link BrokerException}. Redis also drops a subscriber whose output
 * buffer overflows ({@code client-output-buffer-limit pubsub}); that is handled as an interruption too.
 *
 * <h2>Threading</h2>
 * Thread-safe. Calls for one channel made from one thread take effect in that order: they are pipelined
 * in order on one connection. (The exception: after Redis lost its script cache, two publishes in flight
 * together may take effect in the other order if the first one needs a second round trip to load the
 * script.) {@link BrokerHandler} calls and the completion of returned futures happen on Lettuce's I/O
 * threads: they must not block.
 */
public final class RedisBroker implements Broker {

  static final int MAX_RECONNECT_DELAY_SECONDS = 2;

  private static final Logger log = LoggerFactory.getLogger(RedisBroker.class);

  private final RedisURI uri;
  private final String address;
  private final Keys keys;
  private final Duration commandTimeout;

  /** Serialises {@link #start} and {@link #close}; no other path takes it. */
  private final Object lifecycle = new Object();

  // Written under lifecycle, read without it.
  private volatile boolean started;
  private volatile boolean closed;
  private volatile Connections connections;

  private RedisBroker(Builder builder) {
    this.uri = RedisURI.create(builder.uri);
    this.uri.setTimeout(builder.commandTimeout);
    this.address = uri.getHost() + ":" + uri.getPort();
    this.keys = new Keys(builder.keyPrefix);
    this.commandTimeout = builder.commandTimeout;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Connects to Redis: a command connection and a pub/sub connection, and loads the scripts.
   *
   * @throws BrokerException if Redis cannot be reached within the command timeout
   * @throws IllegalStateException if called twice
   */
  @Override
  public void start(BrokerHandler handler) {
    Objects.requireNonNull(handler, "handler");
    // I/O under the lifecycle lock: only close() waits for it, and close() must not run half-way through.
    synchronized (lifecycle) {
      if (started) {
        throw new IllegalStateException("start() was already called on this RedisBroker");
      }
      started = true;
      if (closed) {
        throw new IllegalStateException("RedisBroker is closed");
      }
      log.debug("RedisBroker config: uri={}, keyPrefix={}, commandTimeout={}", address, keys.prefix(),
          commandTimeout);
      Connections opened = Connections.open(uri, handler, keys, commandTimeout, address);
      connections = opened;
      log.info("RedisBroker connected to Redis at {}", address);
    }
  }

  @Override
  public CompletableFuture<StreamPosition> publish(String channel, String event, JsonElement data,
      StreamOptions options) {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(options, "options");
    Connections c = connections("publish", channel);
    if (c == null) {
      return closedFailure("publish", channel);
    }
    String[] scriptKeys = {keys.meta(channel), keys.stream(channel)};
    return call("publish", channel,
        () -> Script.PUBLISH.<List<Object>>run(c.commands, scriptKeys, keys.pubSub(channel), newEpoch(),
            Integer.toString(options.historySize()), millis(options.historyTtl()), millis(options.metaTtl()),
            Payloads.publicationHead(event, data)),
        reply -> new StreamPosition((Long) reply.get(0), (String) reply.get(1)));
  }

  @Override
  public CompletableFuture<HistoryResult> history(String channel, HistoryQuery query, StreamOptions options) {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(query, "query");
    Objects.requireNonNull(options, "options");
    Connections c = connections("history", channel);
    if (c == null) {
      return closedFailure("history", channel);
    }
    String[] scriptKeys = {keys.meta(channel), keys.stream(channel)};
    return call("history", channel,
        () -> Script.HISTORY.<List<Object>>run(c.commands, scriptKeys, newEpoch(), millis(options.metaTtl()),
            millis(options.historyTtl()), Long.toString(query.after()), Integer.toString(query.limit())),
        reply -> {
          StreamPosition position = new StreamPosition((Long) reply.get(0), (String) reply.get(1));
          List<Publication> publications = new ArrayList<>(reply.size() - 2);
          for (int i = 2; i < reply.size(); i++) {
            publications.add(Payloads.publication(channel, Payloads.parse((String) reply.get(i))));
          }
          return new HistoryResult(position, publications);
        });
  }

  @Override
  public CompletableFuture<Void> subscribe(String channel) {
    Objects.requireNonNull(channel, "channel");
    Connections c = connections("subscribe", channel);
    if (c == null) {
      return closedFailure("subscribe", channel);
    }
    return call("subscribe", channel, () -> c.pubSub.async().subscribe(keys.pubSub(channel)), v -> null);
  }

  @Override
  public CompletableFuture<Void> unsubscribe(String channel) {
    Objects.requireNonNull(channel, "channel");
    Connections c = connections("unsubscribe", channel);
    if (c == null) {
      return closedFailure("unsubscribe", channel);
    }
    return call("unsubscribe", channel, () -> c.pubSub.async().unsubscribe(keys.pubSub(channel)), v -> null);
  }

  @Override
  public CompletableFuture<Void> addPresence(String channel, ClientInfo client, Duration ttl) {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(ttl, "ttl");
    if (ttl.toMillis() <= 0) {
      throw new IllegalArgumentException("presence ttl is " + ttl + "; it must be at least 1 ms");
    }
    Connections c = connections("addPresence", channel);
    if (c == null) {
      return closedFailure("addPresence", channel);
    }
    return call("addPresence", channel,
        () -> Script.PRESENCE_ADD.<Long>run(c.commands, presenceKeys(channel), client.clientId(),
            Payloads.client(client), millis(ttl)),
        v -> null);
  }

  @Override
  public CompletableFuture<Void> removePresence(String channel, String clientId) {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(clientId, "clientId");
    Connections c = connections("removePresence", channel);
    if (c == null) {
      return closedFailure("removePresence", channel);
    }
    return call("removePresence", channel,
        () -> Script.PRESENCE_REMOVE.<Long>run(c.commands, presenceKeys(channel), clientId), v -> null);
  }

  @Override
  public CompletableFuture<List<ClientInfo>> presence(String channel) {
    Objects.requireNonNull(channel, "channel");
    Connections c = connections("presence", channel);
    if (c == null) {
      return closedFailure("presence", channel);
    }
    return call("presence", channel,
        () -> Script.PRESENCE_LIST.<List<Object>>run(c.commands, presenceKeys(channel)),
        reply -> {
          List<ClientInfo> clients = new ArrayList<>(reply.size());
          for (Object entry : reply) {
            clients.add(Payloads.client(Payloads.parse((String) entry)));
          }
          return clients;
        });
  }

  @Override
  public CompletableFuture<Void> publishJoin(String channel, ClientInfo client) {
    return publishPresenceEvent("publishJoin", Payloads.JOIN, channel, client);
  }

  @Override
  public CompletableFuture<Void> publishLeave(String channel, ClientInfo client) {
    return publishPresenceEvent("publishLeave", Payloads.LEAVE, channel, client);
  }

  private CompletableFuture<Void> publishPresenceEvent(String what, String type, String channel,
      ClientInfo client) {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(client, "client");
    Connections c = connections(what, channel);
    if (c == null) {
      return closedFailure(what, channel);
    }
    return call(what, channel,
        () -> c.commands.publish(keys.pubSub(channel), Payloads.presenceEvent(type, client)), v -> null);
  }

  /** Closes both connections and the client's threads. Idempotent. */
  @Override
  public void close() {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
      Connections c = connections;
      connections = null;
      if (c != null) {
        c.close();
        log.info("RedisBroker disconnected from Redis at {}", address);
      }
    }
  }

  @Override
  public String toString() {
    return "RedisBroker{" + address + ", keyPrefix=" + keys.prefix() + "}";
  }

  /** The open connections; null once closed. */
  private Connections connections(String what, String channel) {
    Connections c = connections;
    if (c == null && !closed) {
      throw new IllegalStateException(what + "(" + channel + ") before start(): start the RedisBroker first");
    }
    return c;
  }

  private String[] presenceKeys(String channel) {
    return new String[] {keys.presence(channel), keys.presenceExpiry(channel)};
  }

  /**
   * Issues a command and adapts its outcome: a value mapped by {@code map}, or a {@link BrokerException}
   * naming the operation and the channel. Completes within the command timeout whatever Redis does.
   */
  private <T, R> CompletableFuture<R> call(String what, String channel,
      java.util.function.Supplier<CompletionStage<T>> command, Function<T, R> map) {
    CompletableFuture<R> result = new CompletableFuture<>();
    CompletionStage<T> stage;
    try {
      stage = command.get();
    } catch (RuntimeException e) {
      result.completeExceptionally(failure(what, channel, e));
      return result;
    }
    stage.whenComplete((value, error) -> {
      if (error != null) {
        result.completeExceptionally(failure(what, channel, error));
        return;
      }
      try {
        result.complete(map.apply(value));
      } catch (RuntimeException e) {
        result.completeExceptionally(failure(what, channel, e));
      }
    });
    // Each command times out on its own; this bounds a script's second round trip (EVAL after NOSCRIPT).
    result.orTimeout(2 * commandTimeout.toMillis(), TimeUnit.MILLISECONDS);
    return result.exceptionallyCompose(e -> e instanceof TimeoutException
        ? CompletableFuture.failedFuture(failure(what, channel, e))
        : CompletableFuture.failedFuture(e));
  }

  private BrokerException failure(String what, String channel, Throwable error) {
    Throwable cause = error;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof BrokerException broker) {
      return broker;
    }
    String reason = cause instanceof RedisCommandTimeoutException || cause instanceof TimeoutException
        ? "no answer within " + commandTimeout
        : String.valueOf(cause.getMessage());
    return new BrokerException("Redis " + what + " on channel '" + channel + "' failed (" + address + "): "
        + reason, cause);
  }

  private <T> CompletableFuture<T> closedFailure(String what, String channel) {
    return CompletableFuture.failedFuture(
        new BrokerException("Redis " + what + " on channel '" + channel + "' failed: the broker is closed"));
  }

  /** A fresh epoch: 16 random hex digits, used by a script only if it has to start the stream. */
  private static String newEpoch() {
    return String.format("%016x", ThreadLocalRandom.current().nextLong());
  }

  private static String millis(Duration duration) {
    return Long.toString(Math.max(1, duration.toMillis()));
  }

  /** The two connections and everything they need; closed together. */
  private static final class Connections {
    final ClientResources resources;
    final RedisClient client;
    final Delivery delivery;
    final StatefulRedisConnection<String, String> commandConnection;
    final RedisAsyncCommands<String, String> commands;
    final StatefulRedisPubSubConnection<String, String> pubSub;

    private Connections(ClientResources resources, RedisClient client, Delivery delivery,
        StatefulRedisConnection<String, String> commandConnection,
        StatefulRedisPubSubConnection<String, String> pubSub) {
      this.resources = resources;
      this.client = client;
      this.delivery = delivery;
      this.commandConnection = commandConnection;
      this.commands = commandConnection.async();
      this.pubSub = pubSub;
    }

    static Connections open(RedisURI uri, BrokerHandler handler, Keys keys, Duration timeout, String address) {
      ClientResources resources = DefaultClientResources.builder()
          .reconnectDelay(Delay.exponential(Duration.ofMillis(10),
              Duration.ofSeconds(MAX_RECONNECT_DELAY_SECONDS), 2, TimeUnit.MILLISECONDS))
          .build();
      RedisClient client = RedisClient.create(resources, uri);
      client.setOptions(ClientOptions.builder()
          .autoReconnect(true)
          // Fail loudly, never vanish: reject commands while disconnected, and fail (not replay) the
          // ones in flight when a connection drops, so a publish is never applied twice or late.
          .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
          .timeoutOptions(TimeoutOptions.enabled(timeout))
          .socketOptions(SocketOptions.builder().connectTimeout(timeout).keepAlive(true).build())
          .build());
      Delivery delivery = new Delivery(handler, keys);
      StatefulRedisConnection<String, String> commandConnection = null;
      StatefulRedisPubSubConnection<String, String> pubSub = null;
      try {
        commandConnection = client.connect(StringCodec.UTF8);
        pubSub = client.connectPubSub(StringCodec.UTF8);
        delivery.attach(pubSub);
        pubSub.addListener((RedisPubSubListener<String, String>) delivery);
        pubSub.addListener((RedisConnectionStateListener) delivery);
        Connections connections = new Connections(resources, client, delivery, commandConnection, pubSub);
        for (Script script : Script.values()) {
          String sha = connections.commands.scriptLoad(script.body())
              .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
          if (!script.sha().equals(sha)) {
            throw new IllegalStateException("Redis gave SHA " + sha + " for " + script + ", not " + script.sha());
          }
        }
        return connections;
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        delivery.close();
        closeQuietly(pubSub);
        closeQuietly(commandConnection);
        client.shutdown(Duration.ZERO, timeout);
        resources.shutdown(0, timeout.toMillis(), TimeUnit.MILLISECONDS);
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        throw new BrokerException("cannot connect to Redis at " + address + ": " + cause.getMessage(), cause);
      }
    }

    void close() {
      delivery.close();
      closeQuietly(pubSub);
      closeQuietly(commandConnection);
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      try {
        resources.shutdown(0, 2, TimeUnit.SECONDS).get(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        log.warn("Lettuce's threads did not shut down cleanly", e);
      }
    }

    private static void closeQuietly(AutoCloseable connection) {
      if (connection == null) {
        return;
      }
      try {
        connection.close();
      } catch (Exception e) {
        // Closing is best effort: the client shutdown that follows releases the socket anyway.
        log.debug("closing a Redis connection failed", e);
      }
    }
  }

  /**
   * Configures a {@link RedisBroker}. Every setter checks its argument at once.
   *
   * <p>Not thread-safe; confine to one thread.
   */
  public static final class Builder {
    private String uri = "redis://127.0.0.1:6379";
    private String keyPrefix = "pushline";
    private Duration commandTimeout = Duration.ofSeconds(5);

    private Builder() {}

    /**
     * Where Redis is, as a Redis URI: {@code redis://[user:password@]host[:port][/database]}, or
     * {@code rediss://} for TLS. Default {@code redis://127.0.0.1:6379}.
     */
    public Builder uri(String uri) {
      Objects.requireNonNull(uri, "uri");
      try {
        RedisURI.create(uri);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("uri '" + uri + "' is not a Redis URI: " + e.getMessage(), e);
      }
      this.uri = uri;
      return this;
    }

    /**
     * What every key and pub/sub channel name starts with, so several deployments can share one Redis.
     * Letters, digits, '.', '-', '_' and ':', at most 64 characters. Default {@code pushline}.
     */
    public Builder keyPrefix(String keyPrefix) {
      Objects.requireNonNull(keyPrefix, "keyPrefix");
      if (!keyPrefix.matches("[A-Za-z0-9._:-]{1,64}")) {
        throw new IllegalArgumentException("keyPrefix is '" + keyPrefix
            + "'; it must be 1 to 64 of letters, digits, '.', '-', '_' and ':'");
      }
      this.keyPrefix = keyPrefix;
      return this;
    }

    /**
     * How long to wait for Redis' answer to one command (and to connect) before failing the call with a
     * {@link BrokerException}. Default 5 s.
     */
    public Builder commandTimeout(Duration commandTimeout) {
      Objects.requireNonNull(commandTimeout, "commandTimeout");
      if (commandTimeout.toMillis() < 1) {
        throw new IllegalArgumentException("commandTimeout is " + commandTimeout + "; it must be at least 1 ms");
      }
      this.commandTimeout = commandTimeout;
      return this;
    }

    public RedisBroker build() {
      return new RedisBroker(this);
    }
  }
}
