#!/usr/bin/env node
'use strict';
// Ratios of each Pushline peer to every other peer measured in the same results file(s):
//   deliveries/s in max mode (higher is better, target >= 1.0 vs jws-raw),
//   p99 in rate mode (lower is better, target <= 1.2 vs jws-raw),
//   KiB/conn (lower is better), all on medians over repeated runs.
// Also checks lost / gaps / duplicates / dropped connections of every run.
//   node bench/ratios.js bench/target/peers/results/run-*.jsonl
const fs = require('fs');
const files = process.argv.slice(2);
if (!files.length) { console.error('usage: ratios.js results.jsonl...'); process.exit(2); }
const rows = [];
for (const f of files) for (const l of fs.readFileSync(f, 'utf8').split('\n')) if (l.trim()) rows.push(JSON.parse(l));
const ok = rows.filter((r) => !r.error);
const med = (a) => { const s = a.filter(Number.isFinite).sort((x, y) => x - y); const n = s.length;
  return !n ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const pick = (label, n, isMax, key) => med(ok.filter((r) => r.label === label && r.N === n
  && r.mode.startsWith('max') === isMax).map((r) => r[key]));
const labels = [...new Set(ok.map((r) => r.label))];
const ours = labels.filter((l) => l.startsWith('pushline'));
const others = ['jws-raw', 'netty', 'ws-raw', 'socketio', ...labels].filter((l, i, a) => labels.includes(l) && a.indexOf(l) === i);
const ns = [...new Set(ok.map((r) => r.N))].sort((a, b) => a - b);
const f2 = (v) => (Number.isFinite(v) ? v.toFixed(2) : '-');
const metrics = [
  ['deliveries/s, max mode (higher is better)', true, 'deliveriesPerSec'],
  ['p99 ms, rate mode (lower is better)', false, 'p99ms'],
  ['KiB/conn, max mode (lower is better)', true, 'kibPerConn'],
];
for (const us of ours) {
  for (const [title, isMax, key] of metrics) {
    const cols = others.filter((o) => o !== us);
    console.log(`\n${us} / peer: ${title}\n`);
    console.log(`| N | ${us} | ${cols.map((c) => `÷ ${c}`).join(' | ')} |`);
    console.log(`|---:|---:|${cols.map(() => '---:').join('|')}|`);
    for (const n of ns) {
      const mine = pick(us, n, isMax, key);
      if (!Number.isFinite(mine)) continue;
      const shown = key === 'deliveriesPerSec' ? Math.round(mine).toLocaleString('en-US') : mine.toFixed(1);
      console.log(`| ${n} | ${shown} | ${cols.map((c) => f2(mine / pick(c, n, isMax, key))).join(' | ')} |`);
    }
  }
}
console.log('\nintegrity (every run): lost, gaps, duplicates, dropped connections, failed runs');
for (const l of labels.length ? [...new Set(rows.map((r) => r.label))] : []) {
  const rs = rows.filter((r) => r.label === l), good = rs.filter((r) => !r.error);
  const sum = (k) => good.reduce((a, r) => a + (r[k] || 0), 0);
  console.log(`  ${l.padEnd(16)} runs ${String(rs.length).padStart(3)}  lost ${sum('lost')}  gaps ${sum('gaps')}  dup ${sum('dupOrOld')}`
    + `  dropped conns ${sum('lostConns')}  failed ${rs.length - good.length}`);
}
