// pushline.js with credentials: a token string or function, sent in the connect message; a refused one stops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';
import { client, connected, channel, Recorder, closedPort, AUTH_WS, AUTH_HTTP } from './helpers.mjs';

test('a token string authenticates the connection', async () => {
  const { c } = await connected(AUTH_WS, { token: 'alice-token' });
  assert.equal(await c.rpc('whoami'), 'alice');
  c.close();
});

test('an async token function is called before every connection attempt', async () => {
  const calls = [];
  const { c, events } = await connected(AUTH_WS, {
    token: async () => {
      calls.push(Date.now());
      return calls.length === 1 ? 'alice-token' : 'bob-token';
    },
  });
  assert.equal(await c.rpc('whoami'), 'alice');
  const ctl = (await connected(AUTH_WS, { token: 'alice-token' })).c;
  await ctl.rpc('test.close', { client: c.clientId, code: 3000 });
  await events.next('connected');
  assert.equal(calls.length, 2);
  assert.equal(await c.rpc('whoami'), 'bob');
  c.close();
  ctl.close();
});

test('a refused token stops the client with 3501 and the reason, without retrying', async () => {
  let calls = 0;
  const c = client(AUTH_WS, { token: () => { calls++; return 'mallory-token'; } });
  const events = new Recorder(c, ['state', 'disconnected', 'connected']);
  c.connect();
  const gone = await events.next('disconnected');
  assert.equal(gone.code, 3501);
  assert.equal(gone.reconnect, false);
  assert.match(gone.reason, /unknown token/);
  const state = await events.next('state', (e) => e.state === 'disconnected');
  assert.equal(state.code, 3501);
  assert.equal(c.state, 'disconnected');
  events.take('state');
  // No storm: no other attempt within many reconnect delays (maxReconnectDelay is 200 ms).
  await assert.rejects(events.next('state', () => true, 500));
  assert.equal(calls, 1);
  c.close();
});

test('no token where the server needs one: refused after the connect timeout of the server', async () => {
  // Without a token the client sends no connect message, and the server closes with 3501 after its
  // connectTimeout (1 s on the test's server): the client is told why and does not retry.
  const c = client(AUTH_WS);
  const events = new Recorder(c, ['disconnected']);
  c.connect();
  const gone = await events.next('disconnected', () => true, 4000);
  assert.equal(gone.code, 3501);
  assert.equal(gone.reconnect, false);
  c.close();
});

test('a token function that throws is an error event and a failed attempt, retried with backoff', async () => {
  let calls = 0;
  const c = client(AUTH_WS, {
    token: () => {
      calls++;
      if (calls === 1) throw new Error('login service down');
      return 'alice-token';
    },
  });
  const events = new Recorder(c, ['error', 'disconnected', 'connected']);
  c.connect();
  const error = await events.next('error');
  assert.match(error.message, /login service down/);
  assert.equal((await events.next('disconnected')).reconnect, true);
  await events.next('connected');
  assert.equal(calls, 2);
  c.close();
});

test('over SSE the token goes in the URL; a refused one (HTTP 401) stops the client like 3501', async () => {
  const port = await closedPort();
  const sse = { sse: `${AUTH_HTTP}/sse`, EventSource, afterFailures: 1 };
  const good = client(`ws://127.0.0.1:${port}/pushline`, { token: async () => 'alice-token', fallback: sse });
  const subscribed = new Recorder(good.subscribe(channel()), ['subscribed']);
  const goodEvents = new Recorder(good, ['connected']);
  good.connect();
  assert.equal((await goodEvents.next('connected')).transport, 'sse');
  await subscribed.next('subscribed');
  good.close();

  const bad = client(`ws://127.0.0.1:${port}/pushline`, { token: 'mallory-token', fallback: sse });
  bad.subscribe(channel());
  const events = new Recorder(bad, ['disconnected']);
  bad.connect();
  assert.equal((await events.next('disconnected')).code, 1006); // the WebSocket attempt
  const refused = await events.next('disconnected');
  assert.equal(refused.code, 3501);
  assert.equal(refused.reconnect, false);
  assert.equal(bad.state, 'disconnected');
  bad.close();
});

test('when the token expires the client gets a new one from the token function and sends refresh', async () => {
  let calls = 0;
  let refreshed;
  const called = new Promise((resolve) => { refreshed = resolve; });
  const { c, events } = await connected(AUTH_WS, {
    token: async () => {
      calls++;
      if (calls === 1) return 'alice-short'; // expires 300 ms later: the server says token_expired
      setTimeout(refreshed, 0); // once the client has sent refresh with what this returns
      return 'alice-token';
    },
  });
  assert.notEqual(await c.rpc('expiresAt'), 'null');
  await called;
  // Requests are handled in order: this one comes after the refresh.
  assert.equal(await c.rpc('expiresAt'), 'null');
  assert.equal(await c.rpc('whoami'), 'alice');
  assert.equal(calls, 2);
  assert.deepEqual(events.take('disconnected'), []);
  assert.deepEqual(events.take('error'), []);
  c.close();
});
