// pushline.js finds a dead server: a fake server (ws in this process) that welcomes and then stays silent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer } from 'ws';
import { client, Recorder } from './helpers.mjs';

/** A server speaking just enough protocol v1: a welcome (unless told not to), then silence. */
async function silentServer({ welcome = true, pingIntervalMs = 200 } = {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => wss.once('listening', resolve));
  const received = new Recorder({ on: (name, fn) => wss.on(name, fn) }, ['frame', 'connection']);
  let connections = 0;
  wss.on('connection', (ws) => {
    connections++;
    ws.on('message', (data) => wss.emit('frame', JSON.parse(String(data))));
    if (welcome) {
      ws.send(JSON.stringify({ type: 'welcome', client: `fake-${connections}`, protocol: 1, pingIntervalMs }));
    }
  });
  return {
    url: `ws://127.0.0.1:${wss.address().port}/pushline`,
    received,
    /** Sends a frame to every client connected to the fake server. */
    send: (frame) => wss.clients.forEach((ws) => ws.send(JSON.stringify(frame))),
    close: () => new Promise((resolve) => {
      for (const ws of wss.clients) ws.terminate();
      wss.close(resolve);
    }),
  };
}

test('silence for pingIntervalMs sends a ping; no answer within the grace drops the connection and reconnects', async () => {
  const server = await silentServer({ pingIntervalMs: 200 });
  const c = client(server.url);
  const events = new Recorder(c, ['connected', 'disconnected']);
  c.connect();
  await server.received.next('connection');
  const first = await events.next('connected');
  assert.equal(first.clientId, 'fake-1');
  const started = Date.now();
  assert.deepEqual(await server.received.next('frame'), { type: 'ping' });
  const gone = await events.next('disconnected');
  const silent = Date.now() - started;
  assert.equal(gone.code, 1006);
  assert.equal(gone.reconnect, true);
  assert.match(gone.reason, /no answer from the server/);
  // ping at 200 ms, then a grace of max(100, 250) = 250 ms: dead after about 450 ms of silence.
  assert.ok(silent >= 400 && silent < 2000, `dropped after ${silent} ms`);
  await server.received.next('connection');
  assert.equal((await events.next('connected')).clientId, 'fake-2');
  c.close();
  await server.close();
});

test('any message resets the silence: a server that answers pings keeps the connection', async () => {
  const server = await silentServer({ pingIntervalMs: 100 });
  const c = client(server.url);
  const events = new Recorder(c, ['connected', 'disconnected']);
  c.connect();
  await events.next('connected');
  // The fake server answers the first three pings, then stops: the client drops it only after that.
  for (let i = 0; i < 3; i++) {
    assert.equal((await server.received.next('frame')).type, 'ping');
    assert.equal(c.state, 'connected');
    events.take('disconnected').forEach((e) => assert.fail(`dropped: ${JSON.stringify(e)}`));
    server.send({ type: 'pong' });
  }
  const gone = await events.next('disconnected');
  assert.match(gone.reason, /no answer/);
  c.close();
  await server.close();
});

test('a server that never welcomes fails the attempt after connectTimeout', async () => {
  const server = await silentServer({ welcome: false });
  const c = client(server.url, { connectTimeout: 200 });
  const events = new Recorder(c, ['disconnected']);
  c.connect();
  const gone = await events.next('disconnected');
  assert.equal(gone.code, 1006);
  assert.match(gone.reason, /no welcome within 200 ms/);
  assert.equal(gone.reconnect, true);
  c.close();
  await server.close();
});
