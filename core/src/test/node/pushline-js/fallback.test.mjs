// pushline.js falls back to SockJS and to Server-Sent Events when the WebSocket cannot connect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';
import SockJS from 'sockjs-client';
import { client, connected, channel, publications, rejection, Recorder, closedPort, HTTP } from './helpers.mjs';

async function control() {
  return (await connected()).c;
}

/** A client whose WebSocket URL refuses connections, with the given fallback. */
async function refusedWebSocket(fallback) {
  const port = await closedPort();
  const c = client(`ws://127.0.0.1:${port}/pushline`, { fallback });
  return { c, events: new Recorder(c, ['state', 'connected', 'disconnected', 'error', 'message']) };
}

test('SSE: after two WebSocket failures the client streams its subscriptions over SSE, history and resume included', async () => {
  const ctl = await control();
  const ch = channel();
  await ctl.rpc('test.publish', { channel: ch, n: 3 });
  const { c, events } = await refusedWebSocket({ sse: `${HTTP}/sse`, EventSource });
  const sub = c.subscribe(ch, null, { history: 2 });
  const seen = new Recorder(sub, ['subscribed', 'publication']);
  c.connect();
  assert.equal((await events.next('disconnected')).code, 1006);
  assert.equal((await events.next('disconnected')).code, 1006);
  const up = await events.next('connected');
  assert.equal(up.transport, 'sse');
  assert.equal(c.transport, 'sse');
  const s = await seen.next('subscribed');
  assert.equal(s.offset, 3);
  assert.equal(s.resumed, false);
  assert.deepEqual((await publications(seen, 2)).map((p) => p.offset), [2, 3]);
  await ctl.publish(ch, 'live', 4);
  const live = await seen.next('publication');
  assert.deepEqual(live, { channel: ch, offset: 4, epoch: s.epoch, event: 'live', data: 4 });

  // Receive-only.
  assert.equal((await rejection(c.publish(ch, 'x', 1))).code, 'unsupported');
  assert.equal((await rejection(c.rpc('echo', 1))).code, 'unsupported');
  assert.equal((await rejection(c.presence(ch))).code, 'unsupported');

  // A second subscription reopens the stream with both channels; the first resumes where it was.
  const ch2 = channel();
  const sub2 = c.subscribe(ch2);
  const seen2 = new Recorder(sub2, ['subscribed', 'publication']);
  const again = await seen.next('subscribed');
  assert.equal(again.resumed, true);
  assert.equal(again.recovered, true);
  assert.equal((await seen2.next('subscribed')).resumed, false);
  await ctl.publish(ch, 'live', 5);
  await ctl.publish(ch2, 'live', 1);
  assert.equal((await seen.next('publication')).offset, 5);
  assert.equal((await seen2.next('publication')).offset, 1);
  assert.equal(seen.take('publication').length, 0);

  // The server drops the stream (3000) and publishes meanwhile: the client reopens it over SSE and resumes.
  await ctl.rpc('test.close', { client: c.clientId, code: 3000, publish: { channel: ch, n: 2 } });
  const gone = await events.next('disconnected');
  assert.equal(gone.code, 3000);
  assert.equal(gone.reconnect, true);
  assert.equal((await events.next('connected')).transport, 'sse');
  const resumed = await seen.next('subscribed');
  assert.equal(resumed.recovered, true);
  assert.deepEqual((await publications(seen, 2)).map((p) => p.offset), [6, 7]);

  // Unsubscribing reopens the stream without the channel.
  await sub2.unsubscribe();
  await seen.next('subscribed'); // the reopened stream
  await ctl.publish(ch2, 'live', 2);
  await ctl.publish(ch, 'live', 8);
  assert.equal((await seen.next('publication')).offset, 8);
  assert.equal(seen2.take('publication').length, 0);

  // A close that says "do not reconnect" stops the client.
  await ctl.rpc('test.close', { client: c.clientId, code: 3500 });
  const stopped = await events.next('disconnected', (e) => e.code === 3500);
  assert.equal(stopped.reconnect, false);
  assert.equal(c.state, 'disconnected');
  c.close();
  ctl.close();
});

test('SSE: a direct message from the host is a message event', async () => {
  const ctl = await control();
  const { c, events } = await refusedWebSocket({ sse: `${HTTP}/sse`, EventSource, afterFailures: 1 });
  const sub = c.subscribe(channel());
  c.connect();
  await new Recorder(sub, ['subscribed']).next('subscribed');
  await ctl.rpc('test.send', { client: c.clientId, event: 'notice', data: [1] });
  assert.deepEqual(await events.next('message'), { event: 'notice', data: [1] });
  c.close();
  ctl.close();
});

test('SockJS: after the WebSocket failures the client speaks protocol v1 over SockJS, everything included', async () => {
  const ctl = await control();
  const { c, events } = await refusedWebSocket({ sockjs: `${HTTP}/sockjs`, SockJS, sse: `${HTTP}/sse`, EventSource });
  const ch = channel();
  const sub = c.subscribe(ch);
  const seen = new Recorder(sub, ['subscribed', 'publication']);
  c.connect();
  const up = await events.next('connected');
  assert.equal(up.transport, 'sockjs');
  assert.deepEqual(events.take('disconnected').map((e) => e.code), [1006, 1006]); // the WebSocket's tries
  await seen.next('subscribed');
  assert.equal((await c.publish(ch, 'note', 'over sockjs')).offset, 1);
  assert.equal((await seen.next('publication')).data, 'over sockjs');
  assert.equal(await c.rpc('echo', 'rpc over sockjs'), 'rpc over sockjs');
  assert.equal((await rejection(c.presence(ch))).code, 'presence_disabled');

  await ctl.rpc('test.close', { client: c.clientId, code: 3000, publish: { channel: ch, n: 3 } });
  assert.equal((await events.next('disconnected')).code, 3000);
  assert.equal((await events.next('connected')).transport, 'sockjs');
  const resumed = await seen.next('subscribed');
  assert.equal(resumed.recovered, true);
  assert.deepEqual((await publications(seen, 3)).map((p) => p.offset), [2, 3, 4]);
  c.close();
  ctl.close();
});

test('a fallback is only tried after afterFailures WebSocket failures; a WebSocket that works is kept', async () => {
  const { c } = await connected(undefined, { fallback: { sse: `${HTTP}/sse`, EventSource } });
  assert.equal(c.transport, 'websocket');
  c.close();
});
