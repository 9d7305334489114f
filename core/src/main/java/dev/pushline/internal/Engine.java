package dev.pushline.internal;

import dev.pushline.Channel;
import dev.pushline.ClientConnection;
import dev.pushline.ServerStats;
import dev.pushline.Subscriber;
import dev.pushline.transport.Handshake;
import dev.pushline.transport.HandshakeDecision;
import dev.pushline.transport.InboundListener;
import dev.pushline.transport.OutboundMessage;
import dev.pushline.transport.Transport;
import dev.pushline.transport.TransportConnection;
import dev.pushline.transport.TransportListener;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub behind a {@code PushServer}: accepts sessions from the transport, owns the channel registry,
 * and runs host callbacks on its own pool.
 *
 * <h2>Threads</h2>
 * Transport I/O threads call {@link #onOpen} and the sessions' inbound methods; host threads call
 * {@link #channel} and publish. Host code (in-process subscribers, the connection listener) runs only on
 * the callback pool, {@code pushline-callback-N}, through per-owner {@link SerialExecutor}s.
 *
 * <h2>Channel registry</h2>
 * {@link #channels} maps names to {@link ChannelState}. Adding a subscriber happens inside
 * {@code channels.compute} and forgetting an empty channel inside {@code channels.computeIfPresent}, so
 * the two never race: a channel is never dropped while someone is being added to it.
 *
 * <p>Thread-safe.
 */
public final class Engine implements TransportListener {

  private static final Logger log = LoggerFactory.getLogger(Engine.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  /** The listener of a connection refused after its upgrade: it is closing and says nothing more. */
  private static final InboundListener REFUSED = new InboundListener() {
    @Override
    public void onText(String text) {}

    @Override
    public void onClosed(int code, String reason) {}
  };

  final EngineConfig config;
  final Metrics metrics = new Metrics();
  final Access access;
  private final Transport transport;
  private final ConcurrentHashMap<String, ChannelState> channels = new ConcurrentHashMap<>();
  /** Open sessions by id. */
  private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
  private final ThreadPoolExecutor callbackPool;
  private final NamedThreads callbackThreads = new NamedThreads("pushline-callback-");
  private final NamedThreads timerThreads = new NamedThreads("pushline-timer-");
  private final java.util.concurrent.ScheduledThreadPoolExecutor timer = newTimer(timerThreads);
  private final String idPrefix = randomHex(8);
  private final AtomicLong nextSessionId = new AtomicLong();
  private volatile boolean running;
  private volatile boolean closed;
  /** Read only for connections being traced. */
  private volatile ProtocolTrace protocolTrace = ProtocolTrace.LOG;

  public Engine(EngineConfig config, Transport transport) {
    this.config = config;
    this.transport = transport;
    this.access = new Access(config.security(), config.clock());
    this.callbackPool = new ThreadPoolExecutor(config.callbackThreads(), config.callbackThreads(),
        30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), callbackThreads);
    this.callbackPool.allowCoreThreadTimeOut(true);
  }

  /**
   * Starts the broker; called before the transport accepts connections.
   *
   * @throws dev.pushline.broker.BrokerException if the broker cannot be reached
   */
  public void startBroker() {
    config.broker().start(new BrokerEvents());
  }

  /** Marks the engine running: publishing and subscribing are allowed from now on. */
  public void start() {
    running = true;
    long refresh = Math.max(1, config.presenceTtl().toMillis() / 3);
    timer.scheduleWithFixedDelay(() -> {
      try {
        refreshPresence();
      } catch (RuntimeException e) {
        log.error("presence refresh failed; it runs again in {} ms", refresh, e);
      }
    }, refresh, refresh, TimeUnit.MILLISECONDS);
  }

  boolean isRunning() {
    return running;
  }

  /**
   * Refuses publications from now on, and returns once no publication is being queued any more: after it,
   * closing the transport sends every connection everything published before, then the close frame.
   */
  public void stop() {
    running = false;
    for (ChannelState channel : channels.values()) {
      channel.locked(() -> { }); // a barrier: waits for a publication in progress on this channel
    }
  }

  /**
   * Stops running host callbacks: those already queued still run (for example {@code onClosed} for
   * every connection the transport closed), for at most 5 s. Idempotent.
   */
  public void close() {
    running = false;
    closed = true;
    timer.shutdownNow();
    try {
      config.broker().close();
    } catch (RuntimeException e) {
      log.warn("closing the broker failed", e);
    }
    callbackPool.shutdown();
    try {
      if (!callbackPool.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("host callbacks still running 5 s after close; interrupting them");
        callbackPool.shutdownNow();
        callbackPool.awaitTermination(5, TimeUnit.SECONDS);
      }
      timer.awaitTermination(5, TimeUnit.SECONDS);
      callbackThreads.join(5_000);
      timerThreads.join(5_000);
    } catch (InterruptedException e) {
      callbackPool.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /** The host's view of channel {@code name}: a handle on the broker's stream, cheap to make. */
  public Channel channel(String name) {
    Names.requireChannel(name);
    return new ChannelHandle(this, name);
  }

  public int connectionCount() {
    return sessions.size();
  }

  /** The open connection with id {@code id}, or null. */
  public ClientConnection connection(String id) {
    Session s = sessions.get(id);
    return s != null && s.principal() != null ? s : null; // the host never sees unauthenticated sessions
  }

  /** The open, authenticated connections now, in no particular order. O(connections). */
  public List<ClientConnection> connections() {
    List<ClientConnection> out = new java.util.ArrayList<>(sessions.size());
    for (Session s : sessions.values()) {
      if (s.principal() != null) {
        out.add(s);
      }
    }
    return List.copyOf(out);
  }

  /**
   * A snapshot of the counters. Costs O(connections) for the queue sizes, plus one read of each counter;
   * the counters are read one after the other, not atomically together.
   */
  public ServerStats stats() {
    long queued = 0;
    long largest = 0;
    for (Session session : sessions.values()) {
      long q = session.queuedBytes();
      queued += q;
      largest = Math.max(largest, q);
    }
    long host = metrics.hostPublications.sum();
    long client = metrics.clientPublications.sum();
    return new ServerStats(
        sessions.size(),
        metrics.connectionsOpened.sum(),
        channels.size(),
        (int) metrics.remoteSubscriptions.sum(),
        (int) metrics.inProcessSubscriptions.sum(),
        host + client,
        client,
        metrics.deliveries.sum(),
        metrics.bytesOut.sum(),
        metrics.bytesIn.sum(),
        metrics.errors(),
        metrics.closes(),
        metrics.slowConsumerDisconnects.sum(),
        metrics.skipped.sum(),
        metrics.resumesRecovered.sum(),
        metrics.resumesNotRecovered.sum(),
        queued,
        largest,
        metrics.continuityLosses.sum());
  }

  ProtocolTrace protocolTrace() {
    return protocolTrace;
  }

  /** Sends traced connections' messages to {@code trace} instead of the log; for tests. */
  public void protocolTrace(ProtocolTrace trace) {
    this.protocolTrace = java.util.Objects.requireNonNull(trace, "trace");
  }

  private static java.util.concurrent.ScheduledThreadPoolExecutor newTimer(ThreadFactory threads) {
    java.util.concurrent.ScheduledThreadPoolExecutor t = new java.util.concurrent.ScheduledThreadPoolExecutor(1, threads);
    // Connections cancel their credential timers when they close: drop those at once rather than hold
    // the closed session until the task's time (a token's lifetime) comes.
    t.setRemoveOnCancelPolicy(true);
    return t;
  }

  /**
   * Runs {@code task} on the engine's timer after {@code delayMillis}, outside every lock the caller holds.
   *
   * @return the task, to cancel; null when the engine is closed (the task will never run)
   */
  java.util.concurrent.Future<?> runAfter(long delayMillis, Runnable task) {
    try {
      return timer.schedule(() -> {
        try {
          task.run();
        } catch (RuntimeException e) {
          log.error("scheduled engine task failed", e);
        }
      }, Math.max(0, delayMillis), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      return null; // the engine is closed: the transport closes every connection anyway
    }
  }

  /** Runs {@code task} soon on the engine's timer thread, outside every lock the caller holds. */
  void runLater(Runnable task) {
    try {
      timer.execute(() -> {
        try {
          task.run();
        } catch (RuntimeException e) {
          log.error("deferred engine task failed", e);
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      // The engine is closed: the transport closes every connection anyway.
    }
  }

  @Override
  public HandshakeDecision onHandshake(Handshake handshake) {
    return access.admit(handshake);
  }

  @Override
  public InboundListener onOpen(TransportConnection connection) {
    String id = idPrefix + "-" + nextSessionId.incrementAndGet();
    Access.Admission admission;
    if (connection.context() instanceof Access.Admission a) {
      admission = a;
    } else {
      // A transport (or a wrapper around one) that did not ask onHandshake: decide now, after the upgrade.
      HandshakeDecision decision = access.admit(connection.handshake());
      if (!decision.accepted()) {
        connection.close(dev.pushline.CloseCodes.POLICY_VIOLATION, decision.reason());
        return REFUSED;
      }
      admission = (Access.Admission) decision.context();
    }
    Session session = new Session(this, connection, id, new SerialExecutor(callbackPool, "client " + id),
        admission);
    if (closed) {
      connection.close(dev.pushline.CloseCodes.GOING_AWAY, "server shutting down");
      return session;
    }
    sessions.put(id, session);
    metrics.connectionsOpened.increment();
    session.open();
    return session;
  }

  void requireRunning() {
    if (!running) {
      throw new IllegalStateException(closed ? "the server is closed" : "the server is not started");
    }
  }

  OutboundMessage prepare(String text) {
    return transport.prepare(text);
  }

  SerialExecutor newCallbackExecutor(String owner) {
    return new SerialExecutor(callbackPool, owner);
  }

  void removed(Session session) {
    sessions.remove(session.id(), session);
  }

  /**
   * Adds {@code target} to channel {@code name}, subscribing this node in the broker when it is the
   * channel's first: the target joins once its history read completes (see {@link ChannelState}), and
   * {@code reply} is told how. Creating the channel, joining it and forgetting it all happen inside the
   * registry's compute calls, so the broker's subscribe and unsubscribe calls for one channel are made in
   * order, and a channel is never forgotten while someone joins it.
   *
   * @return false if the target's subscriber was subscribed or joining already
   */
  boolean addTarget(String name, Target target, ChannelState.Since since, int last, ChannelState.Reply reply) {
    Object[] joined = new Object[2];
    channels.compute(name, (k, state) -> {
      ChannelState s = state != null ? state
          : new ChannelState(this, k, config.optionsFor(k), config.broker().subscribe(k));
      joined[0] = s;
      joined[1] = s.join(target, since, last, reply);
      return s;
    });
    if (joined[1] == null) {
      return false;
    }
    ((ChannelState) joined[0]).read((ChannelState.Joining) joined[1]);
    return true;
  }

  /** Removes {@code subscriber} from channel {@code name} and forgets the channel if it became empty. */
  boolean removeTarget(String name, Subscriber subscriber, Runnable after) {
    ChannelState state = channels.get(name);
    if (state == null || !state.remove(subscriber, after)) {
      return false;
    }
    disposeIfEmpty(name);
    return true;
  }

  /** Forgets channel {@code name} and unsubscribes this node in the broker if nobody uses it here. */
  void disposeIfEmpty(String name) {
    channels.computeIfPresent(name, (k, s) -> {
      if (!s.isEmpty()) {
        return s;
      }
      config.broker().unsubscribe(k).exceptionally(e -> {
        log.warn("broker unsubscribe from {} failed: {}", k, e.toString());
        return null;
      });
      return null;
    });
  }

  /** Local subscribers of channel {@code name}, on this node. */
  int subscriberCount(String name) {
    ChannelState s = channels.get(name);
    return s == null ? 0 : s.subscriberCount();
  }

  /** The channel's state on this node, or null if nobody here subscribes to it. */
  ChannelState channelState(String name) {
    return channels.get(name);
  }

  /**
   * Publishes through the broker; the returned future completes once the publication has an offset and
   * has been handed to every subscribed node (this one included).
   */
  java.util.concurrent.CompletableFuture<dev.pushline.broker.StreamPosition> publish(String name, String event,
      com.google.gson.JsonElement data) {
    requireRunning();
    return config.broker().publish(name, event, data, config.streamOptionsFor(name));
  }

  /**
   * Subscribes an in-process subscriber and waits until it is live (for a remote broker, a round trip).
   *
   * @throws dev.pushline.broker.BrokerException if the broker failed
   */
  boolean subscribeLocal(String name, Subscriber subscriber) {
    LocalTarget target = new LocalTarget(subscriber,
        newCallbackExecutor("subscriber " + subscriber + " of " + name));
    java.util.concurrent.CompletableFuture<Void> live = new java.util.concurrent.CompletableFuture<>();
    boolean added = addTarget(name, target, null, 0, new ChannelState.Reply() {
      @Override
      public void send(long offset, String epoch, Boolean recovered) {}

      @Override
      public void joined() {
        live.complete(null);
      }

      @Override
      public void fail(Throwable error) {
        live.completeExceptionally(error);
      }

      @Override
      public void cancel() {
        live.complete(null);
      }
    });
    if (added) {
      Futures.await(live, "subscribe to " + name);
    }
    return added;
  }

  boolean unsubscribeLocal(String name, Subscriber subscriber) {
    return removeTarget(name, subscriber, null);
  }

  /** Refreshes the presence entry of every subscription on a presence channel; runs on the timer. */
  private void refreshPresence() {
    for (Session session : sessions.values()) {
      session.refreshPresence(config.presenceTtl());
    }
  }

  /** What the broker tells this node. */
  private final class BrokerEvents implements dev.pushline.broker.BrokerHandler {
    @Override
    public void onPublication(dev.pushline.Publication publication, String epoch) {
      ChannelState s = channels.get(publication.channel());
      if (s != null) {
        s.onPublication(publication, epoch);
      }
    }

    @Override
    public void onJoin(String channel, dev.pushline.ClientInfo client) {
      ChannelState s = channels.get(channel);
      if (s != null) {
        s.onPresenceEvent(client, true);
      }
    }

    @Override
    public void onLeave(String channel, dev.pushline.ClientInfo client) {
      ChannelState s = channels.get(channel);
      if (s != null) {
        s.onPresenceEvent(client, false);
      }
    }

    @Override
    public void onDeliveryInterrupted() {
      log.warn("the broker's delivery was interrupted; subscribers of {} channels resume", channels.size());
      for (ChannelState s : channels.values()) {
        s.deliveryInterrupted();
      }
    }
  }

  long nowMillis() {
    return config.clock().millis();
  }

  private static String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
