package dev.pushline.client;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import dev.pushline.ClientInfo;
import dev.pushline.CloseCodes;
import dev.pushline.Publication;
import dev.pushline.PushException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of a Pushline server (wire protocol v1): one WebSocket connection that carries any number of
 * channel subscriptions, and comes back on its own when it drops.
 *
 * <pre>{@code
 * PushClient client = PushClient.builder()
 *     .uri("ws://localhost:8025/pushline")
 *     .build();
 * client.connect();
 * client.subscribe("logs", publication -> System.out.println(publication.data()));
 * ...
 * client.close();
 * }</pre>
 *
 * <h2>Lifecycle</h2>
 * A client is {@link State#NEW NEW} until {@link #connect()}, then {@link State#CONNECTING CONNECTING}
 * until the server's {@code welcome}, then {@link State#CONNECTED CONNECTED}. When the connection drops
 * or cannot be opened, the client waits in {@link State#RECONNECTING RECONNECTING} (exponential backoff
 * with jitter) and tries again, for as long as it takes. It stops, {@link State#CLOSED CLOSED} for good,
 * when the application calls {@link #close()} or when the server closes the connection with a code that
 * means "do not reconnect" ({@link CloseCodes#shouldReconnect}: 3500..3999 and 4500..4999). A closed
 * client cannot be reopened; build a new one. The {@link Listener} hears every transition.
 *
 * <h2>Subscriptions and resume</h2>
 * {@link #subscribe} registers a handler for a channel's publications; the client remembers it until
 * {@link #unsubscribe}, sends it once connected, and sends it again after every reconnect, so the handler
 * keeps receiving across reconnects. The client remembers the {@linkplain #position position} (offset and
 * epoch) of the last publication it delivered of each channel and renews the subscription from there: when
 * the server still has what was published meanwhile in its channel history, it replays it first, and the
 * handler sees every publication once, in offset order, as if the connection had never dropped
 * ({@link Recovery#RECOVERED}). When it has not (history off or too short, or the server restarted, which
 * starts a new epoch), delivery goes on from the channel's current offset and a
 * {@link SubscriptionHandler} is told {@link Recovery#NOT_RECOVERED}: publications were missed, and the
 * application reloads its state:
 *
 * <pre>{@code
 * client.subscribe("orders", new PushClient.SubscriptionHandler() {
 *   @Override
 *   public void onSubscribed(String channel, StreamPosition position, Recovery recovery) {
 *     if (recovery != Recovery.RECOVERED) {
 *       // The first subscription, or publications were missed while away: load the state afresh, on
 *       // another thread (handlers must not block). Publications after position.offset() follow.
 *       executor.execute(orders::reload);
 *     }
 *   }
 *
 *   @Override
 *   public void onPublication(Publication publication) {
 *     orders.apply(publication);
 *   }
 * });
 * }</pre>
 *
 * A subscription the server cannot make for the moment (error {@code unavailable}: its broker, for
 * example Redis, failed) is not dropped: the client asks again with the reconnect backoff, from the same
 * position, and tells the handler each time ({@link SubscriptionHandler#onSubscribeFailed}). A server
 * that lost a channel's continuity on its side closes the connection with 3000 (reconnect); the client
 * reconnects and resumes as after any drop.
 *
 * <p>Within one epoch the client never delivers an offset twice or out of order, whatever the server sends;
 * a new epoch starts again from its own offsets. {@link SubscribeOptions#history} asks for the last few
 * publications whenever a subscription starts without continuity. The host application may also subscribe
 * a connection itself, server-side; those publications go to the
 * {@linkplain Builder#serverSubscriptionHandler server subscription handler}.
 *
 * <h2>Presence</h2>
 * Where the server keeps presence for a channel ({@code ChannelOptions.withPresence(true)}), a subscriber
 * can ask who else is subscribed with {@link #presence}, and hear who joins and leaves with
 * {@link SubscribeOptions#withJoinLeave} (see {@link PresenceListener}). Events are not replayed after a
 * reconnect: read {@link #presence} each time the subscription takes effect for the current list.
 *
 * <h2>Dead servers</h2>
 * The server tells its ping interval in its {@code welcome} and pings every connection that often. If
 * nothing at all arrives from it (no message, no ping) for twice the interval plus half an interval (at
 * least 250 ms, at most 5 s more), the client drops the connection as dead and reconnects as after any
 * other loss: {@link Listener#onDisconnected} with code 1006 and a {@link PushException} whose cause is a
 * {@link TimeoutException}.
 *
 * <h2>Requests and futures</h2>
 * {@link #subscribe}, {@link #unsubscribe}, {@link #publish}, {@link #presence} and {@link #rpc} return a
 * future that the server's reply completes. A request made while not connected waits for the connection.
 * Every such future completes within the {@linkplain Builder#requestTimeout request timeout} of the call: with the
 * reply, with a {@link PushException} whose {@link PushException#code() code} is the server's error code
 * (for example {@code forbidden}, {@code invalid_channel}), or with a local {@link PushException} (code
 * null): its cause is a {@link TimeoutException} when the server did not answer in time. A {@code publish} whose
 * connection dropped before the reply fails too (it may or may not have been published), and so does an
 * {@code rpc} (its handler may or may not have run): requests are never sent twice. Misuse (null
 * arguments, data Gson cannot serialise) throws at once.
 *
 * <h2>Threading</h2>
 * The client starts no thread of its own. Its connections run on the {@link HttpClient}'s threads (by
 * default one HttpClient shared by every client in the JVM, with at most one daemon thread per core,
 * {@code pushline-client-N}); timeouts and reconnect delays on one shared daemon timer thread,
 * {@code pushline-client-timer}. Thousands of clients therefore cost a handful of threads.
 *
 * <p>Listener callbacks and publication handlers run one at a time per client, in order: publications of
 * a channel in offset order, and {@code onOpen} before the publications of that connection. They usually
 * run on an HttpClient thread; sometimes on the timer thread or on the thread that called
 * {@link #close()}; and while a connection opens, possibly on a thread of the JDK's default asynchronous
 * executor ({@code java.net.http} hands the opening handshake's completion there: the common
 * {@code ForkJoinPool}, or a short-lived thread per connection attempt on a JVM with fewer than three
 * cores). <b>They must not block</b>: while one runs, that connection reads nothing more, and the thread
 * is shared with other clients. In particular, do not wait on this client's futures there.
 * A callback that throws is logged at WARN and the client carries on. The futures returned here are
 * completed on the same threads; use the {@code ...Async} stages for work that blocks.
 *
 * <p>Thread-safe.
 */
public final class PushClient implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PushClient.class);

  static final int NORMAL_CLOSURE = 1000;
  static final int ABNORMAL_CLOSURE = 1006;

  private final URI uri;
  private final HttpClient httpClient;
  private final Duration requestTimeout;
  private final Duration connectTimeout;
  private final Backoff backoff;
  private final Listener listener;
  private final SubscriptionHandler serverSubscriptionHandler; // null when none
  private final ScheduledExecutorService timer;
  private final Callbacks callbacks = new Callbacks(this);
  private final CompletableFuture<Void> connected = new CompletableFuture<>();

  private final Object lock = new Object();
  private State state = State.NEW; // guarded by lock
  /** The connection being opened or open; non-null exactly in CONNECTING and CONNECTED. */
  private Connection current; // guarded by lock
  private long connections; // guarded by lock
  /** Connection attempts since the last welcome (or since connect()). */
  private int attempts; // guarded by lock
  /** Connections lost or attempts failed since the last welcome. */
  private int failures; // guarded by lock
  private ScheduledFuture<?> reconnectTask; // guarded by lock
  private long lastRequestId; // guarded by lock
  private long maxMessageBytes = Long.MAX_VALUE; // guarded by lock; from the current welcome
  private final Map<String, Subscription> subscriptions = new LinkedHashMap<>(); // guarded by lock
  /** Subscriptions the server's host made on the current connection, by channel. */
  private final Map<String, Subscription> serverSubscriptions = new HashMap<>(); // guarded by lock
  /** Subscriptions whose subscribe request is on the current connection, by request id. */
  private final Map<Long, Subscription> subscribing = new HashMap<>(); // guarded by lock
  /** Requests sent on the current connection, by id. */
  private final Map<Long, Request<?>> pending = new HashMap<>(); // guarded by lock
  /** Requests made while not connected, in order. */
  private final ArrayDeque<Request<?>> waiting = new ArrayDeque<>(); // guarded by lock
  /** Credentials for each connection attempt and each refresh, or null. */
  private final java.util.function.Supplier<String> tokens;

  private PushClient(Builder b) {
    this.uri = b.uri;
    this.httpClient = b.httpClient != null ? b.httpClient : ClientThreads.httpClient();
    this.requestTimeout = b.requestTimeout;
    this.connectTimeout = b.connectTimeout;
    this.backoff = new Backoff(b.initialDelay, b.maxDelay, b.jitter, b.random);
    this.listener = b.listener;
    this.serverSubscriptionHandler = b.serverSubscriptionHandler;
    this.tokens = b.tokens;
    this.timer = ClientThreads.timer();
  }

  /** A builder with every setting at its default; {@link Builder#uri} must be set. */
  public static Builder builder() {
    return new Builder();
  }

  // --- the public API --------------------------------------------------------------------------

  /**
   * Starts connecting; the client keeps trying until it gets through or is closed. Calling it again
   * returns the same future.
   *
   * @return completes when the server's first {@code welcome} arrives; fails with {@link PushException}
   *     if the client is closed before that (by {@link #close()} or by the server). Bound the wait with
   *     {@link CompletableFuture#orTimeout} if the server may be down.
   */
  public CompletableFuture<Void> connect() {
    synchronized (lock) {
      if (state != State.NEW) {
        return connected;
      }
      state = State.CONNECTING;
    }
    log.debug("{}: connecting with {}, connect timeout {}, request timeout {}", this, backoff, connectTimeout,
        requestTimeout);
    openConnection();
    return connected;
  }

  /**
   * Subscribes to {@code channel}: {@code handler} receives its publications in offset order, from the
   * {@code subscribed} reply on, across reconnects, until {@link #unsubscribe}. Sent at once when
   * connected, else once connected. After a reconnect the subscription resumes where it left off (see
   * "Subscriptions and resume" above); this simple form is not told when publications were missed
   * because the server could not replay them: use {@link #subscribe(String, SubscriptionHandler)} for that.
   *
   * <p>If the server refuses the subscription (for example {@code invalid_channel} or
   * {@code limit_exceeded}) the client forgets it. If the server cannot make it now ({@code unavailable}:
   * its broker failed), the client keeps it and asks again with the reconnect backoff, as often as it
   * takes (see {@link SubscriptionHandler#onSubscribeFailed}); the future waits for the answer to a retry.
   * If the future fails for a local reason (timeout, connection lost) the client keeps the subscription
   * and sends it again after reconnecting; call {@link #unsubscribe} to give up.
   *
   * @param channel the channel's name; the server checks it (1 to 255 letters, digits and
   *     {@code _ - . : @ / = $ ~ +})
   * @return the channel's position when the subscription took effect: the first publication delivered has
   *     offset {@code offset + 1}. Fails with code {@code already_subscribed} if this client has a
   *     subscription to {@code channel} already, with {@code cancelled} if {@link #unsubscribe} came first,
   *     or with the server's error code.
   * @throws IllegalArgumentException if {@code channel} is not well-formed UTF-16 (a lone surrogate)
   */
  public CompletableFuture<StreamPosition> subscribe(String channel, Consumer<Publication> handler) {
    Objects.requireNonNull(handler, "handler");
    return subscribe(channel, SubscribeOptions.DEFAULT, new SubscriptionHandler() {
      @Override
      public void onSubscribed(String ch, StreamPosition position, Recovery recovery) {
        // The simple form does not ask; the client logs a NOT_RECOVERED at DEBUG.
      }

      @Override
      public void onPublication(Publication publication) {
        handler.accept(publication);
      }
    });
  }

  /**
   * Subscribes to {@code channel} with a handler that is also told each time the subscription takes
   * effect, and whether the stream continued ({@link Recovery}). Otherwise as
   * {@link #subscribe(String, Consumer)}.
   *
   * @return as {@link #subscribe(String, Consumer)}
   */
  public CompletableFuture<StreamPosition> subscribe(String channel, SubscriptionHandler handler) {
    return subscribe(channel, SubscribeOptions.DEFAULT, handler);
  }

  /**
   * Subscribes to {@code channel} with {@code options}; otherwise as
   * {@link #subscribe(String, SubscriptionHandler)}. With {@link SubscribeOptions#history} {@code K}, each
   * time the subscription starts without continuity (the first time, and after a resume that failed), the
   * server first replays up to its last {@code K} publications: those at or below the position given to
   * {@link SubscriptionHandler#onSubscribed}.
   *
   * @return as {@link #subscribe(String, Consumer)}
   */
  public CompletableFuture<StreamPosition> subscribe(String channel, SubscribeOptions options,
      SubscriptionHandler handler) {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(handler, "handler");
    Frames.requireWellFormed("channel", channel);
    Subscription s;
    Connection c = null;
    List<Runnable> after = new ArrayList<>(0);
    synchronized (lock) {
      if (state == State.CLOSED) {
        return CompletableFuture.failedFuture(closedException());
      }
      if (subscriptions.containsKey(channel)) {
        return CompletableFuture.failedFuture(new PushException("already_subscribed",
            "this client is subscribed to \"" + channel + "\" already", null));
      }
      s = new Subscription(channel, handler, options);
      subscriptions.put(channel, s);
      ScheduledFuture<?> timeout = schedule(() -> s.subscribed.completeExceptionally(
          timeoutException("subscribe to \"" + channel + "\"")), requestTimeout);
      s.subscribed.whenComplete((position, failure) -> timeout.cancel(false));
      if (state == State.CONNECTED) {
        c = current;
        sendSubscribe(c, s, after);
      }
    }
    runAll(after);
    if (c != null) {
      c.flush();
    }
    return s.subscribed;
  }

  /**
   * Unsubscribes from {@code channel}: once this returns, its handler is not called again (unless a call is
   * under way) and the subscription is not sent after a reconnect.
   *
   * @return completes once the server confirmed, or at once when the subscription was not on the
   *     connection (no connection, or not sent yet); also completes when the connection drops before the
   *     reply, since the server forgets the subscription with the connection. Fails with code
   *     {@code not_subscribed} if this client has no subscription to {@code channel}.
   */
  public CompletableFuture<Void> unsubscribe(String channel) {
    Objects.requireNonNull(channel, "channel");
    Request<Void> request;
    Connection c;
    Subscription s;
    List<Runnable> after = new ArrayList<>(0);
    synchronized (lock) {
      if (state == State.CLOSED) {
        return CompletableFuture.failedFuture(closedException());
      }
      s = subscriptions.remove(channel);
      if (s == null) {
        return CompletableFuture.failedFuture(new PushException("not_subscribed",
            "this client is not subscribed to \"" + channel + "\"", null));
      }
      s.removed = true;
      s.cancelRetry();
      if (s.phase == Subscription.Phase.SENT) {
        subscribing.remove(s.requestId); // its reply will find nobody; the unsubscribe follows it
      }
      boolean onWire = state == State.CONNECTED && s.phase != Subscription.Phase.PENDING;
      s.phase = Subscription.Phase.PENDING;
      if (!onWire) {
        request = null;
        c = null;
      } else {
        request = new Request<>("unsubscribe from \"" + channel + "\"", "unsubscribed", channel,
            id -> Frames.unsubscribe(id, channel), reply -> null);
        c = current;
        startTimeout(request);
        send(c, request, after);
      }
    }
    runAll(after);
    s.subscribed.completeExceptionally(new PushException("cancelled",
        "unsubscribed from \"" + channel + "\" before the server confirmed the subscription", null));
    if (request == null) {
      return CompletableFuture.completedFuture(null);
    }
    c.flush();
    return request.future;
  }

  /**
   * Publishes an event to {@code channel}, where the server allows clients to publish
   * ({@code PushServer.Builder.allowClientPublish()}). The client need not be subscribed.
   *
   * @param event the event name: 1 to 255 characters (the server checks)
   * @param data any object Gson can serialise, a {@code JsonElement}, or null
   * @return the publication's offset. Fails with code {@code forbidden} where clients may not publish,
   *     with {@code unavailable} when the server's broker failed (it may or may not have been published;
   *     the client does not send it again),
   *     and with a local {@link PushException} if the message is larger than the server accepts or too
   *     much is queued for sending already.
   * @throws IllegalArgumentException if Gson cannot serialise {@code data}, or a string in the request is
   *     not well-formed UTF-16 (a lone surrogate)
   */
  public CompletableFuture<Long> publish(String channel, String event, Object data) {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(event, "event");
    String body = Frames.publishBody(channel, event, Frames.toJson(data));
    return submit(new Request<>("publish to \"" + channel + "\"", "published", channel,
        id -> Frames.publish(id, body), Frames::publishedOffset));
  }

  /**
   * Calls {@code method} on the server, which answers with the result of the handler the host registered
   * for it ({@code PushServer.Builder.rpc}). Like every request, a call made while not connected waits for
   * the connection, and its {@linkplain Builder#requestTimeout request timeout} starts at the call. A call
   * is sent once, never again: if the connection drops before the reply, the future fails (the handler may
   * or may not have run). Replies to calls may come in any order.
   *
   * <p>The server answers a handler that takes longer than its {@code rpcTimeout} (30 s by default) with
   * {@code timeout}; set this client's request timeout above it to hear that rather than a local timeout.
   *
   * @param method the method's name, as registered on the server
   * @param data any object Gson can serialise, a {@code JsonElement}, or null
   * @return the result, as JSON ({@code JsonNull} for null). Fails with code {@code method_not_found} for a
   *     method the server does not have, {@code bad_request} for a request or data it refuses,
   *     {@code limit_exceeded} when this connection has 32 calls waiting already, {@code timeout} when the
   *     handler did not answer in time, {@code internal} when it failed, an application code of the
   *     handler's own, or as described under "Requests and futures"
   * @throws IllegalArgumentException if Gson cannot serialise {@code data}, or a string in the request is
   *     not well-formed UTF-16 (a lone surrogate)
   */
  public CompletableFuture<JsonElement> rpc(String method, Object data) {
    Objects.requireNonNull(method, "method");
    String body = Frames.rpcBody(method, Frames.toJson(data));
    return submit(new Request<>("call \"" + Frames.clip(method) + "\"", "rpc", null,
        id -> Frames.rpc(id, body), reply -> Frames.element(reply, "data")));
  }

  /**
   * Like {@link #rpc(String, Object)}, with the result converted to {@code type} with Gson's default
   * mapping (records included). A result that does not fit {@code type} fails the future with a local
   * {@link PushException} (code null).
   */
  public <T> CompletableFuture<T> rpc(String method, Object data, Class<T> type) {
    Objects.requireNonNull(type, "type");
    return rpc(method, data).thenApply(result -> Frames.fromJson(result, type, method));
  }

  /** Sends {@code request} now if connected, else once connected; its timeout starts now. */
  private <T> CompletableFuture<T> submit(Request<T> request) {
    Connection c = null;
    List<Runnable> after = new ArrayList<>(1);
    synchronized (lock) {
      if (state == State.CLOSED) {
        return CompletableFuture.failedFuture(closedException());
      }
      startTimeout(request);
      if (state == State.CONNECTED) {
        c = current;
        send(c, request, after);
      } else {
        waiting.add(request);
      }
    }
    runAll(after);
    if (c != null) {
      c.flush();
    }
    return request.future;
  }

  /**
   * Who is subscribed to {@code channel} now, on every node of the deployment: each subscriber's
   * connection id, user id and the {@code info} claim of its token (see {@link ClientInfo}). This client
   * must be subscribed to {@code channel} (the server checks; a subscription whose {@code subscribed}
   * reply has not arrived yet counts), and the server must have presence on for it
   * ({@code ChannelOptions.withPresence(true)}). A subscriber is listed from the moment its subscription
   * is live, so this client may be missing from a list read right after subscribing.
   *
   * @return the subscribers, in no particular order. Fails with code {@code not_subscribed} or
   *     {@code presence_disabled} as above, {@code unavailable} if the server's broker could not answer
   *     (ask again later), or as described under "Requests and futures".
   * @throws IllegalArgumentException if {@code channel} is not well-formed UTF-16 (a lone surrogate)
   */
  public CompletableFuture<List<ClientInfo>> presence(String channel) {
    Objects.requireNonNull(channel, "channel");
    Frames.requireWellFormed("channel", channel);
    return submit(new Request<>("read the presence of \"" + channel + "\"", "presence", channel,
        id -> Frames.presence(id, channel), Presence::clients));
  }

  /** Where the client stands now. */
  public State state() {
    synchronized (lock) {
      return state;
    }
  }

  /**
   * The channels this client is subscribed to or subscribing to, in the order it subscribed; not those
   * the server subscribed it to.
   */
  public Set<String> channels() {
    synchronized (lock) {
      return Collections.unmodifiableSet(new LinkedHashSet<>(subscriptions.keySet()));
    }
  }

  /**
   * The last position this client saw of {@code channel}, from which it resumes after a reconnect: the
   * offset of the last publication delivered to its handler (or, if none came since the subscription took
   * effect, the offset delivery starts after: the channel's offset then, less the
   * {@linkplain SubscribeOptions#history history} asked for) and the epoch of that stream. Empty when the
   * client is not subscribed to {@code channel} or no {@code subscribed} reply has arrived yet; always
   * empty for subscriptions the server made. Still answers after {@link #close()}.
   */
  public Optional<StreamPosition> position(String channel) {
    Objects.requireNonNull(channel, "channel");
    synchronized (lock) {
      Subscription s = subscriptions.get(channel);
      return s == null ? Optional.empty() : Optional.ofNullable(s.position);
    }
  }

  /**
   * Closes the client for good: closes the connection with code 1000, stops reconnecting, and fails every
   * pending future (those of {@code unsubscribe} complete: the subscription is gone with the connection).
   * Once it returns no publication handler is called (except one under way). The listener hears
   * {@link Listener#onClosed} with code 1000. Idempotent; never blocks.
   */
  @Override
  public void close() {
    Connection c;
    List<Subscription> subs;
    List<Request<?>> requests;
    synchronized (lock) {
      if (state == State.CLOSED) {
        return;
      }
      state = State.CLOSED;
      c = current;
      current = null;
      cancelTimers(c);
      subs = List.copyOf(subscriptions.values());
      requests = takeAllRequests();
      subscribing.clear();
      for (Subscription s : subs) {
        s.phase = Subscription.Phase.PENDING;
        s.cancelRetry();
        s.removed = true; // no handler runs once close() returned
      }
      for (Subscription s : serverSubscriptions.values()) {
        s.removed = true;
      }
      serverSubscriptions.clear();
    }
    log.debug("{}: closed by the application", this);
    if (c != null) {
      c.close(NORMAL_CLOSURE, "client closed", requestTimeout);
    }
    PushException closed = closedException();
    for (Subscription s : subs) {
      s.subscribed.completeExceptionally(closed);
    }
    for (Request<?> r : requests) {
      if (r.replyType.equals("unsubscribed")) {
        r.future.complete(null);
      } else {
        r.fail(closed);
      }
    }
    connected.completeExceptionally(new PushException("the client was closed before it connected"));
    callbacks.run("onClosed", () -> listener.onClosed(this, NORMAL_CLOSURE, "closed by the client"));
  }

  @Override
  public String toString() {
    // Without the query: it may hold a token, and this ends up in log lines.
    String q = uri.getRawQuery();
    return "PushClient[" + (q == null ? uri : uri.toString().replace("?" + q, "?...")) + "]";
  }

  /**
   * For tests: drops the current connection, or connection attempt, abruptly as a network failure would
   * (the socket is aborted without a Close frame); the client reconnects as after any loss.
   */
  void abortConnection() {
    Connection c;
    synchronized (lock) {
      c = current;
    }
    if (c != null) {
      c.abort();
      connectionLost(c, ABNORMAL_CLOSURE, "", new PushException("connection aborted by a test"));
    }
  }

  // --- connecting --------------------------------------------------------------------------------

  private void openConnection() {
    Connection c;
    int attempt;
    synchronized (lock) {
      if (state == State.CLOSED) {
        return;
      }
      state = State.CONNECTING;
      reconnectTask = null;
      c = new Connection(this, ++connections);
      current = c;
      attempt = ++attempts;
      c.attemptTimer = schedule(() -> attemptTimedOut(c), connectTimeout);
    }
    log.debug("{}: connecting, attempt {}", c, attempt);
    callbacks.run("onConnecting", () -> listener.onConnecting(this, attempt));
    CompletableFuture<WebSocket> opened;
    try {
      WebSocket.Builder builder = httpClient.newWebSocketBuilder().connectTimeout(connectTimeout);
      String token = tokens == null ? null : tokens.get();
      if (token != null && !token.isEmpty()) {
        builder.header("Authorization", "Bearer " + token);
      }
      opened = builder.buildAsync(uri, c);
    } catch (RuntimeException e) {
      opened = CompletableFuture.failedFuture(e);
    }
    opened.whenComplete((ws, failure) -> {
      if (failure != null) {
        connectionLost(c, ABNORMAL_CLOSURE, "", unwrap(failure));
      }
    });
  }

  private void attemptTimedOut(Connection c) {
    lose(c, ABNORMAL_CLOSURE, "", new PushException("no welcome within " + connectTimeout.toMillis()
        + " ms of starting to connect", new TimeoutException()), true);
  }

  private void reconnect(Connection lost) {
    synchronized (lock) {
      if (state != State.RECONNECTING || current != null || connections != lost.number) {
        return; // closed, or overtaken
      }
    }
    openConnection();
  }

  /**
   * Connection {@code c} closed ({@code code} from the server), failed ({@code failure}), or could not be
   * opened. Reconnects unless the code says not to. Ignored unless {@code c} is the current connection.
   */
  void connectionLost(Connection c, int code, String reason, Throwable failure) {
    lose(c, code, reason, failure, false);
  }

  /** {@link #connectionLost}, or when {@code attemptOnly} only if {@code c} has not been welcomed yet. */
  private void lose(Connection c, int code, String reason, Throwable failure, boolean attemptOnly) {
    List<Subscription> unconfirmed = new ArrayList<>();
    List<Subscription> ended; // server-side subscriptions: they end with their connection
    List<Request<?>> lostRequests;
    List<Subscription> all = List.of();
    List<Request<?>> waitingRequests = List.of();
    boolean reconnect = CloseCodes.shouldReconnect(code);
    Duration delay = null;
    synchronized (lock) {
      if (c != current || (attemptOnly && state != State.CONNECTING)) {
        return;
      }
      current = null;
      cancelTimers(c);
      maxMessageBytes = Long.MAX_VALUE;
      lostRequests = new ArrayList<>(pending.values());
      pending.clear();
      for (Request<?> r : lostRequests) {
        cancel(r.timeout);
      }
      for (Subscription s : subscribing.values()) {
        unconfirmed.add(s);
      }
      subscribing.clear();
      for (Subscription s : subscriptions.values()) {
        s.phase = Subscription.Phase.PENDING;
        s.sentSince = null;
        s.cancelRetry(); // the next connection renews it
      }
      ended = List.copyOf(serverSubscriptions.values());
      serverSubscriptions.clear();
      if (reconnect) {
        state = State.RECONNECTING;
        failures++;
        delay = backoff.delay(failures);
      } else {
        state = State.CLOSED;
        all = List.copyOf(subscriptions.values());
        waitingRequests = takeAllRequests();
        for (Subscription s : all) {
          s.removed = true; // no handler runs once the client is closed
        }
        for (Subscription s : ended) {
          s.removed = true;
        }
      }
    }
    if (failure != null) {
      c.abort(); // make sure the socket is gone too; after a Close from the server WebSocket answers it
    }
    PushException lost = new PushException(failure == null
        ? "connection closed by the server: " + code + (reason.isEmpty() ? "" : " " + reason)
        : "connection lost: " + failure, failure);
    for (Request<?> r : lostRequests) {
      if (r.replyType.equals("unsubscribed")) {
        r.future.complete(null); // the server forgot the subscription with the connection
      } else {
        r.fail(lost);
      }
    }
    for (Subscription s : unconfirmed) {
      s.subscribed.completeExceptionally(lost);
    }
    for (Subscription s : ended) {
      tellUnsubscribed(s);
    }
    if (reconnect) {
      Duration wait = delay;
      if (failure != null) {
        log.debug("{}: lost ({}); reconnecting in {} ms", c, failure.toString(), wait.toMillis());
      } else {
        log.debug("{}: closed by the server ({} {}); reconnecting in {} ms", c, code, reason, wait.toMillis());
      }
      callbacks.run("onDisconnected", () -> listener.onDisconnected(this, code, reason, failure, wait));
      // Scheduled after the callback was submitted, so that onConnecting cannot overtake onDisconnected.
      ScheduledFuture<?> task = schedule(() -> reconnect(c), wait);
      synchronized (lock) {
        if (state == State.RECONNECTING && current == null) {
          reconnectTask = task;
        } else {
          task.cancel(false);
        }
      }
    } else {
      log.debug("{}: closed by the server with {} {}; not reconnecting", this, code, reason);
      PushException closed = new PushException("the server closed the connection for good: " + code
          + (reason.isEmpty() ? "" : " " + reason));
      for (Subscription s : all) {
        s.subscribed.completeExceptionally(closed);
      }
      for (Request<?> r : waitingRequests) {
        r.fail(closed);
      }
      connected.completeExceptionally(closed);
      callbacks.run("onClosed", () -> listener.onClosed(this, code, reason));
    }
  }

  // --- receiving ---------------------------------------------------------------------------------

  /** A whole text message arrived on {@code c}. Runs on {@code c}'s listener thread. */
  void onFrame(Connection c, String text) {
    JsonObject frame;
    try {
      frame = Frames.parse(text);
    } catch (JsonParseException e) {
      log.warn("{}: ignoring a message that is not JSON: {}", c, e.getMessage());
      return;
    }
    if (frame == null) {
      log.warn("{}: ignoring a message that is not a JSON object", c);
      return;
    }
    if (log.isTraceEnabled()) {
      log.trace("{}: received {}", c, text);
    }
    String type = Frames.string(frame, "type");
    if (type == null) {
      log.warn("{}: ignoring a frame without a type", c);
      return;
    }
    switch (type) {
      case "publication" -> onPublication(c, frame);
      case "welcome" -> onWelcome(c, frame);
      case "subscribed" -> onSubscribed(c, frame);
      case "unsubscribed" -> onUnsubscribed(c, frame);
      case "published", "presence", "refreshed", "rpc" -> onReply(c, frame);
      case "error" -> onError(c, frame);
      case "message" -> onMessage(c, frame);
      case "join" -> onJoinOrLeave(c, frame, true);
      case "leave" -> onJoinOrLeave(c, frame, false);
      default -> log.debug("{}: ignoring a frame of unknown type \"{}\"", c, type);
    }
  }

  private void onWelcome(Connection c, JsonObject frame) {
    String clientId = Objects.requireNonNullElse(Frames.string(frame, "client"), "");
    long protocol = Frames.number(frame, "protocol");
    long maxBytes = Frames.number(frame, "maxMessageBytes");
    long pingMillis = Frames.number(frame, "pingIntervalMs");
    List<Runnable> after = new ArrayList<>();
    synchronized (lock) {
      if (c != current || state != State.CONNECTING) {
        return;
      }
      state = State.CONNECTED;
      attempts = 0;
      failures = 0;
      maxMessageBytes = maxBytes > 0 ? maxBytes : Long.MAX_VALUE;
      cancel(c.attemptTimer);
      c.attemptTimer = null;
      for (Subscription s : List.copyOf(subscriptions.values())) {
        sendSubscribe(c, s, after);
      }
      for (Request<?> r; (r = waiting.poll()) != null; ) {
        send(c, r, after);
      }
    }
    if (protocol != 1) {
      log.warn("{}: the server speaks protocol {}; this client speaks 1", c, protocol);
    }
    if (pingMillis > 0) {
      c.watchForSilence(Connection.silenceLimit(pingMillis));
    } else {
      log.debug("{}: the server tells no ping interval; a dead server goes unnoticed until TCP notices", c);
    }
    log.debug("{}: connected as {}", c, clientId);
    c.flush();
    runAll(after);
    callbacks.run("onOpen", () -> listener.onOpen(this, clientId));
    connected.complete(null);
  }

  private void onPublication(Connection c, JsonObject frame) {
    String channel = Frames.string(frame, "channel");
    long offset = Frames.number(frame, "offset");
    String event = Frames.string(frame, "event");
    if (channel == null || offset < 1 || event == null) {
      log.warn("{}: ignoring a publication without channel, offset or event", c);
      return;
    }
    Subscription s;
    synchronized (lock) {
      if (c != current) {
        return;
      }
      s = subscriptions.get(channel);
      if (s == null) {
        s = serverSubscriptions.get(channel);
      }
      if (s == null || s.phase != Subscription.Phase.ACTIVE) {
        log.debug("{}: ignoring a publication of \"{}\", which has no active subscription", c, channel);
        return;
      }
      StreamPosition last = s.position;
      if (offset <= last.offset()) {
        log.debug("{}: ignoring publication {} of \"{}\": offset {} was delivered already", c, offset, channel,
            last.offset());
        return;
      }
      if (offset != last.offset() + 1) {
        log.debug("{}: \"{}\" jumped from offset {} to {}", c, channel, last.offset(), offset);
      }
      s.position = new StreamPosition(offset, last.epoch());
    }
    Publication publication = new Publication(channel, offset, event, Frames.element(frame, "data"));
    Subscription target = s;
    callbacks.run(s.handlerName, () -> {
      if (!target.removed) {
        target.handler.onPublication(publication);
      }
    });
  }

  private void onSubscribed(Connection c, JsonObject frame) {
    long id = Frames.number(frame, "id");
    String channel = Frames.string(frame, "channel");
    long offset = Frames.number(frame, "offset");
    String epoch = Frames.string(frame, "epoch");
    if (offset < 0 || epoch == null || (id < 0 && channel == null)) {
      log.warn("{}: ignoring a subscribed frame without channel, offset or epoch (id {})", c, id);
      return;
    }
    StreamPosition position = new StreamPosition(offset, epoch);
    if (id < 0) {
      onServerSubscribed(c, channel, position);
      return;
    }
    Subscription s;
    Recovery recovery;
    StreamPosition from;
    synchronized (lock) {
      if (c != current) {
        return;
      }
      s = subscribing.remove(id);
      if (s == null) {
        log.debug("{}: subscribed reply {} for \"{}\" matches no subscription (unsubscribed since)", c, id,
            channel);
        return;
      }
      if (!s.channel.equals(channel) && channel != null) {
        log.warn("{}: the reply to subscribe \"{}\" (id {}) names channel \"{}\"", c, s.channel, id, channel);
      }
      from = s.position;
      recovery = s.subscribed(position, Frames.bool(frame, "recovered"));
      s.phase = Subscription.Phase.ACTIVE;
      s.unavailable = 0;
    }
    switch (recovery) {
      case RECOVERED -> log.debug("{}: resumed \"{}\" from offset {}; {} publications to replay", c, s.channel,
          from.offset(), Math.max(0, offset - from.offset()));
      case NOT_RECOVERED -> log.debug("{}: could not resume \"{}\" from {}: publications were missed; now at {}",
          c, s.channel, from, position);
      case FRESH -> log.debug("{}: subscribed to \"{}\" at {}", c, s.channel, position);
    }
    callbacks.run(s.handlerName, () -> {
      if (!s.removed) {
        s.handler.onSubscribed(s.channel, position, recovery);
      }
    });
    s.subscribed.complete(position);
  }

  /** The host subscribed this connection to {@code channel}: an id-less {@code subscribed}. */
  private void onServerSubscribed(Connection c, String channel, StreamPosition position) {
    if (serverSubscriptionHandler == null) {
      log.debug("{}: the server subscribed this client to \"{}\"; without a server subscription handler its "
          + "publications are ignored", c, channel);
      return;
    }
    Subscription s = Subscription.serverSide(channel, serverSubscriptionHandler);
    Subscription replaced;
    synchronized (lock) {
      if (c != current) {
        return;
      }
      s.subscribed(position, null);
      s.phase = Subscription.Phase.ACTIVE;
      replaced = serverSubscriptions.put(channel, s);
      if (replaced != null) {
        replaced.removed = true; // the server never sends this twice without an unsubscribed between
      }
    }
    log.debug("{}: the server subscribed this client to \"{}\" at {}", c, channel, position);
    callbacks.run(s.handlerName, () -> {
      if (!s.removed) {
        s.handler.onSubscribed(channel, position, Recovery.FRESH);
      }
    });
  }

  private void onUnsubscribed(Connection c, JsonObject frame) {
    long id = Frames.number(frame, "id");
    if (id >= 0) {
      onReply(c, frame);
      return;
    }
    // The host unsubscribed this connection server-side: it ended the subscription, so forget it.
    String channel = Frames.string(frame, "channel");
    Subscription s;
    synchronized (lock) {
      if (c != current || channel == null) {
        return;
      }
      s = subscriptions.get(channel);
      if (s != null && s.phase == Subscription.Phase.ACTIVE) {
        subscriptions.remove(channel);
        s.phase = Subscription.Phase.PENDING;
      } else {
        s = serverSubscriptions.remove(channel);
      }
    }
    if (s == null) {
      log.debug("{}: unsubscribed from \"{}\", which has no active subscription", c, channel);
      return;
    }
    log.debug("{}: the server unsubscribed this client from \"{}\"", c, channel);
    tellUnsubscribed(s);
  }

  /**
   * Tells {@code s}'s handler that the server ended it, after the publications already queued for it,
   * unless the application unsubscribed or closed the client in the meantime.
   */
  private void tellUnsubscribed(Subscription s) {
    callbacks.run(s.handlerName, () -> {
      if (!s.removed && state() != State.CLOSED) {
        s.handler.onUnsubscribed(s.channel);
      }
    });
  }

  /** A success reply to a publish or unsubscribe. */
  private void onReply(Connection c, JsonObject frame) {
    long id = Frames.number(frame, "id");
    String type = Frames.string(frame, "type");
    Request<?> r;
    synchronized (lock) {
      if (c != current) {
        return;
      }
      r = pending.remove(id);
      if (r == null) {
        log.debug("{}: {} reply {} matches no pending request", c, type, id);
        return;
      }
      cancel(r.timeout);
    }
    if (!r.replyType.equals(type)) {
      log.warn("{}: the server answered {} with {}", c, r, type);
      r.fail(new PushException("the server answered " + r.description + " with \"" + type + "\""));
      return;
    }
    r.succeed(frame);
  }

  /** The server says the credentials expired: send fresh ones before it closes the connection. */
  private void refreshToken(Connection c) {
    String token;
    try {
      token = tokens == null ? null : tokens.get();
    } catch (RuntimeException e) {
      log.warn("{}: the token supplier failed; the server will close the connection", c, e);
      return;
    }
    if (token == null || token.isEmpty()) {
      log.warn("{}: the token expired and there is no new one; the server will close the connection", c);
      return;
    }
    Request<Void> request = new Request<>("refresh the token", "refreshed", null,
        id -> Frames.refresh(id, token), reply -> null);
    List<Runnable> after = new ArrayList<>(1);
    synchronized (lock) {
      if (c != current || state != State.CONNECTED) {
        return; // a new connection sends a new token anyway
      }
      startTimeout(request);
      send(c, request, after);
    }
    runAll(after);
    c.flush();
    request.future.whenComplete((ok, failure) -> {
      if (failure != null) {
        log.warn("{}: the server refused the refreshed token; it will close the connection", c, failure);
      } else {
        log.debug("{}: token refreshed", c);
      }
    });
  }

  private void onError(Connection c, JsonObject frame) {
    long id = Frames.number(frame, "id");
    String code = Objects.requireNonNullElse(Frames.string(frame, "code"), "internal");
    String message = Objects.requireNonNullElse(Frames.string(frame, "message"), "");
    if (id < 0) {
      if (code.equals("token_expired")) {
        refreshToken(c);
        return;
      }
      log.warn("{}: the server reported an error about a request it could not identify: {} {}", c, code,
          message);
      return;
    }
    Request<?> r;
    Subscription refused = null;
    boolean alreadyConfirmed = false;
    Duration retryDelay = null;
    int failuresInARow = 0;
    synchronized (lock) {
      if (c != current) {
        return;
      }
      r = pending.remove(id);
      if (r != null) {
        cancel(r.timeout);
      } else {
        refused = subscribing.remove(id);
        if (refused != null) {
          refused.phase = Subscription.Phase.PENDING;
          refused.sentSince = null;
          if (code.equals("unavailable")) { // not made this time: keep it, with its position, and try again
            Subscription s = refused;
            failuresInARow = ++s.unavailable;
            retryDelay = backoff.delay(failuresInARow);
            s.retry = schedule(() -> retrySubscribe(c, s), retryDelay);
          } else {
            subscriptions.remove(refused.channel, refused);
            alreadyConfirmed = refused.subscribed.isDone();
          }
        }
      }
    }
    PushException failure = new PushException(code, message, null);
    if (retryDelay != null) {
      tellSubscribeFailed(c, refused, failure, retryDelay, failuresInARow);
    } else if (r != null) {
      if (r.replyType.equals("unsubscribed") && code.equals("not_subscribed")) {
        r.future.complete(null); // the subscription had been refused: not subscribed is what was asked for
      } else {
        r.fail(failure);
      }
    } else if (refused != null) {
      if (alreadyConfirmed) {
        log.warn("{}: the server refused to renew the subscription to \"{}\" ({}: {}); it is dropped", c,
            refused.channel, code, message);
        tellUnsubscribed(refused); // the application learnt of the subscription: tell it that it ended
      }
      refused.subscribed.completeExceptionally(failure);
    } else {
      log.debug("{}: error reply {} matches no pending request: {} {}", c, id, code, message);
    }
  }

  /** A join or leave event, for a subscription that asked for them: after its publications so far. */
  private void onJoinOrLeave(Connection c, JsonObject frame, boolean join) {
    String channel = Frames.string(frame, "channel");
    ClientInfo who = Presence.client(frame.get("client"));
    if (channel == null || who == null) {
      log.warn("{}: ignoring a join or leave event without channel or client", c);
      return;
    }
    Subscription s;
    synchronized (lock) {
      if (c != current) {
        return;
      }
      s = subscriptions.get(channel);
      if (s == null || s.joinLeave == null || s.phase != Subscription.Phase.ACTIVE) {
        log.debug("{}: ignoring a join or leave event of \"{}\", which has no active subscription asking for "
            + "them", c, channel);
        return;
      }
    }
    callbacks.run("the join/leave listener of \"" + channel + "\"", () -> {
      if (!s.removed) {
        if (join) {
          s.joinLeave.onJoin(channel, who);
        } else {
          s.joinLeave.onLeave(channel, who);
        }
      }
    });
  }

  /** After an {@code unavailable} reply: logs it once per run of failures and tells the handler. */
  private void tellSubscribeFailed(Connection c, Subscription s, PushException failure, Duration retryDelay,
      int failuresInARow) {
    if (failuresInARow == 1) {
      log.warn("{}: the server cannot subscribe to \"{}\" now ({}); retrying with backoff, first in {} ms", c,
          s.channel, failure.getMessage(), retryDelay.toMillis());
    } else {
      log.debug("{}: subscribe to \"{}\" failed {} times in a row ({}); retrying in {} ms", c, s.channel,
          failuresInARow, failure.code(), retryDelay.toMillis());
    }
    callbacks.run(s.handlerName, () -> {
      if (!s.removed) {
        s.handler.onSubscribeFailed(s.channel, failure, retryDelay);
      }
    });
  }

  /**
   * An {@code unavailable} reply's retry is due: subscribes {@code s} again on {@code c}, unless it is gone
   * or {@code c} is no longer the current connection (a new connection renews every subscription anyway).
   */
  private void retrySubscribe(Connection c, Subscription s) {
    List<Runnable> after = new ArrayList<>(0);
    synchronized (lock) {
      if (c != current || state != State.CONNECTED || subscriptions.get(s.channel) != s
          || s.phase != Subscription.Phase.PENDING) {
        return;
      }
      s.retry = null;
      sendSubscribe(c, s, after);
    }
    runAll(after);
    c.flush();
  }

  private void onMessage(Connection c, JsonObject frame) {
    String event = Frames.string(frame, "event");
    if (event == null) {
      log.warn("{}: ignoring a message frame without event", c);
      return;
    }
    synchronized (lock) {
      if (c != current) {
        return;
      }
    }
    JsonElement data = Frames.element(frame, "data");
    callbacks.run("onMessage", () -> listener.onMessage(this, event, data));
  }

  // --- sending (callers hold lock; they flush the connection after releasing it) -----------------

  /**
   * Sends {@code s}'s subscribe request, resuming from its position if it has one, or, if the server would
   * refuse it for its size (and close the connection with 1009, again after every reconnect), forgets
   * {@code s} and fails its future.
   */
  private void sendSubscribe(Connection c, Subscription s, List<Runnable> after) {
    long id = ++lastRequestId;
    String text = Frames.subscribe(id, s.channel, s.position, s.history, s.joinLeave != null);
    PushException tooBig = Frames.oversize(text, "subscribe to a channel", maxMessageBytes);
    if (tooBig != null) {
      subscriptions.remove(s.channel, s);
      s.removed = true;
      after.add(() -> s.subscribed.completeExceptionally(tooBig));
      return;
    }
    s.requestId = id;
    s.sentSince = s.position;
    s.phase = Subscription.Phase.SENT;
    subscribing.put(id, s);
    c.enqueue(text);
  }

  /** Sends {@code r}, or adds failing it to {@code after}. */
  private void send(Connection c, Request<?> r, List<Runnable> after) {
    if (r.future.isDone()) {
      cancel(r.timeout); // timed out or cancelled while waiting for the connection
      return;
    }
    long id = ++lastRequestId;
    String text = r.encode(id);
    PushException refused = Frames.oversize(text, r.description, maxMessageBytes);
    if (refused == null && !c.hasRoomFor(text.length())) {
      refused = new PushException("cannot " + r.description + ": over " + Connection.MAX_OUTBOX_CHARS
          + " chars are queued for sending already");
    }
    if (refused != null) {
      cancel(r.timeout);
      PushException failure = refused;
      after.add(() -> r.fail(failure));
      return;
    }
    r.id = id;
    pending.put(id, r);
    c.enqueue(text);
  }

  private void startTimeout(Request<?> r) {
    r.timeout = schedule(() -> requestTimedOut(r), requestTimeout);
  }

  private void requestTimedOut(Request<?> r) {
    synchronized (lock) {
      if (r.id >= 0) {
        pending.remove(r.id, r);
      } else {
        waiting.remove(r);
      }
    }
    r.fail(timeoutException(r.description));
  }

  /** Removes every request, sent or waiting, cancelling their timeouts. */
  private List<Request<?>> takeAllRequests() {
    List<Request<?>> all = new ArrayList<>(pending.values());
    all.addAll(waiting);
    pending.clear();
    waiting.clear();
    for (Request<?> r : all) {
      cancel(r.timeout);
    }
    return all;
  }

  private void cancelTimers(Connection c) {
    if (reconnectTask != null) {
      reconnectTask.cancel(false);
      reconnectTask = null;
    }
    if (c != null) {
      cancel(c.attemptTimer);
      c.attemptTimer = null;
    }
  }

  // --- helpers -----------------------------------------------------------------------------------

  private ScheduledFuture<?> schedule(Runnable task, Duration delay) {
    return timer.schedule(task, nanos(delay), TimeUnit.NANOSECONDS);
  }

  /** {@code d} in nanoseconds, saturated: about 292 years is as good as forever here. */
  static long nanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  private static void cancel(ScheduledFuture<?> task) {
    if (task != null) {
      task.cancel(false);
    }
  }

  private static void runAll(List<Runnable> tasks) {
    for (Runnable task : tasks) {
      task.run();
    }
  }

  private PushException timeoutException(String what) {
    return new PushException("no reply to " + what + " within " + requestTimeout.toMillis() + " ms",
        new TimeoutException());
  }

  private PushException closedException() {
    return new PushException("the client is closed");
  }

  static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  // --- public nested types -----------------------------------------------------------------------

  /** Where a client stands. See "Lifecycle" on {@link PushClient}. */
  public enum State {
    /** Built; {@link PushClient#connect()} not called yet. */
    NEW,
    /** Opening a connection, until the server's {@code welcome}. */
    CONNECTING,
    /** Connected: subscriptions are active, requests go out at once. */
    CONNECTED,
    /** The connection dropped or could not be opened; waiting for the backoff delay to try again. */
    RECONNECTING,
    /** Closed for good, by {@link PushClient#close()} or by the server. */
    CLOSED
  }

  /**
   * How reconnect delays are spread. After {@code n} consecutive failures the ceiling is
   * {@code min(maxDelay, initialDelay * 2^(n-1))}.
   */
  public enum Jitter {
    /** Uniformly random between half the ceiling and the ceiling. The default. */
    EQUAL,
    /** Uniformly random between zero and the ceiling: spreads best, but may retry at once. */
    FULL
  }

  /**
   * A position in a channel's stream: an offset, meaningful only together with the epoch of the stream
   * it belongs to (a server restart starts a new epoch, whose offsets start again from 0).
   *
   * @param offset the offset of a publication, or 0 for the start of the stream
   * @param epoch the stream's epoch
   */
  public record StreamPosition(long offset, String epoch) {
    public StreamPosition {
      Objects.requireNonNull(epoch, "epoch");
      if (offset < 0) {
        throw new IllegalArgumentException("offset is " + offset + "; it must be >= 0");
      }
    }
  }

  /**
   * Whether a subscription that just took effect continues the stream its handler saw before. Told to
   * {@link SubscriptionHandler#onSubscribed} each time a subscription takes effect: once at first, then
   * after every reconnect. Anything but {@link #RECOVERED} means the handler's state must be (re)loaded.
   */
  public enum Recovery {
    /**
     * A fresh start, with nothing to resume from: the first time the subscription takes effect (or the
     * first after attempts whose reply never came). Publications after the given position follow (after up
     * to {@link SubscribeOptions#history} earlier ones, if asked). Load the state the publications apply
     * to. Server-side subscriptions are always fresh.
     */
    FRESH,
    /**
     * Resumed without a gap: the server replays every publication after the last one this handler was
     * given, then live ones. Nothing was missed; nothing is delivered twice.
     */
    RECOVERED,
    /**
     * Resumed with a gap: publications after the last one this handler was given were missed, because the
     * server no longer has them (channel history off or too short) or its stream started again (a new
     * epoch, for example after a server restart). Delivery goes on after the given position (after up to
     * {@link SubscribeOptions#history} earlier publications, if asked). Reload the state.
     */
    NOT_RECOVERED
  }

  /**
   * How to subscribe, beyond the channel and the handler.
   *
   * @param history how many of the channel's latest publications the server replays each time the
   *     subscription starts without continuity ({@link Recovery#FRESH} or {@link Recovery#NOT_RECOVERED});
   *     at most as many as the server keeps in the channel's history. 0 (the default) to 1,000,000.
   * @param joinLeave hears who joins and leaves the channel (see {@link PresenceListener}); null (the
   *     default) for no join and leave events
   *
   * <p>Immutable; thread-safe.
   */
  public record SubscribeOptions(int history, PresenceListener joinLeave) {

    /** No history, no join and leave events. */
    public static final SubscribeOptions DEFAULT = new SubscribeOptions(0, null);

    public SubscribeOptions {
      if (history < 0 || history > 1_000_000) {
        throw new IllegalArgumentException("history is " + history + "; it must be 0..1000000");
      }
    }

    /** Options with {@code history} and no join and leave events. */
    public SubscribeOptions(int history) {
      this(history, null);
    }

    /** A copy asking for the last {@code count} publications; see {@link #history}. */
    public SubscribeOptions withHistory(int count) {
      return new SubscribeOptions(count, joinLeave);
    }

    /**
     * A copy asking for the channel's join and leave events ({@code "joinLeave":true} on the wire, on
     * every renewal too), which go to {@code listener}. Only a channel the server keeps presence for has
     * them ({@code ChannelOptions.withPresence(true)}); for another, none come.
     */
    public SubscribeOptions withJoinLeave(PresenceListener listener) {
      return new SubscribeOptions(history, Objects.requireNonNull(listener, "listener"));
    }
  }

  /**
   * Hears who joins and leaves a channel: give one to {@link SubscribeOptions#withJoinLeave}.
   *
   * <pre>{@code
   * client.subscribe("room:lobby", SubscribeOptions.DEFAULT.withJoinLeave(new PresenceListener() {
   *   @Override
   *   public void onJoin(String channel, ClientInfo client) {
   *     members.put(client.clientId(), client);
   *   }
   *
   *   @Override
   *   public void onLeave(String channel, ClientInfo client) {
   *     members.remove(client.clientId());
   *   }
   * }), handler);
   * }</pre>
   *
   * A client
   * joins when its subscription becomes live and leaves when it unsubscribes or disconnects, on any node
   * of the deployment; this client hears its own join too. A client whose node died leaves no event: it
   * drops out of {@link PushClient#presence} after the server's presence TTL.
   *
   * <p>The events are not part of the channel's stream: they have no offset, are not kept in history and
   * are not replayed after a reconnect, so events while this client was away are missed. Read
   * {@link PushClient#presence} whenever the subscription takes effect
   * ({@link SubscriptionHandler#onSubscribed}) for the current list, then apply the events.
   *
   * <p>Calls run like the subscription's handler: one at a time per client, on the threads described
   * under "Threading" on {@link PushClient}, in the order the server sent them among the channel's
   * publications, only while the subscription is active, and never once {@link PushClient#unsubscribe}
   * (for that channel) or {@link PushClient#close()} returned. They must not block; one that throws is
   * logged at WARN and the client carries on. Every method has an empty default.
   */
  public interface PresenceListener {

    /** {@code client} subscribed to {@code channel}. */
    default void onJoin(String channel, ClientInfo client) {}

    /** {@code client} unsubscribed from {@code channel}, or disconnected. */
    default void onLeave(String channel, ClientInfo client) {}
  }

  /**
   * Receives one subscription's publications and hears when it takes effect. Give one to
   * {@link PushClient#subscribe(String, SubscriptionHandler)}, or to
   * {@link Builder#serverSubscriptionHandler} for the channels the server subscribes the client to.
   *
   * <p>For one subscription, calls come in order: {@code onSubscribed}, then publications in offset order,
   * and after a reconnect {@code onSubscribed} again, then publications again. Both methods are abstract,
   * so that a handler decides what a gap means for it (see the example on {@link PushClient}); for the
   * publications alone, use {@link PushClient#subscribe(String, Consumer)}.
   *
   * <p>None is called once {@link PushClient#unsubscribe} (for that channel) or {@link PushClient#close()}
   * returned, except one under way. One that throws is logged at WARN and the client carries on.
   *
   * <p>Callbacks run one at a time per client, on the threads described under "Threading" on
   * {@link PushClient}, and must not block.
   */
  public interface SubscriptionHandler {

    /**
     * The subscription took effect on the current connection.
     *
     * @param position the channel's position on the server at that moment: publications up to
     *     {@code position.offset()} that this handler has not had yet (a replay, or history) come first,
     *     then later ones
     * @param recovery whether the stream continues where this handler left off; anything but
     *     {@link Recovery#RECOVERED} means the handler's state must be (re)loaded
     */
    void onSubscribed(String channel, StreamPosition position, Recovery recovery);

    /** One publication of the channel; offsets grow within an epoch, and none comes twice. */
    void onPublication(Publication publication);

    /**
     * The server ended the subscription: its host unsubscribed the client, or it refused to renew the
     * subscription after a reconnect; for a server-side subscription, also when its connection is lost
     * (the server's host decides whether the next connection is subscribed again). Comes after the
     * publications delivered before it. Not called after {@link PushClient#unsubscribe} or
     * {@link PushClient#close()}. Default: nothing.
     */
    default void onUnsubscribed(String channel) {}

    /**
     * The server could not make the subscription this time, when it was first asked or when it was renewed
     * after a reconnect: {@code failure}'s {@link PushException#code() code} is {@code unavailable} (the
     * server's broker, for example Redis, failed). The subscription is not dropped: the client keeps it
     * and its position and asks again after {@code retryDelay} (the reconnect backoff, growing with each
     * failure in a row), and again, until the server takes it, the application unsubscribes, or the client
     * is closed. Meanwhile no publications come; once it is taken, {@code onSubscribed} tells whether what
     * was published in between is replayed ({@link Recovery#RECOVERED}). The client logs the first failure
     * in a row at WARN, the next ones at DEBUG. Default: nothing.
     *
     * @param retryDelay how long until the client asks again
     */
    default void onSubscribeFailed(String channel, PushException failure, Duration retryDelay) {}
  }

  /**
   * Hears what happens to a client: the state transitions (exactly one callback per transition) and
   * {@code message} frames the server sent to this client only. Every method has an empty default.
   *
   * <p>Callbacks run one at a time per client, in order, on the threads described under "Threading" on
   * {@link PushClient}, and must not block. One that throws is logged at WARN and the client carries on.
   */
  public interface Listener {

    /**
     * The client is opening a connection: state {@link State#CONNECTING}.
     *
     * @param attempt 1 for the first try after {@link PushClient#connect()} or after losing an
     *     established connection, then 2, 3, ... while tries fail
     */
    default void onConnecting(PushClient client, int attempt) {}

    /**
     * The server welcomed the client: state {@link State#CONNECTED}. Subscriptions are being renewed.
     *
     * @param connectionId the id the server gave this connection
     */
    default void onOpen(PushClient client, String connectionId) {}

    /**
     * An event the server's host application sent to this client only ({@code ClientConnection.send}).
     *
     * @param data the payload ({@code JsonNull} when there was none)
     */
    default void onMessage(PushClient client, String event, JsonElement data) {}

    /**
     * The connection dropped, or an attempt failed, and the client will try again after
     * {@code reconnectDelay}: state {@link State#RECONNECTING}.
     *
     * @param code the server's close code, or 1006 when the connection ended without one (network
     *     failure, refused connection, timeout)
     * @param reason the server's close reason, or empty
     * @param failure what went wrong locally, or null when the server closed the connection
     */
    default void onDisconnected(PushClient client, int code, String reason, Throwable failure,
        Duration reconnectDelay) {}

    /**
     * The client stopped for good: state {@link State#CLOSED}. Called once.
     *
     * @param code 1000 when the application called {@link PushClient#close()}; otherwise the server's
     *     close code that means "do not reconnect" (3500..3999, 4500..4999)
     */
    default void onClosed(PushClient client, int code, String reason) {}
  }

  /**
   * Configures a {@link PushClient}. Each setter checks its argument at once; {@link #build()} checks
   * that the URI was set.
   *
   * <table>
   *   <caption>Settings</caption>
   *   <tr><th>setting</th><th>default</th></tr>
   *   <tr><td>{@link #uri}</td><td>none: required</td></tr>
   *   <tr><td>{@link #listener}</td><td>none</td></tr>
   *   <tr><td>{@link #serverSubscriptionHandler}</td><td>none: publications of server-side subscriptions
   *       are ignored</td></tr>
   *   <tr><td>{@link #requestTimeout}</td><td>10 s</td></tr>
   *   <tr><td>{@link #connectTimeout}</td><td>10 s</td></tr>
   *   <tr><td>{@link #reconnectDelay}</td><td>500 ms initial, 30 s max</td></tr>
   *   <tr><td>{@link #reconnectJitter}</td><td>{@link Jitter#EQUAL}</td></tr>
   *   <tr><td>{@link #httpClient}</td><td>one shared by every client in the JVM</td></tr>
   * </table>
   *
   * <p>Not thread-safe; confine to one thread.
   */
  public static final class Builder {
    private URI uri;
    private HttpClient httpClient;
    private Duration requestTimeout = Duration.ofSeconds(10);
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration initialDelay = Duration.ofMillis(500);
    private Duration maxDelay = Duration.ofSeconds(30);
    private Jitter jitter = Jitter.EQUAL;
    private DoubleSupplier random = Backoff.DEFAULT_RANDOM;
    private Listener listener = new Listener() {};
    private SubscriptionHandler serverSubscriptionHandler;
    private java.util.function.Supplier<String> tokens;

    private Builder() {}

    /**
     * Credentials for a server with an authenticator. {@code tokens} is asked before every connection
     * attempt (the token goes in an {@code Authorization: Bearer} header) and again when the server says
     * the token expired (it goes in a {@code refresh} message). It runs on the client's threads: return a
     * cached token, don't block on a login. Default: none.
     */
    public Builder token(java.util.function.Supplier<String> tokens) {
      this.tokens = Objects.requireNonNull(tokens, "tokens");
      return this;
    }

    /**
     * The server's WebSocket endpoint, for example {@code ws://localhost:8025/pushline}.
     *
     * @throws IllegalArgumentException unless it is an absolute {@code ws} or {@code wss} URI with a
     *     host and no fragment
     */
    public Builder uri(URI uri) {
      Objects.requireNonNull(uri, "uri");
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("ws") && !scheme.equals("wss")) {
        throw new IllegalArgumentException("uri is \"" + uri + "\"; its scheme must be ws or wss");
      }
      if (uri.getHost() == null) {
        throw new IllegalArgumentException("uri is \"" + uri + "\"; it has no host");
      }
      if (uri.getRawFragment() != null) {
        throw new IllegalArgumentException("uri is \"" + uri + "\"; a WebSocket URI has no fragment");
      }
      this.uri = uri;
      return this;
    }

    /**
     * The server's WebSocket endpoint as a string.
     *
     * @throws IllegalArgumentException if it is not a URI, or not one {@link #uri(URI)} accepts
     */
    public Builder uri(String uri) {
      Objects.requireNonNull(uri, "uri");
      try {
        return uri(new URI(uri));
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException("uri is \"" + uri + "\"; " + e.getMessage(), e);
      }
    }

    /**
     * The HttpClient that opens and runs the connection; its executor runs the client's callbacks. Default:
     * one HttpClient shared by every client in the JVM, with daemon threads, at most one per core. Several
     * clients may share one HttpClient, and should.
     */
    public Builder httpClient(HttpClient httpClient) {
      this.httpClient = Objects.requireNonNull(httpClient, "httpClient");
      return this;
    }

    /**
     * How long a request ({@code subscribe}, {@code unsubscribe}, {@code publish}, {@code presence},
     * {@code rpc}) may wait for its reply, counted from the call, connected or not. Also how long the client
     * waits for the server to answer its Close frame after {@link PushClient#close()}. Default 10 s.
     */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = positive(timeout, "requestTimeout");
      return this;
    }

    /**
     * How long one attempt to connect may take, from the start to the server's {@code welcome} (TCP, TLS,
     * WebSocket upgrade, welcome). An attempt that takes longer is abandoned and retried after the
     * backoff delay. Default 10 s.
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    private static Duration positive(Duration timeout, String name) {
      Objects.requireNonNull(timeout, name);
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException(name + " is " + timeout + "; it must be > 0");
      }
      return timeout;
    }

    /**
     * The reconnect backoff: after {@code n} consecutive failures the client waits up to
     * {@code min(max, initial * 2^(n-1))}, spread by the {@link #reconnectJitter jitter}. A welcome from
     * the server resets {@code n}. Default 500 ms and 30 s.
     */
    public Builder reconnectDelay(Duration initial, Duration max) {
      Objects.requireNonNull(initial, "initial reconnect delay");
      Objects.requireNonNull(max, "max reconnect delay");
      if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
        throw new IllegalArgumentException(
            "reconnect delays are " + initial + " and " + max + "; they must be 0 < initial <= max");
      }
      this.initialDelay = initial;
      this.maxDelay = max;
      return this;
    }

    /** How reconnect delays are spread. Default {@link Jitter#EQUAL}. */
    public Builder reconnectJitter(Jitter jitter) {
      this.jitter = Objects.requireNonNull(jitter, "reconnectJitter");
      return this;
    }

    /** For tests: the random source of the jitter, values in {@code [0, 1)}. */
    Builder random(DoubleSupplier random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /** Hears state transitions and {@code message} frames. Default: none. */
    public Builder listener(Listener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Receives the channels the server's host subscribes this client to with
     * {@code channel.subscribe(connection)}, for as long as each lasts: {@code onSubscribed} (always
     * {@link Recovery#FRESH}: the client cannot resume what the server subscribed), the publications, and
     * {@code onUnsubscribed} when the host unsubscribes the client or the connection is lost. One handler
     * for all such channels. Default: none, and their publications are ignored.
     */
    public Builder serverSubscriptionHandler(SubscriptionHandler handler) {
      this.serverSubscriptionHandler = Objects.requireNonNull(handler, "serverSubscriptionHandler");
      return this;
    }

    /**
     * A new client in state {@link State#NEW}, not connected yet.
     *
     * @throws IllegalStateException if no URI was set
     */
    public PushClient build() {
      if (uri == null) {
        throw new IllegalStateException("uri is not set; call uri(\"ws://host:port/pushline\")");
      }
      return new PushClient(this);
    }
  }
}
