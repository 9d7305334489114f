// pushline.js reconnects: backoff, resume with `recovered`, close codes that say "do not reconnect".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, connected, channel, publications, rejection, Recorder, closedPort } from './helpers.mjs';

/** A second client, to act on the server while the one under test is away. */
async function control() {
  return (await connected()).c;
}

test('after a close with 3000 the client reconnects and resumes: missed publications replayed, no gap, no duplicate', async () => {
  const ctl = await control();
  const { c, events } = await connected();
  const ch = channel();
  const sub = c.subscribe(ch);
  const seen = new Recorder(sub, ['subscribed', 'publication']);
  const first = await seen.next('subscribed');
  await ctl.rpc('test.publish', { channel: ch, n: 3 });
  await publications(seen, 3);
  const before = c.clientId;

  // The server closes the client with 3000, then publishes 5 more that the client is not there to get.
  await ctl.rpc('test.close', { client: before, code: 3000, publish: { channel: ch, n: 5 } });
  const gone = await events.next('disconnected');
  assert.equal(gone.code, 3000);
  assert.equal(gone.reconnect, true);
  assert.ok(gone.delay >= 0 && gone.delay <= 20, `first delay ${gone.delay} is within minReconnectDelay`);
  assert.equal((await events.next('state', (e) => e.previous === 'connected')).state, 'connecting');
  assert.notEqual((await events.next('connected')).clientId, before);

  const resumed = await seen.next('subscribed');
  assert.equal(resumed.resumed, true);
  assert.equal(resumed.recovered, true);
  assert.equal(resumed.epoch, first.epoch);
  assert.equal(resumed.offset, 8);
  const replayed = await publications(seen, 5);
  assert.deepEqual(replayed.map((p) => p.offset), [4, 5, 6, 7, 8]);
  await ctl.publish(ch, 'live', 'after');
  assert.equal((await seen.next('publication')).offset, 9);
  assert.equal(seen.take('publication').length, 0);
  assert.deepEqual(sub.position, { offset: 9, epoch: first.epoch });
  c.close();
  ctl.close();
});

test('when history cannot cover the gap the resume says recovered:false, then history and live ones follow', async () => {
  const ctl = await control();
  const { c, events } = await connected();
  const ch = channel('tiny:'); // the server keeps 2 publications of tiny:*
  const sub = c.subscribe(ch, null, { history: 1 });
  const seen = new Recorder(sub, ['subscribed', 'publication']);
  await seen.next('subscribed');
  await ctl.rpc('test.publish', { channel: ch, n: 1 });
  assert.equal((await seen.next('publication')).offset, 1);

  await ctl.rpc('test.close', { client: c.clientId, code: 3000, publish: { channel: ch, n: 5 } });
  await events.next('disconnected');
  const resumed = await seen.next('subscribed');
  assert.equal(resumed.resumed, true);
  assert.equal(resumed.recovered, false); // "you missed data, reload"
  assert.equal(resumed.offset, 6);
  assert.equal((await seen.next('publication')).offset, 6); // the history of 1 asked for
  await ctl.publish(ch, 'live', 7);
  assert.equal((await seen.next('publication')).offset, 7);
  c.close();
  ctl.close();
});

for (const code of [3500, 4500]) {
  test(`a close with ${code} stops the client: disconnected, no reconnect`, async () => {
    const ctl = await control();
    const { c, events } = await connected();
    const sub = c.subscribe(channel());
    const subscribed = new Recorder(sub, ['subscribed']);
    await subscribed.next('subscribed');
    const waiting = rejection(c.rpc('never', null, { timeout: 5000 }));
    await ctl.rpc('test.close', { client: c.clientId, code });
    const gone = await events.next('disconnected');
    assert.equal(gone.code, code);
    assert.equal(gone.reconnect, false);
    assert.equal(gone.delay, undefined);
    const state = await events.next('state', (e) => e.previous === 'connected');
    assert.equal(state.state, 'disconnected');
    assert.equal(state.code, code);
    assert.match(state.reason, /closed by the test/);
    assert.equal((await waiting).code, 'disconnected');
    assert.equal(sub.state, 'subscribing'); // kept for a later connect()
    // No further attempt: nothing changes within many reconnect delays (maxReconnectDelay is 200 ms).
    events.take('state');
    await assert.rejects(events.next('state', () => true, 500), /no "state" event/);
    // connect() starts again, and the subscription comes back.
    c.connect();
    await events.next('connected');
    await subscribed.next('subscribed');
    c.close();
    ctl.close();
  });
}

test('a close with 4000 (the application\'s "reconnect" range) reconnects', async () => {
  const ctl = await control();
  const { c, events } = await connected();
  await ctl.rpc('test.close', { client: c.clientId, code: 4000 });
  const gone = await events.next('disconnected');
  assert.equal(gone.code, 4000);
  assert.equal(gone.reconnect, true);
  await events.next('connected');
  c.close();
  ctl.close();
});

test('a request in flight when the connection drops fails with disconnected', async () => {
  const ctl = await control();
  const { c, events } = await connected();
  const waiting = rejection(c.rpc('never', null, { timeout: 5000 }));
  await ctl.rpc('test.close', { client: c.clientId, code: 3000 });
  assert.equal((await waiting).code, 'disconnected');
  await events.next('connected');
  c.close();
  ctl.close();
});

test('an unsubscribe while disconnected just forgets: the next connection does not subscribe it', async () => {
  const ctl = await control();
  const { c, events } = await connected(undefined, { minReconnectDelay: 300, maxReconnectDelay: 300 });
  const ch = channel();
  const keep = new Recorder(c.subscribe(channel()), ['subscribed']);
  const drop = c.subscribe(ch);
  await new Recorder(drop, ['subscribed']).next('subscribed');
  await ctl.rpc('test.close', { client: c.clientId, code: 3000 });
  await events.next('disconnected');
  await drop.unsubscribe(); // resolves at once
  assert.equal(drop.state, 'unsubscribed');
  await keep.next('subscribed', (e) => e.resumed);
  const dropped = new Recorder(drop, ['subscribed', 'publication']);
  await ctl.publish(ch, 'x', 1);
  await assert.rejects(dropped.next('publication', () => true, 200));
  c.close();
  ctl.close();
});

test('reconnect delays grow with failures (full jitter under min * 2^(n-1), capped at max)', async () => {
  const port = await closedPort();
  const c = client(`ws://127.0.0.1:${port}/pushline`, { minReconnectDelay: 10, maxReconnectDelay: 40 });
  const events = new Recorder(c, ['disconnected']);
  c.connect();
  const ceilings = [10, 20, 40, 40, 40];
  for (const ceiling of ceilings) {
    const e = await events.next('disconnected');
    assert.equal(e.code, 1006);
    assert.equal(e.reconnect, true);
    assert.ok(e.delay >= 0 && e.delay < ceiling, `delay ${e.delay} under ${ceiling}`);
  }
  assert.equal(c.state, 'connecting');
  c.close();
  assert.equal(c.state, 'closed');
});

test('a disconnected listener that calls close() after a close with 3000: one disconnected, closed, no reconnect; connect() starts again', async () => {
  const ctl = await control();
  const { c, events } = await connected();
  const subscribed = new Recorder(c.subscribe(channel()), ['subscribed']);
  await subscribed.next('subscribed');
  let calls = 0;
  const off = c.on('disconnected', () => {
    calls++;
    c.close(); // every time: a listener like this one used to recurse through close()'s own disconnected
  });
  await ctl.rpc('test.close', { client: c.clientId, code: 3000 });
  const gone = await events.next('disconnected');
  assert.equal(gone.code, 3000);
  assert.equal(c.state, 'closed');
  assert.equal(calls, 1);
  assert.deepEqual(events.take('state').map((e) => [e.previous, e.state]),
    [['disconnected', 'connecting'], ['connecting', 'connected'], ['connected', 'closed']]);
  // No reconnect: nothing happens within many reconnect delays (maxReconnectDelay is 200 ms).
  await assert.rejects(events.next('state', () => true, 500), /no "state" event/);
  assert.equal(events.take('disconnected').length, 0);
  assert.equal(events.take('connected').length, 0);
  assert.equal(c.state, 'closed');

  off();
  c.connect();
  await events.next('connected');
  await subscribed.next('subscribed'); // the subscription comes back
  assert.equal(c.state, 'connected');
  c.close();
  assert.equal(c.state, 'closed');
  ctl.close();
});

test('close() from a listener of close()\'s own disconnected is ignored: one disconnected, then closed', async () => {
  const { c, events } = await connected();
  let calls = 0;
  c.on('disconnected', () => {
    calls++;
    c.close();
  });
  c.close();
  assert.equal(calls, 1);
  assert.equal(c.state, 'closed');
  assert.equal(events.take('disconnected').length, 1);
  assert.deepEqual(events.take('state').map((e) => [e.previous, e.state]),
    [['disconnected', 'connecting'], ['connecting', 'connected'], ['connected', 'closed']]);
  c.connect();
  await events.next('connected');
  c.close();
});
