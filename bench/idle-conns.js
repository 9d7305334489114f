#!/usr/bin/env node
'use strict';
// Opens N WebSocket connections to a peer, subscribes each to "bench" (v1 or raw protocol), prints
// "SUBSCRIBED <n>" once all are, keeps them idle until stdin closes or --hold seconds pass, then exits.
// Used by idle-heap.sh. Bounded: a connect timeout and a hold time.
//   node idle-conns.js --url ws://127.0.0.1:9000 --proto v1|raw --n 5000 [--hold 60]
const path = require('path');
const WebSocket = require(path.join(process.env.PEERS_DIR || path.join(__dirname, 'target/peers'), 'node_modules/ws'));
const a = process.argv.slice(2), o = { proto: 'v1', n: 1000, hold: 60, url: '' };
for (let i = 0; i < a.length; i += 2) o[a[i].replace(/^--/, '')] = a[i + 1];
const n = Number(o.n), v1 = o.proto === 'v1';
const url = o.url + (v1 ? '/pushline' : '/');
let subscribed = 0, opened = 0;
const conns = [];
setTimeout(() => { console.error('connect timeout; subscribed ' + subscribed); process.exit(3); }, 120000).unref();
function openOne() {
  if (opened >= n) return;
  opened++;
  const ws = new WebSocket(url, { perMessageDeflate: false });
  conns.push(ws);
  let done = false;
  ws.on('open', () => ws.send(v1 ? '{"type":"subscribe","id":1,"channel":"bench"}' : 'sub bench'));
  ws.on('message', (d) => {
    const s = d.toString();
    if (!done && (v1 ? s.startsWith('{"type":"subscribed"') : s.startsWith('ok '))) {
      done = true;
      if (++subscribed === n) { console.log('SUBSCRIBED ' + n); setTimeout(() => process.exit(0), Number(o.hold) * 1000); }
      openOne();
    }
  });
  ws.on('error', (e) => { console.error('error ' + e.message); process.exit(2); });
}
for (let i = 0; i < 200; i++) openOne();
