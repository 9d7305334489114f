// Helpers of the pushline.js tests (run by dev.pushline.PushlineJsTest, which starts the servers and passes
// their URLs in the environment).
import WebSocket from 'ws';
import { Pushline } from '../../../main/resources/dev/pushline/js/pushline.js';

export { Pushline, WebSocket };
export { PushlineError } from '../../../main/resources/dev/pushline/js/pushline.js';

/** The open server's WebSocket URL and HTTP side, and those of the server with an authenticator. */
export const WS = process.env.PUSHLINE_WS;
export const HTTP = process.env.PUSHLINE_HTTP;
export const AUTH_WS = process.env.PUSHLINE_AUTH_WS;
export const AUTH_HTTP = process.env.PUSHLINE_AUTH_HTTP;
if (!WS || !HTTP || !AUTH_WS || !AUTH_HTTP) {
  throw new Error('PUSHLINE_WS, PUSHLINE_HTTP, PUSHLINE_AUTH_WS and PUSHLINE_AUTH_HTTP must be set '
    + '(dev.pushline.PushlineJsTest does)');
}

/** Options every test client gets: the ws WebSocket, fast reconnects. */
export function client(url = WS, options = {}) {
  return new Pushline(url, { WebSocket, minReconnectDelay: 20, maxReconnectDelay: 200, ...options });
}

let unique = 0;
/** A channel name of its own for each test (the servers live across the tests of a file). */
export function channel(prefix = 'c') {
  return `${prefix}${prefix.endsWith(':') ? '' : '-'}${process.pid}-${Date.now()}-${++unique}`;
}

/**
 * Records the events of an emitter (anything with `on(name, fn)`), so a test can wait for one without a
 * race: `next` takes the first recorded event of that name that matches, waiting at most `ms`.
 */
export class Recorder {
  constructor(target, names) {
    this.queue = [];
    this.waiters = [];
    this.all = [];
    for (const name of names) target.on(name, (e) => this.push(name, e));
  }

  push(name, event) {
    this.all.push({ name, event });
    const i = this.waiters.findIndex((w) => w.name === name && w.match(event));
    if (i >= 0) {
      const [w] = this.waiters.splice(i, 1);
      clearTimeout(w.timer);
      w.resolve(event);
    } else {
      this.queue.push({ name, event });
    }
  }

  next(name, match = () => true, ms = 5000) {
    const i = this.queue.findIndex((q) => q.name === name && match(q.event));
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0].event);
    return new Promise((resolve, reject) => {
      const w = { name, match, resolve };
      w.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`no "${name}" event within ${ms} ms; recorded: ${JSON.stringify(this.all)}`));
      }, ms);
      this.waiters.push(w);
    });
  }

  /** Every recorded event of `name` not taken by `next` yet. */
  take(name) {
    const taken = this.queue.filter((q) => q.name === name).map((q) => q.event);
    this.queue = this.queue.filter((q) => q.name !== name);
    return taken;
  }
}

/** A connected client plus its recorder. */
export async function connected(url = WS, options = {}) {
  const c = client(url, options);
  const events = new Recorder(c, ['state', 'connected', 'disconnected', 'error', 'message', 'publication']);
  c.connect();
  await events.next('connected');
  return { c, events };
}

/** Waits for `n` publications recorded on a subscription recorder. */
export async function publications(recorder, n, ms = 5000) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await recorder.next('publication', () => true, ms));
  return out;
}

/** Resolves with what `promise` rejects with; fails if it resolves. */
export async function rejection(promise) {
  try {
    const value = await promise;
    throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
  } catch (e) {
    if (e.message && e.message.startsWith('expected a rejection')) throw e;
    return e;
  }
}

/** A port nothing listens on (bound, then released). */
export async function closedPort() {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
