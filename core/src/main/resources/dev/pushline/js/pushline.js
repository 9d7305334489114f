// pushline.js: the browser (and Node) client of Pushline's wire protocol v1.
//
// No dependencies; an ES module. The server serves it at /pushline.js on its HTTP side (and a classic-script
// build, generated from this file, at /pushline.global.js). The API is declared in pushline.d.ts; the rules
// (reconnect, resume, fallback, heartbeat, errors) are in src/site/markdown/javascript-client.md; the wire
// protocol is src/site/markdown/protocol.md.
//
// One Pushline object holds at most one connection at a time (`conn` below): a WebSocket, or, as fallbacks,
// a SockJS session or a Server-Sent Events stream. Every callback of a connection's socket first checks that
// its connection is still the current one, so a socket that was given up (dead, replaced) can never act.
//
// Keep this file free of `export` except on the lines `export class ...` and the last line
// `export default Pushline;`: ScriptFeature builds the classic script by removing exactly those.

const DEFAULTS = {
  minReconnectDelay: 500,
  maxReconnectDelay: 20000,
  requestTimeout: 10000,
  connectTimeout: 10000,
};

/** A connection that stayed up this long resets the backoff. */
const STABLE_AFTER_MS = 5000;

/** Consecutive failures of a transport (before a welcome) that make the client try the next one. */
const DEFAULT_AFTER_FAILURES = 2;

const CLIENT_EVENTS = ['state', 'connected', 'disconnected', 'error', 'message', 'publication'];
const SUBSCRIPTION_EVENTS = ['publication', 'subscribed', 'error', 'join', 'leave', 'unsubscribed'];

/** protocol.md, "Close codes": 3500–3999 and 4500–4999 mean "do not reconnect" (CloseCodes.shouldReconnect). */
function shouldReconnect(code) {
  return !((code >= 3500 && code <= 3999) || (code >= 4500 && code <= 4999));
}

/** A failed request: the server's error code and message, or the client's own (timeout, disconnected, ...). */
export class PushlineError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'PushlineError';
    this.code = code;
  }
}

/** Listeners by event name. A listener that throws is reported and does not stop the others. */
class Listeners {
  constructor(names) {
    this.names = names;
    this.byName = new Map();
  }

  on(name, fn) {
    if (!this.names.includes(name)) {
      throw new Error(`unknown event "${name}"; the events are ${this.names.join(', ')}`);
    }
    if (typeof fn !== 'function') {
      throw new TypeError(`the listener of "${name}" is ${typeof fn}; it must be a function`);
    }
    const list = this.byName.get(name) || [];
    this.byName.set(name, [...list, fn]);
    return () => {
      const now = this.byName.get(name) || [];
      this.byName.set(name, now.filter((f) => f !== fn));
    };
  }

  emit(name, event) {
    for (const fn of this.byName.get(name) || []) {
      try {
        fn(event);
      } catch (e) {
        console.error(`pushline: a "${name}" listener threw`, e);
      }
    }
  }
}

/** One channel's subscription; made by Pushline.subscribe. */
class Subscription {
  constructor(client, channel, options) {
    this._client = client;
    this._channel = channel;
    this._history = options.history;
    this._joinLeave = options.joinLeave;
    this._listeners = new Listeners(SUBSCRIPTION_EVENTS);
    this._state = 'subscribing';
    this._position = null;    // {offset, epoch} of the last publication delivered; see Pushline._applySubscribed
    this._requestId = null;   // id of the subscribe sent on the current connection and not answered yet
    this._sentSince = null;   // the `since` that subscribe carried
    this._retryTimer = null;  // a subscribe the server could not make (unavailable), asked again later
    this._retries = 0;
  }

  get channel() { return this._channel; }
  get state() { return this._state; }
  get position() { return this._position ? { ...this._position } : null; }

  on(name, fn) { return this._listeners.on(name, fn); }

  unsubscribe() { return this._client._unsubscribe(this); }
}

export class Pushline {
  constructor(url, options = {}) {
    if (typeof url !== 'string' || url === '') {
      throw new TypeError(`url is ${JSON.stringify(url)}; it must be the WebSocket URL, ws(s)://HOST:PORT/pushline`);
    }
    const o = { ...DEFAULTS, ...options };
    for (const name of ['minReconnectDelay', 'maxReconnectDelay', 'requestTimeout', 'connectTimeout']) {
      if (typeof o[name] !== 'number' || !(o[name] > 0)) {
        throw new RangeError(`${name} is ${o[name]}; it must be a number of milliseconds above 0`);
      }
    }
    if (o.minReconnectDelay > o.maxReconnectDelay) {
      throw new RangeError(`minReconnectDelay (${o.minReconnectDelay}) is above maxReconnectDelay (${o.maxReconnectDelay})`);
    }
    const fallback = o.fallback || {};
    this._url = url;
    this._options = o;
    this._WebSocket = o.WebSocket || globalThis.WebSocket;
    this._EventSource = fallback.EventSource || globalThis.EventSource;
    this._afterFailures = fallback.afterFailures || DEFAULT_AFTER_FAILURES;
    this._transports = ['websocket'];
    if (fallback.sockjs && fallback.SockJS) this._transports.push('sockjs');
    if (fallback.sse) this._transports.push('sse');
    this._log = o.debug === true ? (...a) => console.debug('pushline:', ...a)
      : typeof o.debug === 'function' ? o.debug : () => {};
    this._listeners = new Listeners(CLIENT_EVENTS);

    this._state = 'disconnected';
    this._clientId = null;
    this._transport = 'websocket';
    this._subs = new Map();         // channel -> Subscription, every one not unsubscribed
    this._subscribing = new Map();  // request id -> Subscription, subscribes sent and not answered
    this._pending = new Map();      // request id -> request (see _request), in the order made
    this._serverEpochs = new Map(); // channel -> epoch, of subscriptions the host made server-side
    this._nextId = 1;
    this._conn = null;              // the current connection, or null
    this._attempt = 0;              // grows with every connect, close and attempt: stale async work stops
    this._failures = 0;             // attempts in a row that failed, for the backoff
    this._transportIndex = 0;       // index in _transports of the transport to use
    this._transportFailures = 0;    // attempts in a row on that transport that got no welcome
    this._reconnectTimer = null;
    this._closing = false;          // close() is running (its listeners may call it again)
    this._reportingLoss = false;    // _lost is emitting `disconnected` (a close() from there reports no other)
  }

  get state() { return this._state; }
  get clientId() { return this._clientId; }
  get transport() { return this._transport; }

  on(name, fn) { return this._listeners.on(name, fn); }

  connect() {
    if (this._state === 'connecting' || this._state === 'connected') return;
    this._failures = 0;
    this._transportIndex = 0;
    this._transportFailures = 0;
    this._setState('connecting', 'connect() was called');
    this._open();
  }

  close() {
    // Re-entrant: a listener of the `disconnected` below may call close() again (ignored), and a close()
    // from a listener of _lost's `disconnected` must not report a second one (that connection was reported).
    if (this._state === 'closed' || this._closing) return;
    this._closing = true;
    try {
      this._attempt++;
      clearTimeout(this._reconnectTimer);
      this._reconnectTimer = null;
      const conn = this._conn;
      const wasConnected = this._state === 'connected' && !this._reportingLoss;
      if (conn) {
        this._detach(conn);
        this._closeSocket(conn, 1000, 'closed by the client');
      }
      this._failRequests(() => true, 'closed', 'the client was closed');
      if (wasConnected) {
        this._listeners.emit('disconnected', { code: 1000, reason: 'closed by the client', reconnect: false });
      }
    } finally {
      this._closing = false;
    }
    this._setState('closed', 'close() was called', 1000);
  }

  subscribe(channel, handlers, options = {}) {
    checkName('channel', channel);
    if (this._subs.has(channel)) {
      throw new Error(`already subscribed to "${channel}"; use getSubscription("${channel}")`);
    }
    const history = options.history === undefined ? 0 : options.history;
    if (!Number.isInteger(history) || history < 0 || history > 1000000) {
      throw new RangeError(`history is ${history}; it must be an integer from 0 to 1000000`);
    }
    const sub = new Subscription(this, channel, { history, joinLeave: options.joinLeave === true });
    if (typeof handlers === 'function') {
      sub.on('publication', handlers);
    } else if (handlers) {
      for (const [name, fn] of Object.entries(handlers)) sub.on(name, fn);
    }
    this._subs.set(channel, sub);
    const conn = this._conn;
    if (conn && conn.kind === 'sse') {
      this._sseChanged(conn);
    } else if (conn && conn.welcomed) {
      this._sendSubscribe(conn, sub);
    }
    return sub;
  }

  getSubscription(channel) {
    return this._subs.get(channel);
  }

  publish(channel, event, data) {
    checkName('channel', channel);
    checkName('event', event);
    return this._request({ type: 'publish', channel, event, data: data === undefined ? null : data })
      .then((reply) => ({ offset: reply.offset, epoch: reply.epoch }));
  }

  rpc(method, data, options = {}) {
    checkName('method', method);
    const timeout = options.timeout === undefined ? this._options.requestTimeout : options.timeout;
    if (typeof timeout !== 'number' || !(timeout > 0)) {
      throw new RangeError(`timeout is ${timeout}; it must be a number of milliseconds above 0`);
    }
    return this._request({ type: 'rpc', method, data: data === undefined ? null : data }, timeout)
      .then((reply) => (reply.data === undefined ? null : reply.data));
  }

  presence(channel) {
    checkName('channel', channel);
    return this._request({ type: 'presence', channel }).then((reply) => reply.clients || []);
  }

  // --- connection ------------------------------------------------------------------------------

  _setState(state, reason, code) {
    const previous = this._state;
    if (previous === state) return;
    this._state = state;
    this._log('state', previous, '->', state, reason);
    const event = { state, previous, reason };
    if (code !== undefined) event.code = code;
    this._listeners.emit('state', event);
  }

  /** Opens a connection on the current transport (the token first, when there is one). */
  async _open() {
    const attempt = ++this._attempt;
    const kind = this._transports[this._transportIndex];
    const conn = { kind, socket: null, welcomed: false, timers: new Set(), lastReceived: 0, pingSentAt: 0 };
    this._conn = conn;
    this._transport = kind;
    let token = null;
    if (this._options.token !== undefined && this._options.token !== null) {
      try {
        token = typeof this._options.token === 'function' ? await this._options.token() : this._options.token;
        if (typeof token !== 'string') throw new TypeError(`the token is ${typeof token}; it must be a string`);
      } catch (e) {
        if (attempt !== this._attempt) return;
        this._listeners.emit('error', { code: 'unauthorized', message: `the token function failed: ${e && e.message}`, cause: e });
        this._lost(conn, 1006, 'no token');
        return;
      }
      if (attempt !== this._attempt) return; // close() or another attempt meanwhile
    }
    conn.token = token;
    this._log('connecting over', kind);
    if (kind === 'sse') {
      this._sseChanged(conn);
      return;
    }
    this._timer(conn, this._options.connectTimeout, () => {
      if (!conn.welcomed) this._dead(conn, `no welcome within ${this._options.connectTimeout} ms`);
    });
    let socket;
    try {
      socket = kind === 'sockjs'
        ? new this._options.fallback.SockJS(this._options.fallback.sockjs)
        : new this._WebSocket(this._url);
    } catch (e) {
      this._listeners.emit('error', { code: 'internal', message: `cannot open ${kind}: ${e && e.message}`, cause: e });
      this._lost(conn, 1006, `cannot open ${kind}`);
      return;
    }
    conn.socket = socket;
    socket.onopen = () => {
      if (conn !== this._conn) return;
      if (token === null) return;
      conn.connectId = this._nextId++;
      this._send(conn, { type: 'connect', id: conn.connectId, token });
    };
    socket.onmessage = (e) => {
      if (conn !== this._conn) return;
      let frame;
      try {
        frame = JSON.parse(e.data);
      } catch (err) {
        this._listeners.emit('error', { code: 'bad_request', message: 'the server sent a message that is not JSON', cause: err });
        return;
      }
      this._onFrame(conn, frame);
    };
    socket.onclose = (e) => {
      if (conn !== this._conn) return;
      this._lost(conn, e.code || 1006, e.reason || (conn.welcomed ? 'connection lost' : `cannot connect over ${kind}`));
    };
    socket.onerror = () => {}; // always followed by close, which does the work
  }

  _onFrame(conn, frame) {
    conn.lastReceived = Date.now();
    if (frame === null || typeof frame !== 'object') return;
    if (typeof frame.id === 'number' && frame.type !== 'publication') {
      this._onReply(conn, frame);
      return;
    }
    switch (frame.type) {
      case 'welcome': this._onWelcome(conn, frame.client, frame.pingIntervalMs); break;
      case 'publication': this._onPublication(frame); break;
      case 'subscribed': this._serverEpochs.set(frame.channel, frame.epoch); break; // the host subscribed us
      case 'unsubscribed': this._onServerUnsubscribed(frame.channel); break;
      case 'join':
      case 'leave': this._onJoinLeave(frame); break;
      case 'message': this._listeners.emit('message', { event: frame.event, data: frame.data === undefined ? null : frame.data }); break;
      case 'error': this._onServerError(conn, frame); break;
      default: break; // pong, and types of later protocol versions
    }
  }

  _onWelcome(conn, clientId, pingIntervalMs) {
    if (conn.welcomed) return;
    conn.welcomed = true;
    this._clientId = clientId;
    this._transportFailures = 0;
    this._log('connected over', conn.kind, 'as', clientId);
    this._timer(conn, STABLE_AFTER_MS, () => { this._failures = 0; });
    if (conn.kind !== 'sse') {
      if (pingIntervalMs > 0) this._watchHeartbeat(conn, pingIntervalMs);
      for (const sub of this._subs.values()) {
        if (sub._state === 'subscribing' && !sub._retryTimer) this._sendSubscribe(conn, sub);
      }
    }
    for (const request of this._pending.values()) {
      if (!request.sent) this._sendRequest(conn, request);
    }
    this._setState('connected', `connected over ${conn.kind}`);
    this._listeners.emit('connected', { clientId, transport: conn.kind });
  }

  /**
   * The connection `conn` ended: the socket closed, could not open, or was given up. Reconnects with
   * backoff unless the code says not to.
   */
  _lost(conn, code, reason) {
    if (conn !== this._conn) return;
    this._detach(conn);
    this._conn = null;
    const reconnect = shouldReconnect(code);
    if (!conn.welcomed) {
      this._transportFailures++;
      if (this._transportFailures >= this._afterFailures && this._transports.length > 1) {
        this._transportIndex = (this._transportIndex + 1) % this._transports.length;
        this._transportFailures = 0;
        this._log('trying', this._transports[this._transportIndex], 'next');
      }
    }
    this._failRequests((r) => r.sent || !reconnect, 'disconnected', `the connection was lost (${code} ${reason})`);
    let delay;
    let timer = null;
    const attempt = this._attempt;
    if (reconnect) {
      this._failures++;
      delay = this._backoff(this._failures);
      timer = setTimeout(() => {
        if (this._reconnectTimer === timer) this._reconnectTimer = null;
        if (attempt === this._attempt) this._open();
      }, delay);
      this._reconnectTimer = timer;
    }
    this._log('lost', code, reason, reconnect ? `reconnecting in ${delay} ms` : 'not reconnecting');
    const event = { code, reason, reconnect };
    if (reconnect) event.delay = delay;
    const reporting = this._reportingLoss;
    this._reportingLoss = true;
    try {
      this._listeners.emit('disconnected', event);
    } finally {
      this._reportingLoss = reporting;
    }
    if (attempt !== this._attempt) {
      // A listener called close() (or close() and connect()): the client is not ours to move any more.
      if (timer !== null && this._reconnectTimer === timer) this._reconnectTimer = null;
      clearTimeout(timer);
      return;
    }
    const why = `${conn.welcomed ? 'disconnected' : 'could not connect'}: ${code} ${reason}`;
    this._setState(reconnect ? 'connecting' : 'disconnected', why, code);
  }

  /** Forgets everything tied to `conn`: its timers, its subscribes in flight; subscriptions wait for the next one. */
  _detach(conn) {
    for (const t of conn.timers) clearTimeout(t);
    conn.timers.clear();
    if (conn === this._conn) this._conn = null;
    this._clientId = null;
    this._subscribing.clear();
    for (const sub of this._subs.values()) {
      sub._state = 'subscribing';
      sub._requestId = null;
      clearTimeout(sub._retryTimer);
      sub._retryTimer = null;
    }
    this._serverEpochs.clear();
  }

  /** Gives up a connection that stopped answering: acts as if it closed (1006), then closes its socket. */
  _dead(conn, reason) {
    if (conn !== this._conn) return;
    this._lost(conn, 1006, reason);
    this._closeSocket(conn, 4000, reason);
  }

  _closeSocket(conn, code, reason) {
    if (!conn.socket) return;
    try {
      conn.socket.close(code, reason);
    } catch (e) {
      this._log('closing the socket failed', e); // it is given up either way
    }
  }

  /** Full jitter: random between 0 and min(max, min × 2^(n−1)). */
  _backoff(failures) {
    const ceiling = Math.min(this._options.maxReconnectDelay,
      this._options.minReconnectDelay * 2 ** Math.min(failures - 1, 30));
    return Math.floor(Math.random() * ceiling);
  }

  /** A timer that ends with its connection. */
  _timer(conn, ms, fn) {
    const t = setTimeout(() => {
      conn.timers.delete(t);
      if (conn === this._conn) fn();
    }, ms);
    conn.timers.add(t);
  }

  /**
   * Browsers do not let scripts see WebSocket pings, so: after `interval` ms with nothing received, send a
   * protocol `ping`; when still nothing arrived within the grace after it, the connection is dead.
   */
  _watchHeartbeat(conn, interval) {
    const grace = Math.min(Math.max(interval / 2, 250), 5000);
    const check = () => {
      const now = Date.now();
      if (conn.pingSentAt > 0 && conn.lastReceived < conn.pingSentAt) {
        if (now - conn.pingSentAt >= grace) {
          this._dead(conn, `no answer from the server for ${now - conn.lastReceived} ms`);
          return;
        }
        this._timer(conn, conn.pingSentAt + grace - now, check);
        return;
      }
      conn.pingSentAt = 0;
      const silent = now - conn.lastReceived;
      if (silent >= interval) {
        conn.pingSentAt = now;
        this._send(conn, { type: 'ping' });
        this._timer(conn, grace, check);
      } else {
        this._timer(conn, interval - silent, check);
      }
    };
    this._timer(conn, interval, check);
  }

  _send(conn, frame) {
    try {
      conn.socket.send(JSON.stringify(frame));
      return true;
    } catch (e) {
      this._log('send failed', e); // the socket is closing; its close event follows
      return false;
    }
  }

  // --- requests --------------------------------------------------------------------------------

  /**
   * Sends a request when connected, or when the connection comes (if connecting); resolves with the reply
   * frame. Every request settles within `timeout` of the call.
   */
  _request(frame, timeout = this._options.requestTimeout) {
    return new Promise((resolve, reject) => {
      if (this._state === 'closed' || this._state === 'disconnected') {
        reject(new PushlineError(this._state === 'closed' ? 'closed' : 'disconnected',
          `the client is ${this._state}; call connect() first`));
        return;
      }
      if (this._transport === 'sse' && this._conn) {
        reject(unsupported(frame.type));
        return;
      }
      const id = this._nextId++;
      const request = { id, frame: { ...frame, id }, sent: false, resolve, reject, timer: null };
      request.timer = setTimeout(() => {
        this._pending.delete(id);
        reject(new PushlineError('timeout', `no reply to ${frame.type} within ${timeout} ms`));
      }, timeout);
      this._pending.set(id, request);
      const conn = this._conn;
      if (conn && conn.welcomed) this._sendRequest(conn, request);
    });
  }

  _sendRequest(conn, request) {
    if (conn.kind === 'sse') {
      this._settle(request.id, null, unsupported(request.frame.type));
      return;
    }
    request.sent = this._send(conn, request.frame);
  }

  _settle(id, reply, error) {
    const request = this._pending.get(id);
    if (!request) return false;
    this._pending.delete(id);
    clearTimeout(request.timer);
    if (error) request.reject(error);
    else request.resolve(reply);
    return true;
  }

  _failRequests(which, code, message) {
    for (const request of [...this._pending.values()]) {
      if (which(request)) this._settle(request.id, null, new PushlineError(code, message));
    }
  }

  _onReply(conn, frame) {
    const sub = this._subscribing.get(frame.id);
    if (sub) {
      this._subscribing.delete(frame.id);
      if (sub._requestId === frame.id) this._onSubscribeReply(conn, sub, frame);
      return;
    }
    if (frame.type === 'error' && frame.id === conn.connectId) {
      // A refused connect is followed by the close 3501, which reports it. `bad_request` ("already
      // connected"): the server's Authenticator admitted the connection without a token, and the token went
      // unused; say so rather than leave the application wondering why it is anonymous.
      if (frame.code === 'bad_request') {
        this._listeners.emit('error', { code: 'bad_request', message: 'the server admitted this connection '
          + `without a token, so the token was not used (${frame.message})` });
      }
      return;
    }
    if (frame.type === 'error') {
      this._settle(frame.id, null, new PushlineError(frame.code || 'internal', frame.message || frame.code));
      return; // an unknown id: a request that timed out
    }
    this._settle(frame.id, frame, null);
  }

  _onServerError(conn, frame) {
    if (frame.code === 'token_expired' && typeof this._options.token === 'function' && conn.kind !== 'sse') {
      this._refresh(conn);
      return;
    }
    this._listeners.emit('error', { code: frame.code || 'internal', message: frame.message || '' });
  }

  /** The server said token_expired: get a new token and send refresh, before the grace period ends. */
  async _refresh(conn) {
    try {
      const token = await this._options.token();
      if (conn !== this._conn) return;
      if (typeof token !== 'string') throw new TypeError(`the token is ${typeof token}; it must be a string`);
      await this._request({ type: 'refresh', token });
      this._log('credentials refreshed');
    } catch (e) {
      if (conn !== this._conn) return;
      this._listeners.emit('error', {
        code: e instanceof PushlineError ? e.code : 'token_expired',
        message: `refreshing the expired token failed: ${e && e.message}`, cause: e,
      });
    }
  }

  // --- subscriptions ---------------------------------------------------------------------------

  _sendSubscribe(conn, sub) {
    const id = this._nextId++;
    const frame = { type: 'subscribe', id, channel: sub._channel };
    if (sub._position) frame.since = { ...sub._position };
    if (sub._history > 0) frame.history = sub._history;
    if (sub._joinLeave) frame.joinLeave = true;
    sub._requestId = id;
    sub._sentSince = sub._position;
    this._subscribing.set(id, sub);
    this._send(conn, frame);
  }

  _onSubscribeReply(conn, sub, frame) {
    sub._requestId = null;
    if (frame.type === 'subscribed') {
      sub._retries = 0;
      this._applySubscribed(sub, frame, sub._sentSince !== null);
      return;
    }
    if (frame.type !== 'error' || frame.code === 'cancelled') return;
    if (frame.code === 'unavailable') {
      sub._retries++;
      const delay = this._backoff(sub._retries);
      sub._retryTimer = setTimeout(() => {
        sub._retryTimer = null;
        if (conn === this._conn && this._subs.get(sub._channel) === sub) this._sendSubscribe(conn, sub);
      }, delay);
      sub._listeners.emit('error', { channel: sub._channel, code: frame.code, message: frame.message, retry: true });
      return;
    }
    this._subs.delete(sub._channel);
    sub._state = 'unsubscribed';
    sub._listeners.emit('error', { channel: sub._channel, code: frame.code, message: frame.message, retry: false });
  }

  /**
   * A subscription took effect at the channel's `offset` and `epoch`. When it resumed and the server
   * recovered everything, the position stays where it was (the missed publications follow). Else it starts
   * afresh: at the offset less the history asked for (replayed next), but never back within the same epoch,
   * so that no offset is delivered twice.
   */
  _applySubscribed(sub, frame, resumed) {
    const { offset, epoch } = frame;
    const previous = sub._position;
    const recovered = resumed ? frame.recovered === true : undefined;
    if (!(recovered && previous && previous.epoch === epoch)) {
      let from = Math.max(0, offset - sub._history);
      if (previous && previous.epoch === epoch) from = Math.max(from, previous.offset);
      sub._position = { offset: from, epoch };
    }
    sub._state = 'subscribed';
    this._log('subscribed', sub._channel, 'at', offset, epoch, resumed ? `recovered: ${recovered}` : '');
    sub._listeners.emit('subscribed', { channel: sub._channel, offset, epoch, recovered, resumed });
  }

  _onPublication(frame) {
    const sub = this._subs.get(frame.channel);
    const publication = {
      channel: frame.channel, offset: frame.offset, epoch: undefined, event: frame.event,
      data: frame.data === undefined ? null : frame.data,
    };
    if (!sub) {
      // A subscription the host made server-side; else one the application just unsubscribed from, whose
      // last publications may still come before the server's unsubscribed reply.
      if (!this._serverEpochs.has(frame.channel)) return;
      publication.epoch = this._serverEpochs.get(frame.channel);
      this._listeners.emit('publication', publication);
      return;
    }
    if (sub._state !== 'subscribed') return; // of an earlier subscription to the channel, before its unsubscribed
    if (frame.offset <= sub._position.offset) return; // delivered already
    sub._position = { offset: frame.offset, epoch: sub._position.epoch };
    publication.epoch = sub._position.epoch;
    sub._listeners.emit('publication', publication);
  }

  _onJoinLeave(frame) {
    const sub = this._subs.get(frame.channel);
    if (!sub || sub._state !== 'subscribed') return;
    const c = frame.client || {};
    sub._listeners.emit(frame.type, {
      channel: frame.channel, client: c.client, user: c.user, info: c.info === undefined ? null : c.info,
    });
  }

  /** The host ended a subscription (an unsubscribed without id). */
  _onServerUnsubscribed(channel) {
    const sub = this._subs.get(channel);
    if (!sub || sub._state !== 'subscribed') {
      this._serverEpochs.delete(channel);
      return;
    }
    this._subs.delete(channel);
    sub._state = 'unsubscribed';
    sub._listeners.emit('unsubscribed', { channel, reason: 'the server ended the subscription' });
  }

  _unsubscribe(sub) {
    if (sub._state === 'unsubscribed') return Promise.resolve();
    const conn = this._conn;
    const onServer = conn && conn.kind !== 'sse' && (sub._state === 'subscribed' || sub._requestId !== null);
    this._subs.delete(sub._channel);
    sub._state = 'unsubscribed';
    sub._requestId = null;
    clearTimeout(sub._retryTimer);
    sub._retryTimer = null;
    if (conn && conn.kind === 'sse') this._sseChanged(conn);
    if (!onServer) return Promise.resolve();
    // Never rejects: whatever happens to the request, the subscription is over.
    return this._request({ type: 'unsubscribe', channel: sub._channel }).then(() => {}, () => {});
  }

  // --- Server-Sent Events (receive-only fallback) ----------------------------------------------

  /**
   * The subscriptions changed while on SSE: (re)open the stream with every subscribed channel in its URL,
   * once the current task is done (so that subscribing to several channels in a row opens one stream).
   */
  _sseChanged(conn) {
    if (conn.sseScheduled || conn.token === undefined) return; // scheduled, or the token is still coming
    conn.sseScheduled = true;
    setTimeout(() => {
      conn.sseScheduled = false;
      if (conn === this._conn) this._openSse(conn);
    }, 0);
  }

  _openSse(conn) {
    const channels = [...this._subs.keys()];
    const same = conn.channels && conn.channels.length === channels.length
      && channels.every((c) => conn.channels.includes(c));
    if (same) return;
    if (conn.socket) {
      const old = conn.socket;
      conn.socket = null;
      old.close();
      for (const sub of this._subs.values()) sub._state = 'subscribing';
    }
    conn.channels = channels;
    if (channels.length === 0) return; // nothing to stream: the stream opens with the first subscription
    const ES = this._EventSource;
    if (typeof ES !== 'function') {
      this._listeners.emit('error', { code: 'unsupported', message: 'no EventSource: pass fallback.EventSource' });
      this._lost(conn, 1006, 'no EventSource');
      return;
    }
    const fallback = this._options.fallback;
    const query = channels.map((c) => `channel=${encodeURIComponent(c)}`);
    const history = Math.max(0, ...[...this._subs.values()].map((s) => s._history));
    if (history > 0) query.push(`history=${history}`);
    if (conn.token !== null) query.push(`token=${encodeURIComponent(conn.token)}`);
    const lastEventId = this._sseEventId();
    if (lastEventId) query.push(`lastEventId=${encodeURIComponent(lastEventId)}`);
    const url = `${fallback.sse}${fallback.sse.includes('?') ? '&' : '?'}${query.join('&')}`;
    let es;
    try {
      es = new ES(url, { withCredentials: fallback.withCredentials === true });
    } catch (e) {
      this._listeners.emit('error', { code: 'internal', message: `cannot open SSE: ${e && e.message}`, cause: e });
      this._lost(conn, 1006, 'cannot open SSE');
      return;
    }
    conn.socket = es;
    if (!conn.welcomed) {
      this._timer(conn, this._options.connectTimeout, () => {
        if (!conn.welcomed) this._dead(conn, `no welcome within ${this._options.connectTimeout} ms`);
      });
    }
    const on = (name, fn) => es.addEventListener(name, (e) => {
      if (conn !== this._conn || es !== conn.socket) return;
      conn.lastReceived = Date.now();
      let data;
      try {
        data = typeof e.data === 'string' ? JSON.parse(e.data) : undefined;
      } catch (err) {
        this._listeners.emit('error', { code: 'bad_request', message: 'the server sent an event that is not JSON', cause: err });
        return;
      }
      fn(data, e);
    });
    on('welcome', (d) => {
      if (conn.welcomed) this._clientId = d.client; // a reopened stream: same connection for the app
      else this._onWelcome(conn, d.client, 0);
    });
    on('message', (d) => this._onPublication(d));
    on('subscribed', (d) => {
      const sub = this._subs.get(d.channel);
      if (sub && sub._state === 'subscribing') this._applySubscribed(sub, d, d.recovered !== undefined);
      else if (!sub) this._serverEpochs.set(d.channel, d.epoch);
    });
    on('direct', (d) => this._listeners.emit('message', { event: d.event, data: d.data === undefined ? null : d.data }));
    on('unsubscribed', (d) => this._onServerUnsubscribed(d.channel));
    on('close', (d) => {
      es.close(); // EventSource would reconnect by itself; this client decides
      this._lost(conn, d.code, d.reason || 'closed by the server');
    });
    on('error', (d, e) => {
      if (d === undefined) { // EventSource's own: the stream failed or ended
        es.close();
        const refused = e && e.code === 401; // the `eventsource` package says the status; browsers do not
        this._lost(conn, refused ? 3501 : 1006, refused ? 'the token was refused (HTTP 401)'
          : conn.welcomed ? 'the stream ended' : 'cannot open the stream');
        return;
      }
      const sub = d.channel !== undefined ? this._subs.get(d.channel) : undefined;
      if (!sub) {
        this._listeners.emit('error', { code: d.code || 'internal', message: d.message || '' });
        return;
      }
      const retry = d.code === 'unavailable'; // the server closes with 3000 next; the new stream asks again
      if (!retry) {
        this._subs.delete(sub._channel);
        sub._state = 'unsubscribed';
      }
      sub._listeners.emit('error', { channel: sub._channel, code: d.code, message: d.message, retry });
    });
  }

  /** The SSE event id (protocol.md, "The event id") of this client's positions: resumes them on a new stream. */
  _sseEventId() {
    const entries = [];
    for (const sub of this._subs.values()) {
      if (sub._position) entries.push(`${sub._channel},${escapeIdField(sub._position.epoch)},${sub._position.offset}`);
    }
    return entries.join(';');
  }
}

function checkName(what, value) {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${what} is ${JSON.stringify(value)}; it must be a non-empty string`);
  }
}

function unsupported(type) {
  return new PushlineError('unsupported', `${type} is not possible over SSE, which is receive-only`);
}

/** Writes each UTF-8 byte of a character a channel name may not hold as %XX. */
function escapeIdField(s) {
  return s.replace(/[^A-Za-z0-9_\-.:@/=$~+]/gu,
    (c) => [...new TextEncoder().encode(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
}

export default Pushline;
