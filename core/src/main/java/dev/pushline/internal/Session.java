package dev.pushline.internal;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.pushline.ChannelOptions;
import dev.pushline.ClientInfo;
import dev.pushline.ClientConnection;
import dev.pushline.CloseCodes;
import dev.pushline.Publication;
import dev.pushline.auth.ConnectDecision;
import dev.pushline.auth.ConnectRequest;
import dev.pushline.auth.Principal;
import dev.pushline.internal.Codec.BadRequest;
import dev.pushline.transport.InboundListener;
import dev.pushline.transport.OutboundMessage;
import dev.pushline.transport.TransportConnection;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One remote client: speaks protocol v1 on a transport connection and is a {@link Target} of the channels
 * it is subscribed to.
 *
 * <h2>Concurrency</h2>
 * The transport calls {@link #onText} serially; {@link #onClosed} may come from another thread at any
 * time, and the host may subscribe this session server-side from any thread. Subscription changes and the
 * close take this object's monitor ({@code channels}, {@code closed}); they take a channel's lock inside
 * it, never the other way round. Sends never take the monitor.
 *
 * <p>Thread-safe.
 */
final class Session implements ClientConnection, InboundListener, Target {

  private static final Logger log = LoggerFactory.getLogger(Session.class);

  private final Engine engine;
  private final TransportConnection connection;
  private final String id;
  private final SerialExecutor callbacks;
  /** The client's {@code rpc} calls waiting for their reply. */
  private final RpcCalls rpcs;
  private final Set<String> channels = new HashSet<>(); // guarded by this
  /** Channels whose join and leave events the client asked for; read under channel locks. */
  private final Set<String> joinLeave = ConcurrentHashMap.newKeySet();
  /** Presence channels this client is live in, so in their presence; refreshed by the engine's timer. */
  private final Set<String> present = ConcurrentHashMap.newKeySet();
  private boolean closed; // guarded by this
  /** Set once the queue overflowed under the DISCONNECT policy: nothing more is sent. */
  private volatile boolean overflowed;
  /** KEEP_LATEST channels with a publication waiting for the queue to drain; each entry under its channel's lock. */
  private final ConcurrentHashMap<ChannelState, OutboundMessage> latest = new ConcurrentHashMap<>();
  private final AtomicLong skipped = new AtomicLong();
  /** The opening request, kept to authenticate {@code connect} and {@code refresh} tokens against. */
  private final ConnectRequest request;
  /** Who the client is; null until it authenticated (then the host has not heard of this session yet). */
  private volatile Principal principal;
  /** Bumped whenever the principal changes: an expiry timer of an older principal does nothing. */
  private final AtomicInteger credentials = new AtomicInteger();
  /**
   * The pending connect-timeout or expiry task of the current credentials, cancelled when replaced and when
   * the session closes: a closed session is not kept until its token would have expired.
   */
  private java.util.concurrent.Future<?> timer; // guarded by this
  /** Whether the host was told about this session (onOpen); only then is it told about its close. */
  private boolean announced; // guarded by this
  // Inbound rate limiting; touched only by onText, which the transport calls serially.
  private final RateLimiter limiter;
  private boolean rateClosed;
  /**
   * Whether this connection's protocol messages are logged. Read once per message sent or received: when
   * off, tracing costs that one volatile read.
   */
  private volatile boolean traced;

  Session(Engine engine, TransportConnection connection, String id, SerialExecutor callbacks,
      Access.Admission admission) {
    this.engine = engine;
    this.connection = connection;
    this.id = id;
    this.callbacks = callbacks;
    this.rpcs = new RpcCalls(engine, this, callbacks);
    this.request = admission.request();
    this.principal = admission.principal();
    SecurityConfig security = engine.config.security();
    this.limiter = new RateLimiter(security.messagesPerSecond(), security.messageBurst(), engine.config.clock());
  }

  /**
   * Welcomes an authenticated client; gives one that came without credentials its connect timeout.
   */
  void open() {
    log.debug("client {} connected from {}", id, remoteAddress());
    if (principal != null) {
      authenticated();
      return;
    }
    long timeout = engine.config.security().connectTimeout().toMillis();
    schedule(credentials.get(), timeout, () -> {
      if (principal == null && isOpen()) {
        log.debug("client {}: no connect message within {} ms", id, timeout);
        connection.close(CloseCodes.UNAUTHORIZED, "no connect message within " + timeout + " ms");
      }
    });
  }

  /** The client is who {@link #principal} says: welcome it, tell the host, watch its expiry. */
  private void authenticated() {
    sendText(Codec.welcome(id, engine.config.maxMessageBytes(), engine.config.maxSubscriptionsPerConnection(),
        engine.config.pingInterval().toMillis()));
    synchronized (this) {
      if (closed) {
        return;
      }
      announced = true;
    }
    callbacks.execute(() -> engine.config.connectionListener().onOpen(this));
    watchExpiry(principal, credentials.get());
  }

  private void watchExpiry(Principal p, int generation) {
    if (p.expiresAt() == null) {
      replaceTimer(generation, null); // nothing to watch; an earlier task has nothing left to do
      return;
    }
    schedule(generation, millisUntil(p.expiresAt()), () -> expiryDue(p, generation));
  }

  /** Milliseconds from now until {@code t}; Long.MAX_VALUE for one too far to count (Instant.MAX). */
  private long millisUntil(java.time.Instant t) {
    try {
      return java.time.Duration.between(engine.config.clock().instant(), t).toMillis();
    } catch (ArithmeticException tooFar) {
      return Long.MAX_VALUE;
    }
  }

  private void schedule(int generation, long delayMillis, Runnable task) {
    replaceTimer(generation, engine.runAfter(delayMillis, task));
  }

  /**
   * Makes {@code next} (or none) the pending timer task of credentials {@code generation}, cancelling the one
   * it replaces; cancels {@code next} instead when the session closed or its credentials changed meanwhile.
   */
  private void replaceTimer(int generation, java.util.concurrent.Future<?> next) {
    java.util.concurrent.Future<?> cancel;
    synchronized (this) {
      if (closed || generation != credentials.get()) {
        cancel = next;
      } else {
        cancel = timer;
        timer = next;
      }
    }
    if (cancel != null) {
      cancel.cancel(false);
    }
  }

  /** Runs on the timer when {@code p}'s credentials should have expired. */
  private void expiryDue(Principal p, int generation) {
    if (credentials.get() != generation || !isOpen()) {
      return; // refreshed since, or gone
    }
    long left = millisUntil(p.expiresAt());
    if (left > 0) { // the timer ran early by the clock's account
      schedule(generation, left, () -> expiryDue(p, generation));
      return;
    }
    long grace = engine.config.security().tokenExpiryGrace().toMillis();
    log.debug("client {}: credentials of user {} expired; {} ms to refresh", id, p.userId(), grace);
    engine.metrics.error("token_expired");
    sendText(Codec.error(-1, "token_expired",
        "the token expired; send refresh with a new one within " + grace + " ms"));
    schedule(generation, grace, () -> {
      if (credentials.get() == generation && isOpen()) {
        connection.close(CloseCodes.TOKEN_EXPIRED, "token expired");
      }
    });
  }

  boolean belongsTo(Engine e) {
    return engine == e;
  }

  // --- InboundListener -------------------------------------------------------------------------

  @Override
  public void onText(String text) {
    if (rateClosed) {
      return;
    }
    boolean allowed = limiter.tryAcquire(); // before parsing: malformed messages count too
    engine.metrics.bytesIn.add(Metrics.utf8Length(text));
    if (traced) {
      trace("in", Codec.redactToken(text));
    }
    long requestId = -1;
    try {
      JsonObject request = Codec.parseObject(text);
      requestId = Codec.id(request);
      if (!allowed) {
        rateLimited(requestId);
        return;
      }
      handle(requestId, request);
    } catch (BadRequest e) {
      if (!allowed) {
        rateLimited(requestId);
        return;
      }
      log.debug("client {}: {} ({})", id, e.getMessage(), e.code);
      engine.metrics.error(e.code);
      sendText(Codec.error(requestId, e.code, e.getMessage()));
      if (e.code.equals("unauthorized") && principal == null) {
        connection.close(CloseCodes.UNAUTHORIZED, e.getMessage());
      }
    } catch (RuntimeException e) {
      log.warn("client {}: failed to handle a request", id, e);
      engine.metrics.error("internal");
      sendText(Codec.error(requestId, "internal", "the server failed to handle this request"));
    }
  }

  /**
   * The client sent more than its rate allows: this message is dropped and answered {@code rate_limited};
   * a client that goes on for another burst's worth of messages before its bucket is full again is closed.
   */
  private void rateLimited(long requestId) {
    SecurityConfig security = engine.config.security();
    if (limiter.refused() > security.messageBurst()) {
      rateClosed = true;
      log.debug("client {}: still over {} messages/s after {} refusals; closing", id,
          security.messagesPerSecond(), security.messageBurst());
      connection.close(CloseCodes.RATE_LIMITED, "rate limit exceeded");
      return;
    }
    engine.metrics.error("rate_limited");
    sendText(Codec.error(requestId, "rate_limited", "more than " + security.messagesPerSecond()
        + " messages/s; this one was dropped"));
  }

  @Override
  public void onClosed(int code, String reason) {
    List<String> names;
    boolean tellHost;
    java.util.concurrent.Future<?> pending;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      tellHost = announced;
      names = List.copyOf(channels);
      channels.clear();
      pending = timer;
      timer = null;
    }
    if (pending != null) {
      pending.cancel(false);
    }
    rpcs.closed();
    for (String name : names) {
      engine.removeTarget(name, this, null);
      leavePresence(name);
    }
    engine.removed(this);
    engine.metrics.closed(code);
    log.debug("client {} closed: {} {}", id, code, reason);
    if (tellHost) {
      callbacks.execute(() -> engine.config.connectionListener().onClosed(this, code, reason));
    }
  }

  private void handle(long requestId, JsonObject request) {
    String type = Codec.string(request, "type");
    Principal p = principal;
    if (p == null) {
      if (!type.equals("connect")) {
        throw new BadRequest("unauthorized", "send connect with a token first");
      }
      connect(requestId, request);
      return;
    }
    switch (type) {
      case "subscribe" -> {
        String name = channelOf(request);
        if (!engine.access.maySubscribe(p, name)) {
          throw new BadRequest("forbidden", "not allowed to subscribe to \"" + name + "\"");
        }
        subscribe(requestId, name, Codec.since(request), Codec.historyCount(request), Codec.joinLeave(request));
      }
      case "presence" -> presence(requestId, channelOf(request));
      case "unsubscribe" -> unsubscribe(requestId, channelOf(request));
      case "publish" -> publish(p, requestId, request);
      case "ping" -> sendText(Codec.pong(requestId));
      case "refresh" -> refresh(p, requestId, request);
      case "rpc" -> rpcs.start(requestId, request);
      case "connect" -> throw new BadRequest("bad_request", "already connected");
      default -> throw new BadRequest("unknown_type", "unknown type \"" + Names.clip(type) + "\"");
    }
  }

  /** The first message of a client whose opening request carried no credentials. */
  private void connect(long requestId, JsonObject message) {
    String token;
    try {
      token = Codec.string(message, "token");
    } catch (BadRequest e) {
      throw new BadRequest("unauthorized", e.getMessage()); // no usable credentials: closes like a refusal
    }
    ConnectDecision decision = engine.access.authenticate(request.withToken(token));
    if (!decision.accepted()) {
      throw new BadRequest("unauthorized", decision.reason());
    }
    principal = decision.principal();
    log.debug("client {} authenticated as user {}", id, principal.userId());
    authenticated();
  }

  /** New credentials for the same user, before (or soon after) the old ones expire. */
  private void refresh(Principal current, long requestId, JsonObject message) {
    ConnectDecision decision = engine.access.authenticate(request.withToken(Codec.string(message, "token")));
    if (!decision.accepted()) {
      throw new BadRequest("unauthorized", decision.reason());
    }
    Principal next = decision.principal();
    if (!next.userId().equals(current.userId())) {
      throw new BadRequest("unauthorized", "the token is for another user");
    }
    principal = next;
    int generation = credentials.incrementAndGet();
    sendText(Codec.refreshed(requestId, next.expiresAt()));
    watchExpiry(next, generation);
  }

  private String channelOf(JsonObject request) {
    String name = Codec.string(request, "channel");
    int max = engine.config.security().maxChannelNameLength();
    String problem = name.length() > max
        ? "channel name is " + name.length() + " chars; the limit is " + max
        : Names.channelProblem(name);
    if (problem != null) {
      throw new BadRequest("invalid_channel", problem);
    }
    return name;
  }

  private synchronized void subscribe(long requestId, String name, ChannelState.Since since, int last,
      boolean events) {
    if (closed) {
      return;
    }
    if (channels.contains(name)) {
      throw new BadRequest("already_subscribed", "already subscribed to \"" + name + "\"");
    }
    int max = engine.config.maxSubscriptionsPerConnection();
    if (channels.size() >= max) {
      throw new BadRequest("limit_exceeded", "subscribed to " + channels.size()
          + " channels already; the limit is " + max);
    }
    channels.add(name); // before the broker answers: a failure removes it again
    if (events) {
      joinLeave.add(name);
    }
    engine.addTarget(name, this, since, last, new SubscribeReply(requestId, name) {
      @Override
      public void send(long offset, String epoch, Boolean recovered) {
        if (recovered != null) {
          (recovered ? engine.metrics.resumesRecovered : engine.metrics.resumesNotRecovered).increment();
        }
        sendText(Codec.subscribed(requestId, name, offset, epoch, recovered));
      }
    });
    log.debug("client {} subscribes to {}", id, name);
  }

  /**
   * How a subscription of this session went: the reply is sent; once live on a presence channel the client
   * enters presence; a broker failure becomes an {@code unavailable} error.
   */
  private abstract class SubscribeReply implements ChannelState.Reply {
    private final long requestId;
    private final String name;

    SubscribeReply(long requestId, String name) {
      this.requestId = requestId;
      this.name = name;
    }

    @Override
    public void joined() {
      if (engine.config.optionsFor(name).presence()) {
        enterPresence(name);
      }
    }

    @Override
    public void fail(Throwable error) {
      synchronized (Session.this) {
        channels.remove(name);
      }
      joinLeave.remove(name);
      log.warn("client {}: subscribe to {} failed: {}", id, name, error.toString());
      sendText(Codec.error(requestId, "unavailable", "cannot subscribe to \"" + name
          + "\" now (the broker failed); try again"));
    }

    @Override
    public void cancel() {
      sendText(Codec.error(requestId, "cancelled", "unsubscribed from \"" + name
          + "\" before the subscription completed"));
    }
  }

  private synchronized void unsubscribe(long requestId, String name) {
    if (closed) {
      return;
    }
    if (!channels.remove(name)) {
      throw new BadRequest("not_subscribed", "not subscribed to \"" + name + "\"");
    }
    joinLeave.remove(name);
    engine.removeTarget(name, this, () -> sendText(Codec.unsubscribed(requestId, name)));
    leavePresence(name);
    log.debug("client {} unsubscribed from {}", id, name);
  }

  private void publish(Principal p, long requestId, JsonObject request) {
    if (!engine.config.clientPublish()) {
      throw new BadRequest("forbidden", "clients may not publish on this server");
    }
    String name = channelOf(request);
    if (!engine.access.mayPublish(p, name)) {
      throw new BadRequest("forbidden", "not allowed to publish to \"" + name + "\"");
    }
    String event = Codec.string(request, "event");
    String problem = Names.eventProblem(event);
    if (problem != null) {
      throw new BadRequest("bad_request", problem);
    }
    JsonElement sent = request.has("data") ? request.get("data") : JsonNull.INSTANCE;
    JsonElement data = engine.access.publication(p, name, event, sent);
    if (data == null) {
      throw new BadRequest("forbidden", "the server refused this publication to \"" + name + "\"");
    }
    engine.publish(name, event, data).whenComplete((position, error) -> {
      if (error != null) {
        log.warn("client {}: publish to {} failed: {}", id, name, error.toString());
        sendText(Codec.error(requestId, "unavailable", "publish to \"" + name
            + "\" failed (the broker failed); it may or may not have been published"));
        return;
      }
      engine.metrics.clientPublications.increment();
      sendText(Codec.published(requestId, name, position.offset(), position.epoch()));
    });
  }

  private void presence(long requestId, String name) {
    synchronized (this) {
      if (!channels.contains(name)) {
        throw new BadRequest("not_subscribed", "subscribe to \"" + name + "\" to see its presence");
      }
    }
    if (!engine.config.optionsFor(name).presence()) {
      throw new BadRequest("presence_disabled", "presence is off for \"" + name + "\"");
    }
    engine.config.broker().presence(name).whenComplete((clients, error) -> sendText(error == null
        ? Codec.presence(requestId, name, clients)
        : Codec.error(requestId, "unavailable", "cannot read the presence of \"" + name + "\" now")));
  }

  /** Who this client is, as presence shows it. */
  private ClientInfo clientInfo() {
    Principal p = principal;
    Object info = p == null ? null : p.claims().get("info");
    return new ClientInfo(id, p == null ? "" : p.userId(), info == null ? null : Codec.toJson(info));
  }

  /** Adds this client to {@code name}'s presence and announces it, on the engine's timer, in call order. */
  private void enterPresence(String name) {
    if (!present.add(name)) {
      return;
    }
    ClientInfo me = clientInfo();
    engine.runLater(() -> {
      var broker = engine.config.broker();
      logFailure(broker.addPresence(name, me, engine.config.presenceTtl()), "enter presence of " + name);
      logFailure(broker.publishJoin(name, me), "announce joining " + name);
    });
  }

  private void leavePresence(String name) {
    if (!present.remove(name)) {
      return;
    }
    ClientInfo me = clientInfo();
    engine.runLater(() -> {
      var broker = engine.config.broker();
      logFailure(broker.removePresence(name, id), "leave presence of " + name);
      logFailure(broker.publishLeave(name, me), "announce leaving " + name);
    });
  }

  /** Refreshes this client's presence entries; on the engine's timer. */
  void refreshPresence(java.time.Duration ttl) {
    if (present.isEmpty()) {
      return;
    }
    ClientInfo me = clientInfo();
    for (String name : present) {
      logFailure(engine.config.broker().addPresence(name, me, ttl), "refresh presence in " + name);
    }
  }

  private void logFailure(java.util.concurrent.CompletableFuture<?> f, String what) {
    f.exceptionally(e -> {
      if (engine.isRunning()) {
        log.warn("client {}: {} failed: {}", id, what, e.toString());
      } else {
        log.debug("client {}: {} failed while the server stops: {}", id, what, e.toString());
      }
      return null;
    });
  }

  /** Whether the client asked for {@code channel}'s join and leave events. Called under channel locks. */
  boolean wantsJoinLeave(String channel) {
    return joinLeave.contains(channel);
  }

  /**
   * Continuity of {@code channel} was lost for this client: close so that it reconnects and resumes. The
   * close runs on the engine's timer, never under the caller's channel lock.
   */
  void resync(String channel, String why) {
    log.debug("client {}: {}; closing to resume", id, why);
    engine.runLater(() -> connection.close(CloseCodes.RECONNECT, why));
  }

  /** Subscribes this session because the host asked; the client is told with an id-less reply. */
  synchronized boolean subscribeServerSide(String name) {
    if (closed || channels.contains(name)) {
      return false;
    }
    channels.add(name);
    engine.addTarget(name, this, null, 0, new SubscribeReply(-1, name) {
      @Override
      public void send(long offset, String epoch, Boolean recovered) {
        sendText(Codec.subscribed(-1, name, offset, epoch, null));
      }
    });
    return true;
  }

  synchronized boolean unsubscribeServerSide(String name) {
    if (closed || !channels.remove(name)) {
      return false;
    }
    joinLeave.remove(name);
    engine.removeTarget(name, this, () -> sendText(Codec.unsubscribed(-1, name)));
    leavePresence(name);
    return true;
  }

  // --- Target ----------------------------------------------------------------------------------

  /**
   * Sends one publication, unless the connection's queue is full: then the channel's slow-consumer policy
   * applies. Called under {@code channel}'s lock.
   */
  @Override
  public boolean deliver(ChannelState channel, OutboundMessage frame, Publication publication) {
    if (overflowed) {
      return false;
    }
    long limit = engine.config.maxQueuedBytes();
    if (channel.options().slowConsumerPolicy() == ChannelOptions.SlowConsumerPolicy.KEEP_LATEST) {
      // While one is waiting, newer ones replace it rather than overtake it: offsets stay in order.
      if (latest.containsKey(channel) || connection.queuedBytes() + frame.sizeBytes() > limit) {
        if (latest.put(channel, frame) != null) {
          skipped.incrementAndGet();
          engine.metrics.skipped.increment();
        }
        connection.notifyWhenDrained(limit / 2);
        return false;
      }
      return sent(frame);
    }
    if (connection.queuedBytes() + frame.sizeBytes() > limit) {
      overflow();
      return false;
    }
    return sent(frame);
  }

  /**
   * Queues {@code frame} and traces it if asked. The caller counts it: the fan-out loop once per
   * publication (see {@link Metrics}), the others as they send.
   */
  private boolean sent(OutboundMessage frame) {
    if (!connection.send(frame)) {
      return false;
    }
    if (traced) {
      trace("out", frame.text());
    }
    return true;
  }

  /**
   * Sends a join or leave event under {@code channel}'s lock. A full queue is treated as for a
   * publication under DISCONNECT; under KEEP_LATEST the event is dropped (it is not part of the stream).
   */
  void deliverEvent(ChannelState channel, OutboundMessage frame) {
    if (overflowed) {
      return;
    }
    if (connection.queuedBytes() + frame.sizeBytes() > engine.config.maxQueuedBytes()) {
      if (channel.options().slowConsumerPolicy() == ChannelOptions.SlowConsumerPolicy.DISCONNECT) {
        overflow();
      }
      return;
    }
    if (sent(frame)) {
      engine.metrics.delivered(1, frame.sizeBytes());
    }
  }

  /**
   * The queue drained to half: send what KEEP_LATEST channels held back, each under its channel's lock, on
   * the engine's timer. Never on the caller's thread: a transport may call this from
   * {@code notifyWhenDrained}, that is from {@link #deliver} under one channel's lock, and taking the other
   * channels' locks there deadlocked two publishers of two such channels (each held its own and waited for
   * the other's); nor on a transport's I/O thread, which would wait for a channel's fan-out.
   */
  @Override
  public void onDrained() {
    engine.runLater(this::sendHeldBack);
  }

  private void sendHeldBack() {
    for (ChannelState channel : latest.keySet()) {
      channel.locked(() -> {
        OutboundMessage frame = latest.remove(channel);
        if (frame == null || overflowed) {
          return;
        }
        // Counted before it is queued (and taken back if it cannot be): a client that has read it finds
        // it in the stats, as with publications, which are counted before publish() returns.
        engine.metrics.deliveries.increment();
        engine.metrics.bytesOut.add(frame.sizeBytes());
        if (!sent(frame)) {
          engine.metrics.deliveries.decrement();
          engine.metrics.bytesOut.add(-frame.sizeBytes());
        }
      });
    }
  }

  /**
   * The queue is full: stop sending and close with SLOW_CONSUMER. The close runs on the engine's timer,
   * never here: this runs under a channel lock, and closing may wait on the connection's monitor, which
   * the transport holds while it reports a close to us.
   */
  private void overflow() {
    if (overflowed) {
      return;
    }
    overflowed = true;
    engine.metrics.slowConsumerDisconnects.increment();
    log.debug("client {}: queue over {} bytes; closing as a slow consumer", id, engine.config.maxQueuedBytes());
    engine.runLater(() -> connection.close(CloseCodes.SLOW_CONSUMER, "slow consumer"));
  }

  /** Bytes queued for this client and not yet written. */
  @Override
  public long queuedBytes() {
    return connection.queuedBytes();
  }

  /** Publications of KEEP_LATEST channels replaced by a newer one before they could be sent. */
  @Override
  public long skippedPublications() {
    return skipped.get();
  }

  @Override
  public dev.pushline.Subscriber subscriber() {
    return this;
  }

  // --- ClientConnection ------------------------------------------------------------------------

  @Override
  public String id() {
    return id;
  }

  @Override
  public Principal principal() {
    return principal;
  }

  @Override
  public InetSocketAddress remoteAddress() {
    return connection.handshake().remoteAddress();
  }

  @Override
  public synchronized Set<String> channels() {
    return Set.copyOf(channels);
  }

  @Override
  public synchronized boolean isOpen() {
    return !closed;
  }

  @Override
  public boolean send(String event, Object data) {
    Names.requireEvent(event);
    return sendText(Codec.message(event, Codec.toJson(data)));
  }

  @Override
  public void onPublication(Publication publication) {
    Objects.requireNonNull(publication, "publication");
    sendText(Codec.publication(publication.channel(), publication.offset(), publication.event(),
        publication.data()));
  }

  @Override
  public void close(String reason) {
    close(CloseCodes.DISCONNECT, reason);
  }

  @Override
  public void close(int code, String reason) {
    Objects.requireNonNull(reason, "reason");
    boolean ours = code == CloseCodes.RECONNECT || code == CloseCodes.DISCONNECT;
    if (!ours && (code < 4000 || code > 4999)) {
      throw new IllegalArgumentException("close code is " + code
          + "; it must be 3000 (RECONNECT), 3500 (DISCONNECT) or 4000..4999");
    }
    if (reason.length() > 120) {
      throw new IllegalArgumentException("reason is " + reason.length() + " chars; the limit is 120");
    }
    connection.close(code, reason);
  }

  /**
   * Sends a reply or a message to this client alone. A client that does not read its replies is a slow
   * consumer like any other: past the queue limit it is closed.
   */
  boolean sendText(String text) {
    if (overflowed) {
      return false;
    }
    OutboundMessage frame = engine.prepare(text);
    if (connection.queuedBytes() + frame.sizeBytes() > engine.config.maxQueuedBytes()) {
      overflow();
      return false;
    }
    if (!sent(frame)) {
      return false;
    }
    engine.metrics.bytesOut.add(frame.sizeBytes());
    return true;
  }

  @Override
  public synchronized void traceProtocol(boolean on) {
    if (traced != on) {
      traced = on;
      ProtocolTrace sink = engine.protocolTrace();
      callbacks.execute(() -> sink.switched(id, on));
    }
  }

  /**
   * Hands one message to the engine's trace sink on this connection's callback executor: in order, and
   * never on the caller's thread, which may hold a channel lock (the sink does I/O).
   */
  private void trace(String direction, String text) {
    ProtocolTrace sink = engine.protocolTrace();
    callbacks.execute(() -> sink.message(id, direction, text));
  }

  @Override
  public String toString() {
    return "ClientConnection[" + id + "]";
  }
}
