package dev.pushline.internal.stomp;

import dev.pushline.CloseCodes;
import dev.pushline.transport.Handshake;
import dev.pushline.transport.InboundListener;
import dev.pushline.transport.OutboundMessage;
import dev.pushline.transport.TransportConnection;
import dev.pushline.transport.TransportListener;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Speaks STOMP (1.2, 1.1 and 1.0) with one client, and protocol v1 with the engine: the engine sees an
 * ordinary v1 connection and applies all it guarantees (authentication, authorization, limits, history,
 * order, the slow-consumer policy), whatever transport carries the STOMP frames.
 *
 * <h2>Shape</h2>
 * {@link #open} gives the engine a facade {@link TransportConnection} and returns the listener for the raw
 * connection. Inbound, each STOMP frame becomes a v1 request handed to the engine's listener; outbound,
 * each v1 message the engine sends to the facade becomes a STOMP frame (or nothing) sent on the raw
 * connection. The mapping is in {@code src/site/markdown/protocol.md}, section "STOMP".
 *
 * <h2>Errors</h2>
 * Every error is fatal in STOMP: a malformed frame, a frame the mapping refuses, and every {@code error}
 * the engine answers a request with, become an {@code ERROR} frame, then the raw connection is closed.
 * A close the engine asks for (slow consumer, rate limit, expired credentials, the host's own) becomes an
 * {@code ERROR} whose {@code message} starts with the close code, then the same close. Nothing the client
 * sends makes an exception escape to the transport.
 *
 * <h2>Concurrency</h2>
 * The transport calls {@link #onText} serially; the engine calls the facade's {@code send} from any thread
 * (channel fan-out, its timer, the inbound thread itself, while it handles a request). Everything in the
 * "guarded by lock" fields changes under {@link #lock}, and every frame is translated and queued on the raw
 * connection under it, so frames leave in the order the engine sent the messages. The engine is never
 * called under the lock (it takes its own locks and calls back into the facade), and neither is the raw
 * connection's {@code close} (it may wait for the transport's monitor, held while the transport reports a
 * close to us).
 *
 * <p>Thread-safe.
 */
public final class StompAdapter implements InboundListener {

  private static final Logger log = LoggerFactory.getLogger(StompAdapter.class);

  /** The destination prefix of channels: {@code /topic/<channel>}. */
  static final String TOPIC = "/topic/";
  /** The event name of a {@code SEND} without an {@code event} header. */
  static final String DEFAULT_EVENT = "message";
  /** Native messages held while the client has not sent {@code CONNECT} yet, at most. */
  static final int MAX_EARLY_BYTES = 1024 * 1024;

  private static final int NORMAL_CLOSURE = 1000;
  private static final int PROTOCOL_ERROR = 1002;

  private enum Phase { AWAITING_CONNECT, CONNECTING, CONNECTED, ENDED }

  private enum Kind { CONNECT, SUBSCRIBE, UNSUBSCRIBE, SEND }

  /** A request handed to the engine whose reply has not come yet. */
  private record Pending(Kind kind, String receipt, Subscription subscription) {}

  /** A close to make once the lock is released. */
  private record Close(int code, String reason) {}

  /** One STOMP subscription: a client's (with its id) or the host's (server-side, named by destination). */
  private static final class Subscription {
    final String id;
    final String destination;
    final String channel;
    String epoch; // guarded by lock; set by the engine's subscribed reply
    boolean unsubscribed; // guarded by lock

    Subscription(String id, String destination, String channel) {
      this.id = id;
      this.destination = destination;
      this.channel = channel;
    }
  }

  private final TransportConnection raw;
  private final Function<String, OutboundMessage> prepare;
  private final StompSupport support;
  private final Facade facade = new Facade();
  /** Touched only by {@link #onText}, which the transport calls serially. */
  private final StompCodec codec;
  /** The engine's listener for the facade; set before the transport calls any of our callbacks. */
  private volatile InboundListener engine;
  private volatile long lastInboundNanos = System.nanoTime();

  private final Object lock = new Object();
  private Phase phase = Phase.AWAITING_CONNECT; // guarded by lock
  /** Null until CONNECT; written under lock, read by the inbound thread without it. */
  private volatile StompVersion version;
  private int clientSends; // guarded by lock; the client's heart-beat cx, 0 for none
  private int clientWants; // guarded by lock; the client's heart-beat cy
  private String session; // guarded by lock; the engine's client id, from its welcome
  private final List<OutboundMessage> early = new ArrayList<>(); // guarded by lock
  private long earlyBytes; // guarded by lock
  private long nextId; // guarded by lock
  private final Map<Long, Pending> pending = new HashMap<>(); // guarded by lock
  /** The client's subscriptions by id, from SUBSCRIBE to UNSUBSCRIBE. */
  private final Map<String, Subscription> byId = new HashMap<>(); // guarded by lock
  /** Subscriptions that receive publications, by channel: from the engine's reply to UNSUBSCRIBE. */
  private final Map<String, Subscription> live = new HashMap<>(); // guarded by lock
  private boolean disconnecting; // guarded by lock
  private String disconnectReceipt; // guarded by lock
  private OutboundMessage heartBeat; // guarded by lock; the prepared EOL
  private final List<ScheduledFuture<?>> timers = new ArrayList<>(2); // guarded by lock

  private StompAdapter(TransportConnection raw, Function<String, OutboundMessage> prepare, StompSupport support) {
    this.raw = raw;
    this.prepare = prepare;
    this.support = support;
    this.codec = new StompCodec(support.maxFrameBytes());
  }

  /**
   * Bridges {@code raw}, whose peer speaks STOMP, to {@code engine}: opens a facade connection on the
   * engine and returns the listener the transport must give {@code raw}'s messages and close to.
   *
   * @param raw the transport's connection (WebSocket with a {@code v1x.stomp} subprotocol, a SockJS
   *     session, ...)
   * @param prepare prepares text for {@code raw}'s transport ({@code Transport::prepare})
   * @param engine the engine, as the transport was started with it
   * @param support what this server's STOMP connections share (limits, heart-beat timer)
   */
  public static InboundListener open(TransportConnection raw, Function<String, OutboundMessage> prepare,
      TransportListener engine, StompSupport support) {
    StompAdapter adapter = new StompAdapter(raw, prepare, support);
    adapter.engine = engine.onOpen(adapter.facade);
    return adapter;
  }

  // --- inbound: STOMP frames from the client ---------------------------------------------------

  @Override
  public void onText(String text) {
    lastInboundNanos = System.nanoTime();
    if (isEnded()) {
      return;
    }
    codec.feed(text.getBytes(StandardCharsets.UTF_8));
    try {
      StompFrame frame;
      while (!isEnded() && (frame = codec.next(version)) != null) {
        handle(frame);
      }
    } catch (StompException e) {
      fail(e.getMessage(), null, PROTOCOL_ERROR, "STOMP protocol error");
    } catch (RuntimeException e) { // a bug of ours: end this connection, not the transport's thread
      log.error("STOMP client {} from {}: failed to handle a frame", session(), raw.handshake().remoteAddress(), e);
      fail("the server failed to handle a frame", null, CloseCodes.INTERNAL_ERROR, "server error");
    }
  }

  private String session() {
    synchronized (lock) {
      return session;
    }
  }

  @Override
  public void onDrained() {
    InboundListener e = engine;
    if (e != null) {
      e.onDrained();
    }
  }

  @Override
  public void onClosed(int code, String reason) {
    List<ScheduledFuture<?>> cancel;
    synchronized (lock) {
      phase = Phase.ENDED;
      cancel = List.copyOf(timers);
      timers.clear();
    }
    cancel.forEach(t -> t.cancel(false));
    InboundListener e = engine;
    if (e != null) {
      e.onClosed(code, reason);
    }
  }

  private boolean isEnded() {
    synchronized (lock) {
      return phase == Phase.ENDED || disconnecting;
    }
  }

  private void handle(StompFrame frame) throws StompException {
    switch (frame.command()) {
      case "CONNECT", "STOMP" -> connect(frame);
      case "DISCONNECT" -> disconnect(frame);
      default -> {
        if (version == null) {
          throw new StompException(frame.command() + " before CONNECT");
        }
        switch (frame.command()) {
          case "SUBSCRIBE" -> subscribe(frame);
          case "UNSUBSCRIBE" -> unsubscribe(frame);
          case "SEND" -> send(frame);
          case "ACK", "NACK" -> throw new StompException(frame.command()
              + " without a subscription that acknowledges: only ack:auto is supported");
          default -> throw new StompException("transactions (" + frame.command() + ") are not supported");
        }
      }
    }
  }

  private void connect(StompFrame frame) throws StompException {
    StompVersion v = StompVersion.negotiate(frame.header("accept-version"));
    if (v == null) {
      refuseVersion(frame.header("accept-version"));
      return;
    }
    int[] beats = v.heartBeats() ? heartBeat(frame.header("heart-beat")) : new int[2];
    String token = token(frame);
    String request = null;
    Close close = null;
    synchronized (lock) {
      if (version != null) {
        throw new StompException(frame.command() + " after CONNECT");
      }
      if (phase == Phase.ENDED) {
        return;
      }
      version = v;
      clientSends = beats[0];
      clientWants = beats[1];
      if (session != null) { // the engine welcomed the connection already (credentials came with the upgrade)
        close = connected();
      } else {
        phase = Phase.CONNECTING;
        long id = ++nextId;
        pending.put(id, new Pending(Kind.CONNECT, null, null));
        request = NativeV1.connect(id, token);
      }
    }
    closeRaw(close);
    if (request != null) {
      engine.onText(request);
    }
  }

  /**
   * The token from CONNECT's headers: {@code Authorization: Bearer <token>}, else {@code token}, else
   * {@code passcode} ({@code login} is not used); null when none is there.
   */
  private static String token(StompFrame frame) {
    String authorization = frame.header("Authorization");
    if (authorization == null) {
      authorization = frame.header("authorization");
    }
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
        && !authorization.substring(7).isBlank()) {
      return authorization.substring(7).trim();
    }
    for (String name : List.of("token", "passcode")) {
      String value = frame.header(name);
      if (value != null && !value.isEmpty()) {
        return value;
      }
    }
    return null;
  }

  /** A {@code heart-beat} header's {@code cx,cy}; {@code 0,0} when absent. */
  private static int[] heartBeat(String value) throws StompException {
    if (value == null) {
      return new int[2];
    }
    String[] parts = value.split(",", -1);
    if (parts.length != 2) {
      throw new StompException("heart-beat is \"" + StompCodec.clip(value) + "\"; it must be cx,cy");
    }
    int[] beats = new int[2];
    for (int i = 0; i < 2; i++) {
      String p = parts[i].trim();
      if (p.isEmpty() || p.length() > 9 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw new StompException("heart-beat is \"" + StompCodec.clip(value)
            + "\"; it must be two numbers of milliseconds, cx,cy");
      }
      beats[i] = Integer.parseInt(p);
    }
    return beats;
  }

  private void subscribe(StompFrame frame) throws StompException {
    String destination = required(frame, "destination");
    String id = frame.header("id");
    if (id == null) {
      if (version != StompVersion.V1_0) {
        throw new StompException("SUBSCRIBE needs an id");
      }
      id = destination; // STOMP 1.0: the subscription is named by its destination
    }
    String ack = frame.header("ack");
    if (ack != null && !ack.equals("auto")) {
      throw new StompException("ack:" + StompCodec.clip(ack) + " is not supported; use ack:auto");
    }
    String channel = channelOf(destination);
    long history = history(frame.header("x-history"));
    String since = frame.header("x-since");
    String sinceEpoch = null;
    long sinceOffset = -1;
    if (since != null) {
      int colon = since.lastIndexOf(':');
      sinceOffset = colon < 1 ? -1 : parseCount(since.substring(colon + 1));
      if (sinceOffset < 0) {
        throw new StompException("x-since is \"" + StompCodec.clip(since) + "\"; it must be <epoch>:<offset>");
      }
      sinceEpoch = since.substring(0, colon);
    }
    String request;
    synchronized (lock) {
      if (byId.containsKey(id)) {
        throw new StompException("subscription id \"" + StompCodec.clip(id) + "\" is in use");
      }
      for (Subscription s : byId.values()) {
        if (s.channel.equals(channel)) {
          throw new StompException("already subscribed to " + destination + " (subscription \""
              + StompCodec.clip(s.id) + "\"); one subscription per destination");
        }
      }
      Subscription s = new Subscription(id, destination, channel);
      byId.put(id, s);
      long requestId = ++nextId;
      pending.put(requestId, new Pending(Kind.SUBSCRIBE, frame.header("receipt"), s));
      request = NativeV1.subscribe(requestId, channel, history, sinceEpoch, sinceOffset);
    }
    engine.onText(request);
  }

  private static long history(String value) throws StompException {
    if (value == null) {
      return 0;
    }
    long n = parseCount(value);
    if (n < 0) {
      throw new StompException("x-history is \"" + StompCodec.clip(value) + "\"; it must be a count");
    }
    return n; // the engine checks its range
  }

  /** A non-negative decimal of at most 15 digits, or -1. */
  private static long parseCount(String s) {
    if (s.isEmpty() || s.length() > 15 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return -1;
    }
    return Long.parseLong(s);
  }

  private void unsubscribe(StompFrame frame) throws StompException {
    String id = frame.header("id");
    if (id == null && version == StompVersion.V1_0) {
      id = frame.header("destination");
    }
    if (id == null) {
      throw new StompException("UNSUBSCRIBE needs an id");
    }
    String request;
    synchronized (lock) {
      Subscription s = byId.remove(id);
      if (s == null) {
        throw new StompException("no subscription with id \"" + StompCodec.clip(id) + "\"");
      }
      s.unsubscribed = true;
      live.remove(s.channel, s); // no MESSAGE of it from now on
      long requestId = ++nextId;
      pending.put(requestId, new Pending(Kind.UNSUBSCRIBE, frame.header("receipt"), s));
      request = NativeV1.unsubscribe(requestId, s.channel);
    }
    engine.onText(request);
  }

  private void send(StompFrame frame) throws StompException {
    String channel = channelOf(required(frame, "destination"));
    if (frame.has("transaction")) {
      throw new StompException("transactions are not supported");
    }
    String event = frame.header("event");
    String contentType = frame.header("content-type");
    boolean json = contentType != null
        && contentType.toLowerCase(Locale.ROOT).matches("application/json\\s*(;.*)?");
    String body = frame.bodyText();
    String request;
    synchronized (lock) {
      long requestId = ++nextId;
      pending.put(requestId, new Pending(Kind.SEND, frame.header("receipt"), null));
      request = NativeV1.publish(requestId, channel, event == null ? DEFAULT_EVENT : event, body, json);
    }
    engine.onText(request);
  }

  private void disconnect(StompFrame frame) {
    Close close;
    synchronized (lock) {
      if (phase == Phase.ENDED) {
        return;
      }
      disconnecting = true;
      disconnectReceipt = frame.header("receipt");
      close = pending.isEmpty() ? finishDisconnect() : null; // else once the last reply came
    }
    closeRaw(close);
  }

  /** Sends the DISCONNECT's receipt, if it asked for one, and ends. Under the lock. */
  private Close finishDisconnect() {
    if (phase == Phase.ENDED) {
      return null;
    }
    if (disconnectReceipt != null) {
      sendFrame(StompCodec.encode("RECEIPT", version, "", "receipt-id", disconnectReceipt));
    }
    return end(NORMAL_CLOSURE, "DISCONNECT");
  }

  private static String required(StompFrame frame, String header) throws StompException {
    String value = frame.header(header);
    if (value == null) {
      throw new StompException(frame.command() + " needs a " + header + " header");
    }
    return value;
  }

  /** The channel of destination {@code /topic/<channel>}; the engine checks the name. */
  private static String channelOf(String destination) throws StompException {
    if (!destination.startsWith(TOPIC) || destination.length() == TOPIC.length()) {
      throw new StompException("destination \"" + StompCodec.clip(destination)
          + "\" is not /topic/<channel>");
    }
    return destination.substring(TOPIC.length());
  }

  private void refuseVersion(String offered) {
    Close close;
    synchronized (lock) {
      if (phase == Phase.ENDED) {
        return;
      }
      String message = "no common STOMP version: the client accepts " + StompCodec.clip(offered)
          + ", the server speaks " + StompVersion.SUPPORTED;
      sendFrame(StompCodec.encode("ERROR", null, message, "version", StompVersion.SUPPORTED,
          "content-type", "text/plain", "message", "unsupported STOMP version"));
      close = end(PROTOCOL_ERROR, "unsupported STOMP version");
    }
    closeRaw(close);
  }

  // --- outbound: v1 messages from the engine ---------------------------------------------------

  /** What the engine sees: a protocol v1 connection. */
  private final class Facade implements TransportConnection {

    @Override
    public Handshake handshake() {
      return raw.handshake();
    }

    @Override
    public Object context() {
      return raw.context();
    }

    /**
     * Translates and queues {@code message}; false when the connection ended before (like a closed
     * connection's send). A message the client has no frame for counts as sent.
     */
    @Override
    public boolean send(OutboundMessage message) {
      NativeV1.Message m = support.frames().parse(message);
      Close close;
      synchronized (lock) {
        if (phase == Phase.ENDED) {
          return false;
        }
        close = phase != Phase.CONNECTED && !m.type().equals("welcome") && !m.type().equals("error")
            ? hold(message)
            : translate(message, m);
      }
      closeRaw(close);
      return true;
    }

    /** ERROR with the code and reason as its message, then the close. */
    @Override
    public void close(int code, String reason) {
      fail(code + " " + reason, null, code, reason);
    }

    @Override
    public long queuedBytes() {
      return raw.queuedBytes();
    }

    @Override
    public void notifyWhenDrained(long bytes) {
      raw.notifyWhenDrained(bytes);
    }

    @Override
    public String toString() {
      return "STOMP over " + raw;
    }
  }

  /**
   * Keeps a message the engine sent before the client's CONNECT (a server-side subscription the host made
   * when the connection opened, and its publications) until CONNECTED is sent. Under the lock.
   */
  private Close hold(OutboundMessage message) {
    earlyBytes += message.sizeBytes();
    if (earlyBytes > MAX_EARLY_BYTES) {
      return error("more than " + MAX_EARLY_BYTES + " bytes to send before the client's CONNECT", null,
          CloseCodes.SLOW_CONSUMER, "slow consumer");
    }
    early.add(message);
    return null;
  }

  /** Turns one engine message into what the client gets. Under the lock; returns a close to make after it. */
  private Close translate(OutboundMessage message, NativeV1.Message m) {
    switch (m.type()) {
      case "welcome" -> {
        session = m.client();
        if (phase == Phase.CONNECTING) {
          pending.values().removeIf(p -> p.kind() == Kind.CONNECT);
          return connected();
        }
      }
      case "publication" -> {
        Subscription s = live.get(m.channel());
        if (s != null) {
          raw.send(support.frames().frame(message, s.id, s.destination, s.epoch, version, prepare));
        }
      }
      case "subscribed" -> subscribed(m);
      case "unsubscribed" -> {
        Pending p = m.id() < 0 ? null : pending.remove(m.id());
        if (p != null) {
          receipt(p.receipt());
        } else if (m.id() < 0) { // the host unsubscribed the connection
          Subscription s = live.get(m.channel());
          if (s != null && !byId.containsKey(s.id)) {
            live.remove(m.channel());
          }
        }
      }
      case "published" -> {
        Pending p = pending.remove(m.id());
        if (p != null && p.receipt() != null) {
          sendFrame(StompCodec.encode("RECEIPT", version, "", "receipt-id", p.receipt(),
              "offset", Long.toString(m.offset()), "epoch", m.epoch()));
        }
      }
      case "error" -> {
        return refused(m);
      }
      default -> {
        // pong, presence and refresh replies are never asked for; join and leave events are not asked for
        // either; a host's ClientConnection.send message has no STOMP subscription to go to: dropped.
        log.trace("STOMP client {}: no STOMP frame for a {} message", session, m.type());
      }
    }
    return disconnecting && pending.isEmpty() ? finishDisconnect() : null;
  }

  private void subscribed(NativeV1.Message m) {
    if (m.id() < 0) { // the host subscribed the connection: named by its destination
      Subscription s = new Subscription(TOPIC + m.channel(), TOPIC + m.channel(), m.channel());
      s.epoch = m.epoch();
      live.put(m.channel(), s);
      return;
    }
    Pending p = pending.remove(m.id());
    if (p == null) {
      return;
    }
    Subscription s = p.subscription();
    s.epoch = m.epoch();
    if (!s.unsubscribed) {
      live.put(s.channel, s);
    }
    if (p.receipt() != null) {
      List<String> headers = new ArrayList<>(List.of("receipt-id", p.receipt(),
          "offset", Long.toString(m.offset()), "epoch", m.epoch()));
      if (m.recovered() != null) {
        headers.addAll(List.of("recovered", m.recovered().toString()));
      }
      sendFrame(StompCodec.encode("RECEIPT", version, "", headers.toArray(String[]::new)));
    }
  }

  /** The engine refused a request (or told the client something went wrong): ERROR, then close. */
  private Close refused(NativeV1.Message m) {
    Pending p = m.id() < 0 ? null : pending.remove(m.id());
    if (p != null && p.kind() == Kind.SUBSCRIBE && p.subscription().unsubscribed
        && "cancelled".equals(m.code())) {
      receipt(p.receipt()); // an UNSUBSCRIBE overtook it: the client asked for this
      return disconnecting && pending.isEmpty() ? finishDisconnect() : null;
    }
    int code = switch (String.valueOf(m.code())) {
      case "unauthorized" -> CloseCodes.UNAUTHORIZED;
      case "token_expired" -> CloseCodes.TOKEN_EXPIRED;
      case "rate_limited" -> CloseCodes.RATE_LIMITED;
      case "unavailable", "internal", "cancelled" -> CloseCodes.INTERNAL_ERROR;
      default -> CloseCodes.POLICY_VIOLATION;
    };
    return error(m.code() + ": " + m.message(), p == null ? null : p.receipt(), code, m.code());
  }

  private void receipt(String receipt) {
    if (receipt != null) {
      sendFrame(StompCodec.encode("RECEIPT", version, "", "receipt-id", receipt));
    }
  }

  /**
   * The client is connected: CONNECTED, then what the engine sent meanwhile, then heart-beats. Under the
   * lock; returns a close to make after it.
   */
  private Close connected() {
    phase = Phase.CONNECTED;
    long floor = support.heartBeatMillis();
    List<String> headers = new ArrayList<>(List.of("version", version.text));
    if (version.heartBeats()) {
      headers.addAll(List.of("heart-beat", floor + "," + floor));
    }
    headers.addAll(List.of("server", "Pushline", "session", session));
    sendFrame(StompCodec.encode("CONNECTED", version, "", headers.toArray(String[]::new)));
    List<OutboundMessage> held = List.copyOf(early);
    early.clear();
    earlyBytes = 0;
    for (OutboundMessage message : held) {
      Close close = translate(message, support.frames().parse(message));
      if (close != null) {
        return close;
      }
    }
    long out = clientWants == 0 ? 0 : Math.max(clientWants, floor);
    long in = clientSends == 0 ? 0 : Math.max(clientSends, floor);
    if (out > 0) {
      heartBeat = prepare.apply("\n");
      schedule(out, this::beat);
    }
    if (in > 0) {
      schedule(in, () -> checkInbound(in));
    }
    return null;
  }

  private void schedule(long periodMillis, Runnable task) {
    ScheduledFuture<?> t = support.every(periodMillis, task);
    if (t != null) {
      timers.add(t);
    }
  }

  /** Sends a heart-beat; on the heart-beat thread. */
  private void beat() {
    synchronized (lock) {
      if (phase == Phase.CONNECTED) {
        raw.send(heartBeat);
      }
    }
  }

  /** Ends a client that sent nothing for two of its heart-beat intervals; on the heart-beat thread. */
  private void checkInbound(long intervalMillis) {
    long silentMillis = (System.nanoTime() - lastInboundNanos) / 1_000_000;
    if (silentMillis > 2 * intervalMillis) {
      fail("no heart-beat from the client for " + silentMillis + " ms (it promised one every "
          + intervalMillis + " ms)", null, PROTOCOL_ERROR, "heart-beat timeout");
    }
  }

  // --- ending ----------------------------------------------------------------------------------

  /** Sends ERROR and closes with {@code code}, unless the connection ended already. Any thread, no lock held. */
  private void fail(String message, String receipt, int code, String reason) {
    Close close;
    synchronized (lock) {
      close = error(message, receipt, code, reason);
    }
    closeRaw(close);
  }

  /** Sends ERROR and ends; returns the close to make once the lock is released. Under the lock. */
  private Close error(String message, String receipt, int code, String reason) {
    if (phase == Phase.ENDED) {
      return null;
    }
    log.debug("STOMP client {} from {}: ERROR {}", session, raw.handshake().remoteAddress(), message);
    String summary = message.length() <= 200 ? message : message.substring(0, 200) + "...";
    List<String> headers = new ArrayList<>(List.of("message", summary, "content-type", "text/plain"));
    if (receipt != null) {
      headers.addAll(List.of("receipt-id", receipt));
    }
    sendFrame(StompCodec.encode("ERROR", version, message, headers.toArray(String[]::new)));
    return end(code, reason);
  }

  /** Marks the connection ended and stops its heart-beats; returns the close to make. Under the lock. */
  private Close end(int code, String reason) {
    phase = Phase.ENDED;
    timers.forEach(t -> t.cancel(false));
    timers.clear();
    return new Close(code, reason);
  }

  private void closeRaw(Close close) {
    if (close != null) {
      raw.close(close.code(), close.reason());
    }
  }

  /** Queues one STOMP frame (or heart-beat) on the raw connection. Under the lock, so frames keep their order. */
  private void sendFrame(String text) {
    raw.send(prepare.apply(text));
  }

  @Override
  public String toString() {
    return "StompAdapter[" + raw + "]";
  }
}
