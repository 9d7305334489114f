// Type declarations for pushline.js, the browser (and Node) client of Pushline's wire protocol v1.
// Served by the server's HTTP side at /pushline.d.ts, next to /pushline.js. See
// src/site/markdown/javascript-client.md for the whole story (reconnect, resume, fallback, heartbeat).

/**
 * The connection's state.
 *
 * - `disconnected`: not connected and not trying: before {@link Pushline.connect}, or after the server
 *   closed the connection with a code that means "do not reconnect" (3500–3999, 4500–4999; for example 3501
 *   when the token was refused). {@link Pushline.connect} may be called again (for example with a new token).
 * - `connecting`: opening a connection, or waiting the reconnect delay before the next try.
 * - `connected`: the server's `welcome` arrived; requests are sent at once.
 * - `closed`: the application called {@link Pushline.close}. {@link Pushline.connect} may be called again.
 */
export type State = 'disconnected' | 'connecting' | 'connected' | 'closed';

/** How the client is connected: WebSocket first; SockJS and SSE only as configured fallbacks. */
export type Transport = 'websocket' | 'sockjs' | 'sse';

/**
 * Error codes of a {@link PushlineError}: the protocol's (src/site/markdown/protocol.md, "Errors"), an
 * application's own rpc codes (any lower_snake_case string), and the client's own:
 *
 * - `timeout`: no reply within the request timeout (the server may still have done it). Also the server's
 *   code when an rpc handler did not answer within the server's `rpcTimeout`.
 * - `disconnected`: the connection dropped before the reply (a publish may or may not have been published,
 *   an rpc handler may or may not have run: requests are never sent twice), or the request was made while
 *   the client was `disconnected` (not trying to connect).
 * - `closed`: {@link Pushline.close} was called before the reply.
 * - `unsupported`: the request cannot be made over the current transport (publish, rpc and presence over
 *   SSE, which is receive-only).
 */
export type ErrorCode =
  | 'bad_request' | 'unknown_type' | 'invalid_channel' | 'already_subscribed' | 'not_subscribed'
  | 'limit_exceeded' | 'forbidden' | 'unauthorized' | 'token_expired' | 'rate_limited' | 'unavailable'
  | 'cancelled' | 'presence_disabled' | 'method_not_found' | 'timeout' | 'internal'
  | 'disconnected' | 'closed' | 'unsupported'
  | (string & {});

/** A failed request: the server's error reply, or the client's own reason (see {@link ErrorCode}). */
export class PushlineError extends Error {
  constructor(code: ErrorCode, message: string);
  readonly name: 'PushlineError';
  readonly code: ErrorCode;
}

/** A position in a channel's stream. An offset means something only together with its epoch. */
export interface StreamPosition {
  offset: number;
  epoch: string;
}

/** A constructor with the browser's `WebSocket` API (in Node: `WebSocket` from the `ws` package). */
export type WebSocketConstructor = new (url: string) => any;

/** A constructor with the browser's `EventSource` API (in Node: `EventSource` from the `eventsource` package). */
export type EventSourceConstructor = new (url: string, init?: { withCredentials?: boolean }) => any;

/** The `SockJS` constructor of the sockjs-client library (1.x): `new SockJS(url, null, options)`. */
export type SockJSConstructor = new (url: string, reserved?: null, options?: object) => any;

/**
 * Where to go when WebSocket cannot connect: after {@link afterFailures} failures in a row to reach a
 * server `welcome` over WebSocket, the client tries SockJS (when `sockjs` and `SockJS` are given), then
 * SSE (when `sse` is given), each for as many tries, then WebSocket again, and so on, with the reconnect
 * backoff between tries. Once a transport got a `welcome` (SSE: its `welcome` event) the client stays on
 * it, across reconnects, until it fails `afterFailures` times in a row without a `welcome` again.
 */
export interface FallbackOptions {
  /**
   * The SockJS URL of the server's HTTP side, `http(s)://HOST:HTTPPORT/sockjs`. SockJS carries protocol v1
   * in full: everything works as over WebSocket. Needs {@link SockJS}: pushline.js has no dependencies.
   */
  sockjs?: string;
  /** The sockjs-client `SockJS` constructor (for example `window.SockJS` from its script tag). */
  SockJS?: SockJSConstructor;
  /**
   * The Server-Sent Events URL of the server's HTTP side, `http(s)://HOST:HTTPPORT/sse` (no query). SSE is
   * receive-only: subscriptions (with `history` and resume, `recovered` included), publications and
   * direct messages work; `publish`, `rpc` and `presence` fail with `unsupported`, and `joinLeave` is
   * ignored. The client opens one stream with every subscribed channel in its URL (at most 64) and reopens
   * it, resuming, whenever the set of channels changes. The token, if any, goes in the `token` query
   * parameter.
   */
  sse?: string;
  /** The `EventSource` constructor; default `globalThis.EventSource` (browsers have it, Node 20 does not). */
  EventSource?: EventSourceConstructor;
  /** Consecutive failures of a transport before a `welcome` that make the client try the next one. Default 2. */
  afterFailures?: number;
  /** Passed to `EventSource` for cookies on a cross-origin stream. Default false. */
  withCredentials?: boolean;
}

export interface PushlineOptions {
  /**
   * Credentials for a server with an `Authenticator`: a token, or a function returning one (or a promise
   * of one), called before every connection attempt and when the server says `token_expired` (the client
   * then sends `refresh`). Over WebSocket and SockJS the token is sent in a first `connect` message (never in
   * the URL); over SSE in the `token` query parameter. A refused token closes the connection with 3501:
   * the client stops (state `disconnected`, {@link DisconnectedEvent.reconnect} false) rather than retry.
   * A function that throws or rejects counts as a failed connection attempt (retried with backoff) and is
   * reported as an `error` event. The server reads the `connect` message only when it refused the opening
   * request without a token (as JwtAuthenticator does); one whose Authenticator admits anonymous
   * connections leaves the connection anonymous, which the client reports as an `error` event.
   */
  token?: string | (() => string | Promise<string>);
  /** The WebSocket constructor; default `globalThis.WebSocket`. Required in Node 20 (pass `ws`'s). */
  WebSocket?: WebSocketConstructor;
  /** Fallback transports; none by default. */
  fallback?: FallbackOptions;
  /**
   * Reconnect delays, in ms: after n failures in a row the delay is random between 0 and
   * min(maxReconnectDelay, minReconnectDelay × 2^(n−1)) ("full jitter"). The count of failures is reset once
   * a connection stayed `connected` for 5 s. Default 500.
   */
  minReconnectDelay?: number;
  /** The ceiling of the reconnect delay, in ms. Default 20,000. */
  maxReconnectDelay?: number;
  /**
   * How long a request (publish, rpc, presence, unsubscribe) waits for its reply, in ms, counted from the
   * call, time spent waiting for a connection included. Default 10,000. (A subscription has no timeout: it
   * waits for a connection as long as it takes, and is sent again on every new one.)
   */
  requestTimeout?: number;
  /**
   * How long a connection attempt may take until the server's `welcome`, in ms; then it counts as failed.
   * Default 10,000.
   */
  connectTimeout?: number;
  /** Log what the client does: `true` for `console.debug`, or a function taking the same arguments. */
  debug?: boolean | ((...args: any[]) => void);
}

/** The `state` event: every change of {@link Pushline.state}. */
export interface StateEvent {
  state: State;
  previous: State;
  /** Why, in words (for example "closed by the server: 3000 rebalancing"). */
  reason: string;
  /** The close code behind the change, when there is one. */
  code?: number;
}

/** The `connected` event: the server's `welcome` arrived. */
export interface ConnectedEvent {
  clientId: string;
  transport: Transport;
}

/** The `disconnected` event: a connection was lost, or could not be opened. */
export interface DisconnectedEvent {
  /** The close code: the server's (protocol.md, "Close codes"), 1006 for a lost or refused connection. */
  code: number;
  reason: string;
  /** Whether the client will try again (after {@link delay}); false: it stopped (state `disconnected` or `closed`). */
  reconnect: boolean;
  /** Milliseconds until the next try, when {@link reconnect}. */
  delay?: number;
}

/** A publication of a channel. */
export interface Publication {
  channel: string;
  /** Its offset in the channel's stream: one more than the previous publication's. */
  offset: number;
  /** The epoch of the stream, when the client knows it (always, for a channel it subscribed to). */
  epoch?: string;
  /** The event name given by the publisher. */
  event: string;
  /** Any JSON value; null when the publisher gave none. */
  data: any;
}

/**
 * A subscription took effect: the first time, and again after every reconnect (or SSE stream reopen).
 * Publications after {@link offset} follow (preceded by history, when asked for and due).
 */
export interface SubscribedEvent {
  channel: string;
  /** The channel's offset when the subscription took effect. */
  offset: number;
  epoch: string;
  /**
   * Only on a resume ({@link resumed} true): true when every missed publication follows (replayed from the
   * server's history, in order, none twice); false when the server could not replay them (history too short,
   * the epoch changed): **you missed data, reload your state**. Undefined on a fresh subscription.
   */
  recovered?: boolean;
  /** True when the client asked to resume from its last position (after a reconnect). */
  resumed: boolean;
}

/** A subscription failed: the server refused it, or (with {@link retry}) could not make it right now. */
export interface SubscriptionErrorEvent {
  channel: string;
  code: ErrorCode;
  message: string;
  /**
   * True for `unavailable` (the server's broker failed): the client asks again with the reconnect backoff.
   * False for a refusal (`forbidden`, `invalid_channel`, `limit_exceeded`, ...): the subscription has ended
   * (state `unsubscribed`).
   */
  retry: boolean;
}

/** A client joined or left a presence channel (only with `joinLeave: true`). */
export interface JoinLeaveEvent {
  channel: string;
  /** The connection's id (its `clientId`). */
  client: string;
  /** The authenticated user id; "" for anonymous connections. */
  user: string;
  /** The `info` claim of the user's token, or null. */
  info: any;
}

/** One entry of {@link Pushline.presence}. */
export interface PresenceEntry {
  client: string;
  user: string;
  info: any;
}

/** A message the host application sent to this connection only (`ClientConnection.send`). */
export interface DirectMessage {
  event: string;
  data: any;
}

/** Non-request errors: a token function that failed, a frame that was not JSON, a failed refresh, ... */
export interface ClientErrorEvent {
  code: ErrorCode;
  message: string;
  cause?: unknown;
}

export interface ClientEvents {
  state: StateEvent;
  connected: ConnectedEvent;
  disconnected: DisconnectedEvent;
  error: ClientErrorEvent;
  /** A direct message from the host application. */
  message: DirectMessage;
  /**
   * A publication of a channel the client has no {@link Subscription} for: one the host subscribed the
   * connection to server-side. Publications of the client's own subscriptions go to those only.
   */
  publication: Publication;
}

/** The server (the host application) ended a subscription: `channel.unsubscribe(connection)`. */
export interface UnsubscribedEvent {
  channel: string;
  reason: string;
}

export interface SubscriptionHandlers {
  publication?: (p: Publication) => void;
  subscribed?: (e: SubscribedEvent) => void;
  error?: (e: SubscriptionErrorEvent) => void;
  join?: (e: JoinLeaveEvent) => void;
  leave?: (e: JoinLeaveEvent) => void;
  unsubscribed?: (e: UnsubscribedEvent) => void;
}

export interface SubscriptionEvents {
  publication: Publication;
  subscribed: SubscribedEvent;
  error: SubscriptionErrorEvent;
  join: JoinLeaveEvent;
  leave: JoinLeaveEvent;
  /** Not fired by {@link Subscription.unsubscribe}: only when the server ended the subscription. */
  unsubscribed: UnsubscribedEvent;
}

export interface SubscribeOptions {
  /**
   * Ask for the last K publications (0 to 1,000,000) still in the server's history, delivered after
   * `subscribed` and before live ones, whenever the subscription starts without continuity: the first time,
   * and after a resume that came back `recovered: false`. Default 0.
   */
  history?: number;
  /** Hear `join` and `leave` on a channel with presence on. WebSocket and SockJS only. Default false. */
  joinLeave?: boolean;
}

/**
 * - `subscribing`: sent, or waiting for a connection to be sent on;
 * - `subscribed`: in effect on the current connection;
 * - `unsubscribed`: ended by {@link Subscription.unsubscribe}, by a refusal, or by the server.
 *
 * {@link Pushline.close} does not end subscriptions: they wait (`subscribing`) for the next connect.
 */
export type SubscriptionState = 'subscribing' | 'subscribed' | 'unsubscribed';

/**
 * One channel's subscription. Kept across reconnects: after each one the client subscribes again with
 * `since` {@link position}, and the server replays what was missed (`recovered: true`) or says it cannot
 * (`recovered: false`). Publications are delivered in offset order, never the same offset of an epoch twice.
 */
export interface Subscription {
  readonly channel: string;
  readonly state: SubscriptionState;
  /**
   * Where the subscription resumes from after a reconnect: the position of the last publication delivered;
   * after a fresh `subscribed`, its offset less the `history` asked for (that history follows). Null before
   * the first `subscribed`.
   */
  readonly position: StreamPosition | null;
  /** Adds a handler; returns a function that removes it. */
  on<K extends keyof SubscriptionEvents>(event: K, fn: (e: SubscriptionEvents[K]) => void): () => void;
  /**
   * Ends the subscription: no handler of it is called afterwards. Resolves once the server confirmed, or at
   * once when not connected (the subscription is just forgotten: a new connection does not subscribe it).
   * Never rejects: a connection lost meanwhile ends the server's subscription too.
   */
  unsubscribe(): Promise<void>;
}

/**
 * A Pushline client: one connection (WebSocket, or a fallback) carrying any number of subscriptions,
 * reconnecting on its own with exponential backoff and full jitter, resuming every subscription where it
 * left off.
 *
 * ```js
 * import { Pushline } from 'http://localhost:8026/pushline.js';
 * const client = new Pushline('ws://localhost:8025/pushline');
 * client.subscribe('news', (p) => console.log(p.event, p.data), { history: 10 });
 * client.connect();
 * ```
 *
 * Requests (`subscribe`, `publish`, `rpc`, `presence`) made while `connecting` wait for the connection,
 * within `requestTimeout`; made while `disconnected` or `closed` they fail with `disconnected` / `closed`
 * (a subscription made then is kept, and sent by the next {@link connect}).
 *
 * Handlers and listeners are called one at a time; one that throws is reported on the console and does not
 * stop the others.
 */
export class Pushline {
  /** @param url the WebSocket URL, `ws(s)://HOST:PORT/pushline` */
  constructor(url: string, options?: PushlineOptions);

  readonly state: State;
  /** The server's id for the current connection; null when not connected. */
  readonly clientId: string | null;
  /** The transport of the current (or last) connection. */
  readonly transport: Transport;

  /** Starts connecting (state `connecting`); does nothing when already connecting or connected. */
  connect(): void;
  /**
   * Closes the connection (code 1000), stops reconnecting, fails every waiting request with `closed`
   * (state `closed`). Subscriptions are kept, and resumed by a later {@link connect}.
   */
  close(): void;

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof ClientEvents>(event: K, fn: (e: ClientEvents[K]) => void): () => void;

  /**
   * Subscribes to a channel (sent at once when connected, else when connected). Throws an Error when the
   * client has a subscription to this channel already (use {@link getSubscription}).
   * @param handlers a publication handler, or handlers by event name
   */
  subscribe(channel: string, handlers?: ((p: Publication) => void) | SubscriptionHandlers,
    options?: SubscribeOptions): Subscription;
  /** The client's subscription to a channel, if any. */
  getSubscription(channel: string): Subscription | undefined;

  /**
   * Publishes to a channel, where the server allows client publishing (else `forbidden`). Resolves with the
   * publication's position.
   */
  publish(channel: string, event: string, data?: any): Promise<StreamPosition>;
  /** Calls a method the host application registered; resolves with its result. */
  rpc(method: string, data?: any, options?: { timeout?: number }): Promise<any>;
  /** Who is subscribed to a channel this client is subscribed to (where the server keeps presence). */
  presence(channel: string): Promise<PresenceEntry[]>;
}

export default Pushline;
