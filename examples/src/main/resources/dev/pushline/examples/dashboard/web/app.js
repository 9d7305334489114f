// The Pushline live dashboard page: a simulated market and the push server's own metrics, drawn live.
//
// Data. One channel per ticker, `ticker:<SYMBOL>`, each publication (event `quote`) the ticker's whole
// state: price, open, high, low, change, time. And `metrics:server` once a second (event `metrics`): the
// server's connections, rates and queues, with the last minute of rates for the chart. Both namespaces keep
// one publication of history and have the slow-consumer policy KEEP_LATEST: the page subscribes with
// `history: 1`, so it shows each channel's current state at once, and again after a reconnect, whatever it
// missed; and when it reads too slowly the server holds back only each channel's newest publication, so
// the page skips ticks (it sees the offsets jump and counts them) instead of falling further behind.
//
// Drawing. A publication only updates the state of its ticker and marks it dirty; one requestAnimationFrame
// callback draws what changed, at most once a frame, however many quotes arrived since the last one. Canvas
// sizes come from a ResizeObserver, so a frame writes and draws without reading layout.
//
// The client is pushline.js (reconnect with backoff, resume of every subscription), served by the demo's
// page server at /pushline.js from pushline-core's classpath.
//
// The DOM contract, which DashboardBrowserIT reads:
//   [data-part="status"] with data-state: connecting, connected, reconnecting, offline
//   [data-part="ticker"][data-symbol="ACME"] per ticker, with data-price (the last price, as published),
//     data-offset (its publication's offset) and data-direction (up, down, flat: change since the open)
//   [data-part="updates"] with data-updates: quotes received since the page loaded
//   [data-part="skipped"] with data-skipped: quotes the page never saw (offset jumps within an epoch)
//   [data-part="reconnects"] with data-reconnects: connections after the first
//   [data-part="metric"][data-metric="connections"] (and the other fields of the metrics) with data-value
// Everything the server sends is written with textContent, never as HTML.

import { Pushline } from './pushline.js';

const SPARK_WINDOW_MS = 60_000;
const SPARK_MAX_POINTS = 2_000;
const CONFIG_RETRY_MS = 2_000;
const COLORS = {
  up: '#3fb950', upFill: 'rgba(63, 185, 80, 0.12)',
  down: '#f85149', downFill: 'rgba(248, 81, 73, 0.12)',
  deliveries: '#58a6ff', publications: '#bc8cff', grid: '#2a333c', label: '#7d8a96',
};

const part = (name, root = document) => root.querySelector(`[data-part="${name}"]`);
const el = {
  status: part('status'),
  statusText: part('status-text'),
  tickers: part('tickers'),
  chart: part('metrics-chart'),
  updates: part('updates'),
  rate: part('rate'),
  skipped: part('skipped'),
  reconnects: part('reconnects'),
  resumeNote: part('resume-note'),
  metrics: new Map([...document.querySelectorAll('[data-part="metric"]')].map((e) => [e.dataset.metric, e])),
};

const tickers = new Map();     // symbol -> ticker state, see addTicker
const dirty = new Set();       // tickers changed since the last frame
const sizes = new Map();       // canvas -> its size in device pixels, from the ResizeObserver
let metrics = null;            // the data of the latest metrics publication
let metricsDirty = false;
let updates = 0;               // quotes received
let skipped = 0;               // quotes never received: offset jumps within an epoch
let reconnects = 0;
let everConnected = false;
let resume = null;             // how the channels resumed after the last reconnect
let frameRequested = false;
let rate = null;               // quotes per second received, over the last second or so
let rateSince = performance.now();
let rateUpdates = 0;

const priceFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const countFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

const resizes = new ResizeObserver((entries) => {
  const dpr = window.devicePixelRatio || 1;
  for (const entry of entries) {
    const box = entry.contentRect;
    sizes.set(entry.target, { width: Math.round(box.width * dpr), height: Math.round(box.height * dpr), dpr });
    const ticker = entry.target.ticker;
    if (ticker) dirty.add(ticker);
    else metricsDirty = true;
  }
  requestDraw();
});
resizes.observe(el.chart);

// --- state ----------------------------------------------------------------------------------------

function addTicker(symbol) {
  const span = (name, text) => {
    const s = document.createElement('span');
    s.className = name;
    s.dataset.part = name;
    s.textContent = text;
    return s;
  };
  const row = document.createElement('div');
  row.className = 'ticker';
  row.dataset.part = 'ticker';
  row.dataset.symbol = symbol;
  const canvas = document.createElement('canvas');
  canvas.className = 'spark';
  canvas.dataset.part = 'spark';
  const ticker = {
    symbol, row, canvas,
    price: span('price', '—'),
    change: span('change', ''),
    quote: null,       // the latest quote
    tick: 0,           // the sign of the last price move
    epoch: null,       // position of the latest quote
    offset: 0,
    points: [],        // {t, p} of the quotes of the last SPARK_WINDOW_MS, oldest first
  };
  canvas.ticker = ticker;
  row.append(span('symbol', symbol), ticker.price, ticker.change, canvas);
  el.tickers.append(row);
  tickers.set(symbol, ticker);
  resizes.observe(canvas);
  return ticker;
}

function onQuote(ticker, publication) {
  const quote = publication.data;
  if (!quote || typeof quote.price !== 'number') return;
  if (ticker.epoch === publication.epoch) {
    if (publication.offset > ticker.offset + 1) skipped += publication.offset - ticker.offset - 1;
  } else if (ticker.epoch !== null) {
    ticker.points = []; // a new stream (the server restarted): another market
  }
  ticker.epoch = publication.epoch;
  ticker.offset = publication.offset;
  ticker.tick = ticker.quote ? Math.sign(quote.price - ticker.quote.price) : 0;
  ticker.quote = quote;
  const points = ticker.points;
  points.push({ t: quote.time, p: quote.price });
  let old = 0;
  while (old < points.length && points[old].t < quote.time - SPARK_WINDOW_MS) old++;
  old = Math.max(old, points.length - SPARK_MAX_POINTS);
  if (old > 0) points.splice(0, old);
  updates++;
  dirty.add(ticker);
  requestDraw();
}

function onMetrics(publication) {
  if (!publication.data || !Array.isArray(publication.data.recent)) return;
  metrics = publication.data;
  metricsDirty = true;
  requestDraw();
}

function onSubscribed(event) {
  if (!event.resumed || !resume) return;
  resume.resumed++;
  if (event.recovered) resume.recovered++;
  const notRecovered = resume.resumed - resume.recovered;
  el.resumeNote.hidden = false;
  el.resumeNote.dataset.resumed = String(resume.resumed);
  el.resumeNote.dataset.recovered = String(resume.recovered);
  el.resumeNote.textContent = `After reconnect ${reconnects}: ${resume.resumed} channels resumed. `
    + `${resume.recovered} got the publications they missed (recovered); ${notRecovered} had missed more than `
    + 'their history of one keeps and went on from their latest publication (not recovered: the ticks '
    + 'in between are skipped, the values shown are current).';
}

// --- drawing ----------------------------------------------------------------------------------------

function requestDraw() {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(draw);
}

function draw(now) {
  frameRequested = false;
  for (const ticker of dirty) renderTicker(ticker);
  for (const ticker of dirty) drawSpark(ticker);
  dirty.clear();
  if (metricsDirty) {
    metricsDirty = false;
    renderMetrics();
  }
  renderCounters(now);
}

function renderTicker(ticker) {
  const quote = ticker.quote;
  if (!quote) return;
  ticker.price.textContent = priceFormat.format(quote.price);
  ticker.change.textContent = `${signed(quote.change)} ${signed(quote.changePercent)}%`;
  const row = ticker.row.dataset;
  row.price = String(quote.price);
  row.offset = String(ticker.offset);
  row.direction = direction(quote.change);
  row.tick = direction(ticker.tick);
}

function drawSpark(ticker) {
  const ctx = context(ticker.canvas);
  if (!ctx) return;
  const { width, height, dpr } = sizes.get(ticker.canvas);
  ctx.clearRect(0, 0, width, height);
  const points = ticker.points;
  if (points.length < 2) return;
  const end = points[points.length - 1].t;
  let min = Infinity;
  let max = -Infinity;
  for (const { p } of points) {
    if (p < min) min = p;
    if (p > max) max = p;
  }
  if (max - min < 0.02) {
    const mid = (max + min) / 2;
    min = mid - 0.01;
    max = mid + 0.01;
  }
  const pad = 3 * dpr;
  // Time runs left to right over the last minute, or over what there is of it until a minute has passed.
  const span = Math.max(end - points[0].t, 1);
  const x = (t) => (1 - (end - t) / span) * (width - pad) + pad / 2;
  const y = (p) => pad + ((max - p) / (max - min)) * (height - 2 * pad);
  const up = ticker.quote.change >= 0;
  ctx.beginPath();
  points.forEach(({ t, p }, i) => (i === 0 ? ctx.moveTo(x(t), y(p)) : ctx.lineTo(x(t), y(p))));
  ctx.lineWidth = 1.5 * dpr;
  ctx.lineJoin = 'round';
  ctx.strokeStyle = up ? COLORS.up : COLORS.down;
  ctx.stroke();
  ctx.lineTo(x(end), height);
  ctx.lineTo(x(points[0].t), height);
  ctx.closePath();
  ctx.fillStyle = up ? COLORS.upFill : COLORS.downFill;
  ctx.fill();
}

function renderMetrics() {
  const m = metrics;
  if (!m) return;
  const show = (name, value, text) => {
    const e = el.metrics.get(name);
    if (!e) return;
    e.textContent = text;
    e.dataset.value = String(value);
  };
  show('connections', m.connections, countFormat.format(m.connections));
  show('publicationsPerSecond', m.publicationsPerSecond, countFormat.format(m.publicationsPerSecond));
  show('deliveriesPerSecond', m.deliveriesPerSecond, countFormat.format(m.deliveriesPerSecond));
  show('bytesOutPerSecond', m.bytesOutPerSecond, `${bytes(m.bytesOutPerSecond)}/s`);
  show('queuedBytes', m.queuedBytes, bytes(m.queuedBytes));
  show('skippedPublications', m.skippedPublications, countFormat.format(m.skippedPublications));
  drawChart(m.recent);
}

function drawChart(recent) {
  const ctx = context(el.chart);
  if (!ctx) return;
  const { width, height, dpr } = sizes.get(el.chart);
  ctx.clearRect(0, 0, width, height);
  if (recent.length === 0) return;
  const end = recent[recent.length - 1].time;
  const span = Math.max(end - recent[0].time, 1); // the last minute, or what there is of it
  const top = niceCeiling(Math.max(10, ...recent.map((r) => Math.max(r.deliveriesPerSecond, r.publicationsPerSecond))));
  const padTop = 16 * dpr;
  const padBottom = 6 * dpr;
  const x = (t) => (1 - (end - t) / span) * width;
  const y = (v) => padTop + (1 - v / top) * (height - padTop - padBottom);
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  ctx.lineWidth = dpr;
  for (const v of [0, top / 2, top]) {
    ctx.strokeStyle = COLORS.grid;
    ctx.beginPath();
    ctx.moveTo(0, Math.round(y(v)) + 0.5);
    ctx.lineTo(width, Math.round(y(v)) + 0.5);
    ctx.stroke();
    if (v > 0) {
      ctx.fillStyle = COLORS.label;
      ctx.fillText(`${countFormat.format(v)}/s`, 4 * dpr, y(v) - 3 * dpr);
    }
  }
  ctx.fillStyle = COLORS.label;
  ctx.textAlign = 'right';
  ctx.fillText(`last ${Math.round(span / 1000)} s`, width - 4 * dpr, 12 * dpr);
  ctx.textAlign = 'left';
  for (const [key, color] of [['deliveriesPerSecond', COLORS.deliveries], ['publicationsPerSecond', COLORS.publications]]) {
    ctx.beginPath();
    recent.forEach((r, i) => (i === 0 ? ctx.moveTo(x(r.time), y(r[key])) : ctx.lineTo(x(r.time), y(r[key]))));
    ctx.strokeStyle = color;
    ctx.lineWidth = 2 * dpr;
    ctx.lineJoin = 'round';
    ctx.stroke();
  }
}

function renderCounters(now) {
  if (now - rateSince >= 1000) {
    rate = ((updates - rateUpdates) * 1000) / (now - rateSince);
    rateSince = now;
    rateUpdates = updates;
  }
  el.updates.textContent = countFormat.format(updates);
  el.updates.dataset.updates = String(updates);
  el.rate.textContent = rate === null ? '–' : countFormat.format(rate);
  el.skipped.textContent = countFormat.format(skipped);
  el.skipped.dataset.skipped = String(skipped);
  el.reconnects.textContent = countFormat.format(reconnects);
  el.reconnects.dataset.reconnects = String(reconnects);
}

/** The canvas's 2D context, its backing store sized to what the ResizeObserver saw; null before that. */
function context(canvas) {
  const size = sizes.get(canvas);
  if (!size || size.width === 0 || size.height === 0) return null;
  if (canvas.width !== size.width) canvas.width = size.width;
  if (canvas.height !== size.height) canvas.height = size.height;
  return canvas.getContext('2d');
}

function direction(n) {
  return n > 0 ? 'up' : n < 0 ? 'down' : 'flat';
}

function signed(n) {
  return `${n > 0 ? '+' : n < 0 ? '−' : '±'}${priceFormat.format(Math.abs(n))}`;
}

function bytes(n) {
  if (n < 1024) return `${countFormat.format(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

/** 1, 2 or 5 times a power of ten, at least `v`. */
function niceCeiling(v) {
  const power = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) {
    if (m * power >= v) return m * power;
  }
  return 10 * power;
}

// --- connection -------------------------------------------------------------------------------------

function setStatus(state, text) {
  el.status.dataset.state = state;
  el.statusText.textContent = text;
}

async function loadConfig() {
  for (;;) {
    try {
      const response = await fetch('config.json', { cache: 'no-store' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return await response.json();
    } catch (e) {
      setStatus('offline', `Cannot load the page's settings (${e.message}); trying again…`);
      await new Promise((resolve) => setTimeout(resolve, CONFIG_RETRY_MS));
    }
  }
}

async function main() {
  const config = await loadConfig();
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  // location.hostname, not a fixed host: the page works whether it was opened as localhost, 127.0.0.1 or
  // the machine's name ([::1] keeps its brackets).
  const client = new Pushline(`${scheme}://${location.hostname}:${config.webSocketPort}${config.webSocketPath}`);
  client.on('state', (e) => {
    if (e.state === 'connected') return; // the connected event says how
    if (e.state === 'connecting') {
      setStatus(everConnected ? 'reconnecting' : 'connecting',
        everConnected ? `Reconnecting (${e.reason})…` : 'Connecting…');
    } else {
      setStatus('offline', `Offline: ${e.reason}`);
    }
  });
  client.on('connected', (e) => {
    if (everConnected) {
      reconnects++;
      resume = { resumed: 0, recovered: 0 };
    }
    everConnected = true;
    setStatus('connected', `Live over ${e.transport}`);
    requestDraw();
  });
  const onError = (e) => console.warn(`pushline: subscription to ${e.channel} failed: ${e.code} ${e.message}`);
  for (const symbol of config.symbols) {
    const ticker = addTicker(symbol);
    client.subscribe(`${config.tickerNamespace}:${symbol}`, {
      publication: (p) => { if (p.event === config.quoteEvent) onQuote(ticker, p); },
      subscribed: onSubscribed,
      error: onError,
    }, { history: 1 });
  }
  client.subscribe(config.metricsChannel, {
    publication: (p) => { if (p.event === config.metricsEvent) onMetrics(p); },
    subscribed: onSubscribed,
    error: onError,
  }, { history: 1 });
  client.connect();
  // Keeps the page's own rate true when quotes stop coming.
  setInterval(requestDraw, 1000);
}

main();
