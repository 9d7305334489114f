package dev.pushline;

import dev.pushline.auth.Authenticator;
import dev.pushline.broker.Broker;
import dev.pushline.broker.MemoryBroker;
import dev.pushline.auth.ChannelAuthorizer;
import dev.pushline.auth.Principal;
import dev.pushline.internal.Engine;
import dev.pushline.internal.http.HttpFeature;
import dev.pushline.internal.http.HttpLimits;
import dev.pushline.internal.http.HttpSide;
import dev.pushline.internal.EngineConfig;
import dev.pushline.internal.RpcConfig;
import dev.pushline.internal.SecurityConfig;
import dev.pushline.internal.stomp.ProtocolRouter;
import dev.pushline.internal.stomp.StompSupport;
import dev.pushline.transport.Transport;
import dev.pushline.transport.TransportSettings;
import dev.pushline.transport.websocket.WebSocketTransport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A push endpoint running inside the host application.
 *
 * <pre>{@code
 * PushServer server = PushServer.builder().port(8025).build().start();
 * Channel logs = server.channel("logs");
 * logs.publish("line", "service started");
 * ...
 * server.close();
 * }</pre>
 *
 * <h2>Lifecycle</h2>
 * A server is built, started once, and closed once. {@link #start()} returns once the socket is bound and
 * throws {@link PushException} if it cannot bind. {@link #close()} closes every connection with
 * {@link CloseCodes#GOING_AWAY}, frees the port, and ends every thread the server started before it returns.
 *
 * <p>Thread-safe.
 */
public final class PushServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PushServer.class);

  private enum State { NEW, STARTED, CLOSED }

  private final TransportSettings settings;
  private final Transport transport;
  private final Engine engine;
  private final HttpSide http; // null when the HTTP side is off
  private final StompSupport stomp;
  private final Object lock = new Object();
  private State state = State.NEW; // guarded by lock
  private InetSocketAddress address; // guarded by lock
  private InetSocketAddress httpAddress; // guarded by lock

  private PushServer(Builder b) {
    this.settings = new TransportSettings(b.host, b.port, b.path, b.maxMessageBytes, b.handshakeTimeout,
        b.pingInterval, b.maxHandshakeBytes, b.maxConnections, b.maxConnectionsPerAddress, b.tls);
    this.transport = b.transport != null ? b.transport : WebSocketTransport.create();
    this.engine = new Engine(new EngineConfig(b.maxMessageBytes, b.maxSubscriptionsPerConnection,
        b.clientPublish, b.callbackThreads, b.connectionListener, b.channelOptions, b.namespaceOptions,
        b.clock, b.pingInterval, b.maxQueuedBytes,
        new SecurityConfig(b.authenticator, b.authorizer, b.allowedOrigins, b.connectTimeout,
            b.tokenExpiryGrace, b.messagesPerSecond, b.messageBurst, b.maxChannelNameLength),
        b.broker != null ? b.broker : new MemoryBroker(b.clock), b.presenceTtl,
        new RpcConfig(b.rpcHandlers, b.rpcTimeout, RpcConfig.MAX_IN_FLIGHT)), transport);
    this.stomp = new StompSupport(b.pingInterval, b.maxMessageBytes);
    this.http = b.httpPort < 0 ? null : new HttpSide(b.host, b.httpPort, b.tls, b.handshakeTimeout,
        // Past the features' own I/O limits (request bodies: handshakeTimeout for the API, pingInterval for
        // SockJS), so that those answer first; this one catches what they do not bound.
        (b.handshakeTimeout.compareTo(b.pingInterval) > 0 ? b.handshakeTimeout : b.pingInterval)
            .plusSeconds(1),
        httpFeatures(b));
  }

  /** What the HTTP side serves, each under its own path prefix. */
  private java.util.List<HttpFeature> httpFeatures(Builder b) {
    java.util.List<HttpFeature> features = new java.util.ArrayList<>();
    HttpLimits limits = new HttpLimits(b.maxConnections, b.maxConnectionsPerAddress); // SockJS + SSE sessions
    features.add(new dev.pushline.internal.http.sse.SseFeature(engine, limits, b.pingInterval, b.maxChannelNameLength));
    if (!b.apiKeys.isEmpty()) { // no key, no API: /api answers 404
      features.add(new dev.pushline.internal.http.api.ApiFeature(new dev.pushline.internal.HostChannels(engine),
          java.util.List.copyOf(b.apiKeys), b.apiPerSecond, b.apiBurst, b.clock, b.maxMessageBytes,
          b.handshakeTimeout));
    }
    features.add(new dev.pushline.internal.http.sockjs.SockJsFeature("/sockjs", engine, engine::onOpen, limits,
        dev.pushline.internal.http.sockjs.SockJsSettings.of(b.maxMessageBytes, b.pingInterval, b.clock)));
    features.add(new dev.pushline.internal.http.sockjs.SockJsFeature("/stomp", engine,
        session -> dev.pushline.internal.stomp.StompAdapter.open(session,
            dev.pushline.internal.http.sockjs.SockJsFeature::prepare, engine, stomp), limits,
        dev.pushline.internal.http.sockjs.SockJsSettings.of(b.maxMessageBytes, b.pingInterval, b.clock)));
    features.addAll(dev.pushline.internal.http.ScriptFeature.all()); // /pushline.js, .global.js, .d.ts
    return features;
  }

  /** A builder with every setting at its default. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Binds the socket and starts accepting connections.
   *
   * @return this server
   * @throws PushException if the address cannot be bound or the broker cannot be reached
   *     ({@link dev.pushline.broker.BrokerException})
   * @throws IllegalStateException if the server was started or closed before
   */
  public PushServer start() {
    synchronized (lock) {
      if (state != State.NEW) {
        throw new IllegalStateException("the server can be started once; it is " + state);
      }
      log.debug("starting with {}", settings);
      try {
        engine.startBroker(); // before the first connection: subscribes need it
        address = transport.start(settings, new ProtocolRouter(engine, transport::prepare, stomp));
        if (http != null) {
          httpAddress = http.start();
        }
      } catch (IOException | RuntimeException e) {
        state = State.CLOSED;
        transport.close(CloseCodes.GOING_AWAY, "server failed to start");
        stomp.close();
        engine.close();
        throw new PushException("cannot start on " + settings.host() + ":" + settings.port()
            + ": " + e.getMessage(), e);
      }
      engine.start();
      state = State.STARTED;
      log.info("pushline listening on {}://{}:{}{}", settings.tls() == null ? "ws" : "wss", settings.host(),
          address.getPort(), settings.path());
      if (httpAddress != null) {
        log.info("pushline HTTP side on {}://{}:{}", settings.tls() == null ? "http" : "https", settings.host(),
            httpAddress.getPort());
      }
      return this;
    }
  }

  /**
   * The bound port; the real one when the builder was given port 0.
   *
   * @throws IllegalStateException if the server is not started
   */
  public int port() {
    synchronized (lock) {
      if (state != State.STARTED) {
        throw new IllegalStateException("the server is " + state + "; port() needs a started server");
      }
      return address.getPort();
    }
  }

  /**
   * The bound port of the HTTP side (SockJS, Server-Sent Events, the HTTP API, the browser script); the
   * real one when the builder was given {@code httpPort(0)}.
   *
   * @throws IllegalStateException if the server is not started or has no HTTP side
   */
  public int httpPort() {
    synchronized (lock) {
      if (state != State.STARTED) {
        throw new IllegalStateException("the server is " + state + "; httpPort() needs a started server");
      }
      if (httpAddress == null) {
        throw new IllegalStateException("the HTTP side is off; turn it on with Builder.httpPort");
      }
      return httpAddress.getPort();
    }
  }

  /** The path clients connect to, as configured. */
  public String path() {
    return settings.path();
  }

  /**
   * A handle on the channel named {@code name}: cheap, and equal to every other handle of that name. The
   * stream itself lives in the broker (see {@link Channel}).
   *
   * @throws IllegalArgumentException if {@code name} breaks the channel naming rule (1 to 255 characters:
   *     letters, digits and {@code _ - . : @ / = $ ~ +})
   */
  public Channel channel(String name) {
    return engine.channel(name);
  }

  /** The engine, for tests in this package that drive its periodic work by hand. */
  Engine engine() {
    return engine;
  }

  /**
   * A snapshot of the server's counters: connections, subscriptions, publications, deliveries, bytes,
   * errors by code, queue sizes and more (see {@link ServerStats}). Cheap enough to call on every metrics
   * scrape: it reads each counter once and each connection's queue size once.
   */
  public ServerStats stats() {
    return engine.stats();
  }

  /** Remote clients connected right now. */
  public int connectionCount() {
    return engine.connectionCount();
  }

  /**
   * The open connection whose id is {@code id} (the id the client got in its {@code welcome}), for example
   * to switch on {@link ClientConnection#traceProtocol} for the client a user reports trouble with.
   *
   * @return empty when no open connection has that id
   */
  public Optional<ClientConnection> connection(String id) {
    Objects.requireNonNull(id, "id");
    return Optional.ofNullable(engine.connection(id));
  }

  /**
   * A snapshot of the open connections (those that authenticated), for example to find the clients with
   * the largest {@link ClientConnection#queuedBytes()}. Costs O(connections); the list does not change
   * afterwards.
   */
  public java.util.List<ClientConnection> connections() {
    return engine.connections();
  }

  /**
   * Shuts the server down gracefully: from now on {@link Channel#publish} throws
   * {@link IllegalStateException}; every connection is sent everything published before, then closed with
   * {@link CloseCodes#GOING_AWAY}, which tells clients to reconnect (elsewhere) and resume; a client that
   * does not read its queue within 5 s is dropped. Then it stops accepting, frees the port and ends every
   * thread the server started. Idempotent.
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (state == State.CLOSED) {
        return;
      }
      boolean started = state == State.STARTED;
      state = State.CLOSED;
      if (started) {
        engine.stop(); // no publication after this point; all before it are queued ahead of the close frame
        if (http != null) {
          http.close();
        }
        transport.close(CloseCodes.GOING_AWAY, "server shutting down");
      }
      stomp.close();
      engine.close();
      log.info("pushline closed");
    }
  }

  /**
   * Configures a {@link PushServer}. Each setter checks its argument at once.
   *
   * <p>Not thread-safe; confine to one thread.
   */
  public static final class Builder {
    private String host = "0.0.0.0";
    private int port = 8025;
    private int httpPort = -1;
    private String path = "/pushline";
    private int maxMessageBytes = 64 * 1024;
    private int maxSubscriptionsPerConnection = 1024;
    private Duration handshakeTimeout = Duration.ofSeconds(10);
    private Duration pingInterval = Duration.ofSeconds(25);
    private javax.net.ssl.SSLContext tls;
    private int maxConnections = TransportSettings.DEFAULT_MAX_CONNECTIONS;
    private int maxConnectionsPerAddress = TransportSettings.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
    private int maxHandshakeBytes = TransportSettings.DEFAULT_MAX_HANDSHAKE_BYTES;
    private long maxQueuedBytes = 1024 * 1024;
    private ChannelOptions channelOptions = ChannelOptions.DEFAULT;
    private final java.util.Map<String, ChannelOptions> namespaceOptions = new java.util.HashMap<>();
    private java.time.Clock clock = java.time.Clock.systemUTC();
    private boolean clientPublish;
    private int callbackThreads = 2;
    private Transport transport;
    private ConnectionListener connectionListener = new ConnectionListener() {};
    private Authenticator authenticator;
    private ChannelAuthorizer authorizer = ChannelAuthorizer.DEFAULT;
    private java.util.Set<String> allowedOrigins = java.util.Set.of();
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration tokenExpiryGrace = Duration.ofSeconds(10);
    private int messagesPerSecond = 100;
    private int messageBurst = 1_000;
    private int maxChannelNameLength = 255;
    private Broker broker;
    private Duration presenceTtl = Duration.ofSeconds(30);
    private final java.util.Map<String, RpcHandler> rpcHandlers = new java.util.HashMap<>();
    private Duration rpcTimeout = Duration.ofSeconds(30);
    private final java.util.Set<String> apiKeys = new java.util.LinkedHashSet<>();
    private int apiPerSecond = 1_000;
    private int apiBurst = 1_000;

    private Builder() {}

    /** The interface to bind. Default {@code "0.0.0.0"} (all interfaces). */
    public Builder host(String host) {
      Objects.requireNonNull(host, "host");
      if (host.isBlank()) {
        throw new IllegalArgumentException("host is blank");
      }
      this.host = host;
      return this;
    }

    /** The port to bind; 0 picks any free port (read it with {@link PushServer#port()}). Default 8025. */
    public Builder port(int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port is " + port + "; it must be 0..65535");
      }
      this.port = port;
      return this;
    }

    /**
     * Turns on the HTTP side on {@code port} (0 picks a free one; read it with {@link PushServer#httpPort()}):
     * one JDK HTTP server, on the same interface and with the same TLS as the WebSocket port, serving SockJS,
     * Server-Sent Events, the HTTP API and the browser script. Default: off.
     */
    public Builder httpPort(int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("httpPort is " + port + "; it must be 0..65535");
      }
      this.httpPort = port;
      return this;
    }

    /** The request path clients connect to. Default {@code "/pushline"}. */
    public Builder path(String path) {
      Objects.requireNonNull(path, "path");
      if (!path.startsWith("/") || path.contains("?") || path.contains("#") || path.contains(" ")) {
        throw new IllegalArgumentException(
            "path is \"" + path + "\"; it must start with / and hold no ?, # or space");
      }
      this.path = path;
      return this;
    }

    /**
     * The largest message a client may send, in bytes, counting all fragments of a message. Larger ones
     * close the connection with 1009. Default 65,536; at most 16 MiB.
     */
    public Builder maxMessageBytes(int maxMessageBytes) {
      if (maxMessageBytes < 256 || maxMessageBytes > 16 * 1024 * 1024) {
        throw new IllegalArgumentException(
            "maxMessageBytes is " + maxMessageBytes + "; it must be 256..16777216");
      }
      this.maxMessageBytes = maxMessageBytes;
      return this;
    }

    /** How many channels one connection may be subscribed to at once. Default 1,024. */
    public Builder maxSubscriptionsPerConnection(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxSubscriptionsPerConnection is " + max + "; it must be >= 1");
      }
      this.maxSubscriptionsPerConnection = max;
      return this;
    }

    /**
     * How long a socket may take from accept to a finished WebSocket upgrade. On the HTTP port it is also how
     * long a request's line and headers (with TLS, the handshake too) may take once a handler thread took the
     * request, and how long the HTTP API waits for a request body and for a client to take its response; past
     * it the connection is closed. Default 10 s.
     */
    public Builder handshakeTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "handshakeTimeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("handshakeTimeout is " + timeout + "; it must be > 0");
      }
      this.handshakeTimeout = timeout;
      return this;
    }

    /**
     * How often the server pings each connection. A connection that answered no ping for two intervals is
     * dropped, so dead peers (half-open TCP connections included) are found within two to three
     * intervals. Clients learn the interval from the {@code welcome} and may use it to detect a dead
     * server. Default 25 s.
     */
    public Builder pingInterval(Duration interval) {
      Objects.requireNonNull(interval, "pingInterval");
      if (interval.toMillis() < 10 || interval.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("pingInterval is " + interval + "; it must be 10 ms..1 h");
      }
      this.pingInterval = interval;
      return this;
    }

    /**
     * Serves {@code wss://} (WebSocket over TLS) with {@code context}, which holds the server's certificate
     * and key (for example from a PKCS12 key store through a {@code KeyManagerFactory}); protocols and
     * cipher suites are the context's defaults (on JDK 17, TLS 1.3 and 1.2). Default: none, plain
     * {@code ws://}. At scale, terminate TLS in a proxy in front instead: in-process TLS costs heap per
     * connection and CPU per message (see the README).
     *
     * @throws IllegalArgumentException if the context is not initialised
     */
    public Builder tls(javax.net.ssl.SSLContext context) {
      Objects.requireNonNull(context, "tls");
      try {
        context.createSSLEngine();
      } catch (IllegalStateException e) {
        throw new IllegalArgumentException("the tls context (" + context.getProtocol()
            + ") is not initialised; call init(keyManagers, trustManagers, random) first", e);
      }
      this.tls = context;
      return this;
    }

    /**
     * The most sockets open at once, counted from accept, so sockets still in their handshake count. A
     * socket past the limit is closed as soon as it is accepted, before anything is read: the client sees
     * the connection closed (a browser: close code 1006) and reconnects with its backoff. Bounds memory
     * and file descriptors, whatever clients do. Lowered at start to below the process's open-file limit
     * if that is lower (logged at INFO). Default 20,000.
     */
    public Builder maxConnections(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxConnections is " + max + "; it must be >= 1");
      }
      this.maxConnections = max;
      return this;
    }

    /**
     * The most sockets open at once from one remote IP address, counted and refused like
     * {@link #maxConnections}. Keeps one host from taking every connection. Behind a reverse proxy every
     * client has the proxy's address: raise this to {@link #maxConnections} there and limit per client in
     * the proxy. Default 1,000.
     */
    public Builder maxConnectionsPerAddress(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxConnectionsPerAddress is " + max + "; it must be >= 1");
      }
      this.maxConnectionsPerAddress = max;
      return this;
    }

    /**
     * The largest opening request head (request line and headers, cookies included) a client may send. A
     * larger one is refused with HTTP 431 after at most this many bytes were buffered. Default 16 KiB;
     * 1 KiB to 64 KiB.
     */
    public Builder maxHandshakeBytes(int bytes) {
      if (bytes < 1024 || bytes > 64 * 1024) {
        throw new IllegalArgumentException("maxHandshakeBytes is " + bytes + "; it must be 1024..65536");
      }
      this.maxHandshakeBytes = bytes;
      return this;
    }

    /**
     * The most bytes a connection may have queued and not yet written before the slow-consumer policy of
     * the channel publishing applies (see {@link ChannelOptions.SlowConsumerPolicy}). Bounds the memory one
     * client can hold, whatever it does. Default 1 MiB; 64 KiB to 1 GiB.
     */
    public Builder maxQueuedBytes(long bytes) {
      if (bytes < 64 * 1024 || bytes > 1L << 30) {
        throw new IllegalArgumentException("maxQueuedBytes is " + bytes + "; it must be 65536..1073741824");
      }
      this.maxQueuedBytes = bytes;
      return this;
    }

    /** The options of every channel without a namespace of its own. Default {@link ChannelOptions#DEFAULT}. */
    public Builder channelOptions(ChannelOptions options) {
      this.channelOptions = Objects.requireNonNull(options, "channelOptions");
      return this;
    }

    /**
     * The options of the channels in {@code namespace}: those whose name starts with {@code namespace:}.
     * For example {@code channelOptions("ticker", ChannelOptions.noHistory())} applies to
     * {@code ticker:AAPL}.
     */
    public Builder channelOptions(String namespace, ChannelOptions options) {
      Objects.requireNonNull(namespace, "namespace");
      Objects.requireNonNull(options, "options");
      String problem = namespace.isEmpty() || namespace.contains(":")
          ? "it must be non-empty and hold no ':'" : null;
      if (problem == null) {
        try {
          dev.pushline.internal.EngineConfig.requireChannelName(namespace);
        } catch (IllegalArgumentException e) {
          problem = e.getMessage();
        }
      }
      if (problem != null) {
        throw new IllegalArgumentException("namespace is \"" + namespace + "\"; " + problem);
      }
      namespaceOptions.put(namespace, options);
      return this;
    }

    /**
     * The clock that dates publications for history expiry. Default: the system clock. Tests pass a
     * clock they control.
     */
    public Builder clock(java.time.Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Lets clients publish with {@code publish} requests. Off by default: without it a client's
     * {@code publish} is refused with {@code forbidden}.
     */
    public Builder allowClientPublish() {
      this.clientPublish = true;
      return this;
    }

    /**
     * Threads that run host code: in-process subscribers, the connection listener and {@code rpc}
     * handlers. Default 2.
     */
    public Builder callbackThreads(int threads) {
      if (threads < 1 || threads > 256) {
        throw new IllegalArgumentException("callbackThreads is " + threads + "; it must be 1..256");
      }
      this.callbackThreads = threads;
      return this;
    }

    /** The transport. Default: a new {@link WebSocketTransport}. A transport serves one server only. */
    public Builder transport(Transport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /** Told when clients connect and disconnect. */
    public Builder connectionListener(ConnectionListener listener) {
      this.connectionListener = Objects.requireNonNull(listener, "connectionListener");
      return this;
    }

    // --- security: who may connect, and what they may do ----------------------------------------

    /**
     * Decides who each client is ({@link dev.pushline.auth.JwtAuthenticator} is built in). Default none:
     * every client is {@link Principal#ANONYMOUS} and may use public channels only.
     */
    public Builder authenticator(Authenticator authenticator) {
      this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
      return this;
    }

    /**
     * Decides which channels clients may subscribe and publish to, after the fixed rules of
     * {@link ChannelAuthorizer} (personal channels, granted channels). Default
     * {@link ChannelAuthorizer#DEFAULT}: public channels yes, {@code private:} channels no.
     */
    public Builder channelAuthorizer(ChannelAuthorizer authorizer) {
      this.authorizer = Objects.requireNonNull(authorizer, "authorizer");
      return this;
    }

    /**
     * Browser origins allowed to connect, such as {@code "https://app.example.com"} or
     * {@code "http://localhost:3000"}; {@code "*"} allows every origin. A request whose {@code Origin} is
     * not allowed is answered 403. Requests without {@code Origin} (clients that are not browsers) are
     * not checked. Default: only the server's own origin (the {@code Origin} names the host and port of
     * the request's {@code Host}), which stops other sites' pages from connecting with the user's cookies.
     */
    public Builder allowedOrigins(String... origins) {
      java.util.Set<String> set = new java.util.LinkedHashSet<>();
      for (String origin : origins) {
        Objects.requireNonNull(origin, "origin");
        String o = origin.trim().toLowerCase(java.util.Locale.ROOT);
        if (!o.equals("*") && !o.matches("[a-z][a-z0-9+.-]*://[^/?#\\s]+")) {
          throw new IllegalArgumentException("origin is \"" + origin
              + "\"; it must be scheme://host[:port] with no path, or *");
        }
        set.add(o);
      }
      if (set.isEmpty()) {
        throw new IllegalArgumentException("allowedOrigins needs at least one origin");
      }
      this.allowedOrigins = set;
      return this;
    }

    /**
     * How long a client whose opening request carried no token has to send a {@code connect} message with
     * one: 100 ms..60 s. Default 5 s. Then it is closed with {@link CloseCodes#UNAUTHORIZED}.
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = requireBetween(timeout, "connectTimeout", 100, 60_000);
      return this;
    }

    /**
     * How long a client told {@code token_expired} has to send {@code refresh}: 100 ms..10 min. Default
     * 10 s. Then it is closed with {@link CloseCodes#TOKEN_EXPIRED}.
     */
    public Builder tokenExpiryGrace(Duration grace) {
      this.tokenExpiryGrace = requireBetween(grace, "tokenExpiryGrace", 100, 600_000);
      return this;
    }

    /**
     * How many messages one connection may send: {@code burst} at once, {@code perSecond} on average. A
     * message over the limit is dropped and answered {@code rate_limited}; a client that sends another
     * {@code burst} messages while limited is closed with {@link CloseCodes#RATE_LIMITED}. Default 100/s
     * with a burst of 1,000 (enough to resubscribe 1,000 channels at once after a reconnect).
     */
    public Builder inboundRateLimit(int perSecond, int burst) {
      if (perSecond < 1 || perSecond > 10_000_000) {
        throw new IllegalArgumentException("perSecond is " + perSecond + "; it must be 1..10000000");
      }
      if (burst < 1 || burst > 10_000_000) {
        throw new IllegalArgumentException("burst is " + burst + "; it must be 1..10000000");
      }
      this.messagesPerSecond = perSecond;
      this.messageBurst = burst;
      return this;
    }

    /** The longest channel name a client may use: 1..255 characters. Default 255. */
    public Builder maxChannelNameLength(int chars) {
      if (chars < 1 || chars > 255) {
        throw new IllegalArgumentException("maxChannelNameLength is " + chars + "; it must be 1..255");
      }
      this.maxChannelNameLength = chars;
      return this;
    }

    /**
     * Shares streams, history and presence with other nodes through {@code broker}, for example a
     * {@code RedisBroker} from {@code pushline-redis}. Default: a {@link MemoryBroker}, which serves this
     * node alone. The server starts the broker in {@link PushServer#start()} and closes it in
     * {@link PushServer#close()}; give each server its own broker instance.
     */
    public Builder broker(Broker broker) {
      this.broker = Objects.requireNonNull(broker, "broker");
      return this;
    }

    /**
     * How long a presence entry lives unless its node refreshes it (every third of this): after a node
     * dies, its clients leave presence within this time. 30 s by default; 1 s to 10 min.
     */
    public Builder presenceTtl(Duration ttl) {
      this.presenceTtl = requireBetween(ttl, "presenceTtl", 1_000, 600_000);
      return this;
    }

    // --- RPC: methods clients call over their connection ------------------------------------------

    /**
     * Answers {@code rpc} requests for {@code method} with {@code handler} (see {@link RpcHandler}):
     * authenticated clients call it, the Java client with {@code PushClient.rpc}. A method nobody
     * registered is answered {@code method_not_found}. Default: no methods.
     *
     * @param method 1 to 100 characters: letters, digits and {@code _ - . : /}
     * @throws IllegalArgumentException if {@code method} breaks that rule or has a handler already
     */
    public Builder rpc(String method, RpcHandler handler) {
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(handler, "handler");
      if (!RPC_METHOD.matcher(method).matches()) {
        throw new IllegalArgumentException("rpc method is \"" + method
            + "\"; it must be 1 to 100 characters: letters, digits and _ - . : /");
      }
      if (rpcHandlers.putIfAbsent(method, handler) != null) {
        throw new IllegalArgumentException("rpc method \"" + method + "\" has a handler already");
      }
      return this;
    }

    /**
     * How long an {@code rpc} handler may take, from the request's arrival to its result: then the client
     * is answered {@code timeout} and a result that comes later is dropped. 100 ms..10 min. Default 30 s.
     */
    public Builder rpcTimeout(Duration timeout) {
      this.rpcTimeout = requireBetween(timeout, "rpcTimeout", 100, 600_000);
      return this;
    }

    private static final java.util.regex.Pattern RPC_METHOD =
        java.util.regex.Pattern.compile("[A-Za-z0-9_.:/-]{1,100}");

    private static Duration requireBetween(Duration d, String name, long minMillis, long maxMillis) {
      Objects.requireNonNull(d, name);
      if (d.toMillis() < minMillis || d.toMillis() > maxMillis) {
        throw new IllegalArgumentException(name + " is " + d + "; it must be " + minMillis + " ms.."
            + maxMillis + " ms");
      }
      return d;
    }

    // --- the HTTP API ---------------------------------------------------------------------------

    /**
     * Accepts {@code key} on the HTTP API ({@code /api} on the {@link #httpPort}; see {@code http-api.md}),
     * which is served only when at least one key is set. Call it once per key: several keys are accepted
     * side by side, so a key can be replaced without downtime (add the new one, move the backends, remove
     * the old one). Requests send it as {@code Authorization: Bearer <key>}. Default: no key, no API.
     *
     * @param key 16 to 512 printable ASCII characters without spaces; use a random one
     *     ({@code openssl rand -hex 32})
     * @throws IllegalArgumentException if {@code key} breaks that rule (the message does not repeat the key)
     */
    public Builder apiKey(String key) {
      Objects.requireNonNull(key, "apiKey");
      String problem = dev.pushline.internal.http.api.ApiFeature.keyProblem(key);
      if (problem != null) {
        throw new IllegalArgumentException("apiKey " + problem);
      }
      apiKeys.add(key);
      return this;
    }

    /**
     * How many HTTP API requests each key may make: {@code burst} at once, {@code perSecond} on average;
     * past it, requests are answered 429. Separate from {@link #inboundRateLimit}, as a backend publishes at
     * rates a browser client must not. Default 1,000/s with a burst of 1,000.
     */
    public Builder apiRateLimit(int perSecond, int burst) {
      if (perSecond < 1 || perSecond > 10_000_000) {
        throw new IllegalArgumentException("perSecond is " + perSecond + "; it must be 1..10000000");
      }
      if (burst < 1 || burst > 10_000_000) {
        throw new IllegalArgumentException("burst is " + burst + "; it must be 1..10000000");
      }
      this.apiPerSecond = perSecond;
      this.apiBurst = burst;
      return this;
    }

    /**
     * A new, not yet started server with this configuration.
     *
     * @throws IllegalStateException if an {@link #apiKey} is set without an {@link #httpPort} to serve it on
     */
    public PushServer build() {
      if (!apiKeys.isEmpty() && httpPort < 0) {
        throw new IllegalStateException("apiKey is set but the HTTP side is off; set httpPort(port) to serve "
            + "the HTTP API");
      }
      return new PushServer(this);
    }
  }
}
