// pushline.js against a real server: connect, subscribe, history, publish, rpc, presence, direct messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, connected, channel, publications, rejection, Recorder, PushlineError, WS } from './helpers.mjs';

test('connect goes connecting -> connected with the client id, close goes to closed', async () => {
  const c = client();
  const events = new Recorder(c, ['state', 'connected', 'disconnected']);
  assert.equal(c.state, 'disconnected');
  c.connect();
  assert.equal(c.state, 'connecting');
  const welcome = await events.next('connected');
  assert.equal(welcome.transport, 'websocket');
  assert.match(welcome.clientId, /.+/);
  assert.equal(c.clientId, welcome.clientId);
  assert.equal(c.state, 'connected');
  c.close();
  assert.equal(c.state, 'closed');
  assert.deepEqual(events.take('state').map((e) => [e.previous, e.state]),
    [['disconnected', 'connecting'], ['connecting', 'connected'], ['connected', 'closed']]);
  const gone = await events.next('disconnected');
  assert.equal(gone.reconnect, false);
});

test('subscribe delivers publications in order with offsets and epoch; unsubscribe stops them', async () => {
  const { c } = await connected();
  const ch = channel();
  const sub = c.subscribe(ch, () => {});
  const seen = new Recorder(sub, ['publication', 'subscribed']);
  const subscribed = await seen.next('subscribed');
  assert.equal(subscribed.channel, ch);
  assert.equal(subscribed.offset, 0);
  assert.equal(subscribed.resumed, false);
  assert.equal(subscribed.recovered, undefined);
  assert.equal(sub.state, 'subscribed');

  const first = await c.publish(ch, 'note', { text: 'hi' });
  assert.equal(first.offset, 1);
  assert.equal(first.epoch, subscribed.epoch);
  await c.publish(ch, 'note', 2);
  const [p1, p2] = await publications(seen, 2);
  assert.deepEqual(p1, { channel: ch, offset: 1, epoch: subscribed.epoch, event: 'note', data: { text: 'hi' } });
  assert.equal(p2.offset, 2);
  assert.deepEqual(sub.position, { offset: 2, epoch: subscribed.epoch });

  await sub.unsubscribe();
  assert.equal(sub.state, 'unsubscribed');
  assert.equal(c.getSubscription(ch), undefined);
  await c.rpc('test.publish', { channel: ch, n: 1 });
  // Another subscriber of the channel shows the publication went out; the unsubscribed one got nothing.
  const again = c.subscribe(ch, () => {}, { history: 1 });
  const later = new Recorder(again, ['publication']);
  assert.equal((await later.next('publication')).offset, 3);
  assert.equal(seen.take('publication').length, 0);
  c.close();
});

test('subscribe with history gets the last K first, then live ones, each once', async () => {
  const { c } = await connected();
  const ch = channel();
  await c.rpc('test.publish', { channel: ch, n: 5 });
  const sub = c.subscribe(ch, null, { history: 3 });
  const seen = new Recorder(sub, ['publication', 'subscribed']);
  const s = await seen.next('subscribed');
  assert.equal(s.offset, 5);
  assert.deepEqual((await publications(seen, 3)).map((p) => [p.offset, p.data]), [[3, 3], [4, 4], [5, 5]]);
  await c.publish(ch, 'tick', 6);
  assert.equal((await seen.next('publication')).offset, 6);
  c.close();
});

test('subscribe before connect is sent once connected; a second subscribe to a channel throws', async () => {
  const c = client();
  const ch = channel();
  const sub = c.subscribe(ch);
  assert.equal(sub.state, 'subscribing');
  assert.throws(() => c.subscribe(ch), /already subscribed/);
  assert.equal(c.getSubscription(ch), sub);
  const seen = new Recorder(sub, ['subscribed']);
  c.connect();
  await seen.next('subscribed');
  c.close();
});

test('a refused subscribe ends the subscription with the error', async () => {
  const { c } = await connected();
  const sub = c.subscribe('bad channel!');
  const seen = new Recorder(sub, ['error']);
  const e = await seen.next('error');
  assert.equal(e.code, 'invalid_channel');
  assert.equal(e.retry, false);
  assert.equal(sub.state, 'unsubscribed');
  assert.equal(c.getSubscription('bad channel!'), undefined);
  c.close();
});

test('rpc resolves with the result, rejects with the server code, and times out', async () => {
  const { c } = await connected();
  assert.deepEqual(await c.rpc('echo', { a: [1, 2] }), { a: [1, 2] });
  assert.equal(await c.rpc('echo'), null);
  const failed = await rejection(c.rpc('fail', 1));
  assert.ok(failed instanceof PushlineError);
  assert.equal(failed.code, 'order_not_found');
  assert.equal(failed.message, 'no such order');
  assert.equal((await rejection(c.rpc('nope'))).code, 'method_not_found');
  const slow = await rejection(c.rpc('never', null, { timeout: 100 }));
  assert.equal(slow.code, 'timeout');
  assert.equal(c.state, 'connected'); // a timeout does not end the connection
  assert.equal(await c.rpc('echo', 'still here'), 'still here');
  c.close();
});

test('publish where the server refuses it rejects with its code', async () => {
  const { c } = await connected();
  assert.equal((await rejection(c.publish('bad channel!', 'x', 1))).code, 'invalid_channel');
  c.close();
});

test('presence lists the subscribers; join and leave are heard with joinLeave', async () => {
  const { c: a } = await connected();
  const { c: b } = await connected();
  const ch = channel('room:');
  const subA = a.subscribe(ch, {}, { joinLeave: true });
  const seenA = new Recorder(subA, ['subscribed', 'join', 'leave']);
  await seenA.next('subscribed');
  const ownJoin = await seenA.next('join');
  assert.equal(ownJoin.client, a.clientId);
  assert.equal(ownJoin.user, '');
  assert.equal(ownJoin.info, null);

  const subB = b.subscribe(ch);
  await new Recorder(subB, ['subscribed']).next('subscribed');
  const join = await seenA.next('join', (e) => e.client === b.clientId);
  assert.equal(join.channel, ch);
  const present = await a.presence(ch);
  assert.deepEqual(present.map((p) => p.client).sort(), [a.clientId, b.clientId].sort());

  await subB.unsubscribe();
  assert.equal((await seenA.next('leave')).client, b.clientId);
  assert.equal((await rejection(a.presence(channel()))).code, 'not_subscribed');
  a.close();
  b.close();
});

test('presence where it is off rejects with presence_disabled', async () => {
  const { c } = await connected();
  const ch = channel();
  await new Recorder(c.subscribe(ch), ['subscribed']).next('subscribed');
  assert.equal((await rejection(c.presence(ch))).code, 'presence_disabled');
  c.close();
});

test('a direct message from the host is a message event', async () => {
  const { c, events } = await connected();
  assert.equal(await c.rpc('test.send', { client: c.clientId, event: 'notice', data: { text: 'hello' } }), true);
  assert.deepEqual(await events.next('message'), { event: 'notice', data: { text: 'hello' } });
  c.close();
});

test('publications of a subscription the host made server-side are publication events of the client', async () => {
  const { c, events } = await connected();
  const ch = channel();
  const mine = channel();
  const sub = c.subscribe(mine);
  await new Recorder(sub, ['subscribed']).next('subscribed');
  assert.equal(await c.rpc('test.subscribe', { client: c.clientId, channel: ch }), true);
  await c.publish(ch, 'pushed', 'to all');
  await c.publish(mine, 'mine', 'to the subscription only');
  const p = await events.next('publication');
  assert.equal(p.channel, ch);
  assert.equal(p.offset, 1);
  assert.equal(typeof p.epoch, 'string');
  assert.equal(p.data, 'to all');
  // An unsubscribed channel's late publications are not passed on as if the host had subscribed it.
  await sub.unsubscribe();
  await c.publish(mine, 'mine', 'after');
  await c.publish(ch, 'pushed', 'second');
  assert.equal((await events.next('publication')).data, 'second');
  assert.equal(events.take('publication').length, 0);
  c.close();
});

test('requests made while connecting wait for the connection; made while disconnected or closed they fail', async () => {
  const c = client();
  assert.equal((await rejection(c.rpc('echo', 1))).code, 'disconnected');
  c.connect();
  assert.equal(await c.rpc('echo', 'queued'), 'queued');
  c.close();
  assert.equal((await rejection(c.publish(channel(), 'x', 1))).code, 'closed');
});

test('close fails the requests waiting for a reply with closed', async () => {
  const { c } = await connected();
  const waiting = rejection(c.rpc('never', null, { timeout: 5000 }));
  c.close();
  assert.equal((await waiting).code, 'closed');
});

test('a request waiting for a connection that never comes times out', async () => {
  const c = client('ws://127.0.0.1:9/pushline', { requestTimeout: 150 });
  c.connect();
  const e = await rejection(c.rpc('echo', 1));
  assert.equal(e.code, 'timeout');
  c.close();
});

test('listeners that throw do not stop the others; unknown event names throw', async () => {
  const c = client(WS);
  assert.throws(() => c.on('nope', () => {}), /unknown event "nope"/);
  const original = console.error;
  console.error = () => {};
  try {
    c.on('connected', () => { throw new Error('listener bug'); });
    const events = new Recorder(c, ['connected']);
    c.connect();
    await events.next('connected');
  } finally {
    console.error = original;
    c.close();
  }
});
