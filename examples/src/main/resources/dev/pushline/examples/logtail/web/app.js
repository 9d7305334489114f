// The Pushline log tail page, on pushline.js, the browser client (served beside this file).
//
// The client does the protocol: it connects, subscribes asking for the last HISTORY_LINES lines,
// reconnects with backoff and jitter when the connection drops, resumes from the last line it delivered,
// and says whether the server could replay every missed line (`recovered`). This page shows what happens:
// the lines, the connection's status, a marker with how many missed lines were recovered after a
// reconnect, and when they could not be (the server restarted, or they left its history) a gap marker and
// a "Reloaded" notice, for the client then loads the server's most recent lines. Never a silent gap.
//
// The page holds one pane per element with a data-pane attribute (index.html one, cluster.html two), each
// with its own client. /config.json lists the nodes a pane may use (`nodes`, or just `webSocketPort` for
// one node); a pane connects to the node its data-pane names, and when that node goes away or cannot be
// reached it fails over to the next and resumes there, since every node serves the same stream (offsets
// and epoch) through the broker.
//
// Log lines are untrusted text: they are only ever written with textContent, never as HTML.
import { Pushline } from './pushline.js';

const HISTORY_LINES = 200;
const BOTTOM_SLACK_PX = 8;
const LEVEL_CLASSES = { ERROR: 'lvl-error', WARN: 'lvl-warn', INFO: 'lvl-info', DEBUG: 'lvl-debug', TRACE: 'lvl-trace' };

let configRequest = null;   // the pending or successful load of /config.json, shared by the panes

// The page's settings; a failed load is forgotten, so the next call tries again.
function loadConfig() {
  if (!configRequest) {
    configRequest = fetch('config.json', { cache: 'no-store' }).then((response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return response.json();
    });
    configRequest.catch(() => { configRequest = null; });
  }
  return configRequest;
}

// The nodes a pane may connect to: config.nodes, or the one node of config.webSocketPort.
function nodesOf(config) {
  return Array.isArray(config.nodes) && config.nodes.length > 0
    ? config.nodes : [{ name: null, webSocketPort: config.webSocketPort }];
}

// WebSocket's own codes get a plain description; for Pushline's and the application's codes the
// server's reason is the best explanation there is.
function describeClose(code, reason) {
  const known = {
    1000: 'closed', 1001: 'the server is shutting down', 1006: 'connection lost or server unreachable',
    1009: 'message too big', 1011: 'server error',
  };
  if (known[code]) return known[code];
  return reason ? `close code ${code}: ${reason}` : `close code ${code}`;
}

function plural(n, word) {
  return `${n.toLocaleString()} ${word}${n === 1 ? '' : 's'}`;
}

function startPane(root) {
  const part = (name) => root.querySelector(`[data-part="${name}"]`);
  const el = {
    status: part('status'),
    statusText: part('status-text'),
    retry: part('retry'),
    home: part('home'),
    node: part('node'),
    source: part('source'),
    notice: part('notice'),
    noticeText: part('notice-text'),
    noticeClose: part('notice-close'),
    log: part('log'),
    count: part('count'),
    resume: part('resume'),
    clear: part('clear'),
  };

  let config = null;          // from /config.json
  let nodes = [];             // where this pane may connect; see nodesOf
  let homeNode = 0;           // index in nodes of the node data-pane names
  let nodeIndex = 0;          // index in nodes of the node used now
  let push = null;            // the client, once the config is loaded
  let subscription = null;    // its subscription to config.channel
  let last = null;            // stream position of the last line shown (or where the history starts)
  let subscribed = false;     // the subscription is in effect on the current connection
  let stopping = false;       // the page closes the client itself: its disconnect is not news
  let waitingForNetwork = false;
  let attempt = 0;            // reconnect attempts since the last subscribed
  let countdownTimer = null;
  let nextRetryAt = 0;
  let retryReason = '';
  let received = 0;           // lines received since the page loaded (or was cleared)
  let stickToBottom = true;   // auto-scroll; paused while the user has scrolled up
  let unseen = 0;             // lines appended while paused
  let pending = [];           // rows waiting for the next animation frame
  let flushScheduled = false;

  // --- connection ------------------------------------------------------------------------------

  async function start() {
    setStatus('connecting', 'Loading the page\'s settings…');
    try {
      config = await loadConfig();
    } catch (e) {
      goOffline(`cannot load the page's settings (${e.message})`);
      return;
    }
    nodes = nodesOf(config);
    const named = nodes.findIndex((n) => n.name === root.dataset.pane);
    homeNode = nodeIndex = named < 0 ? 0 : named;
    if (el.source) el.source.textContent = config.source ? `· ${config.source}` : '';
    // pushline.js connects to one URL. To fail over, it is given a WebSocket that opens the URL of the
    // node in use at each attempt; the client resumes the subscription there as after any reconnect.
    const NodeWebSocket = class extends WebSocket {
      constructor() { super(webSocketUrl()); }
    };
    push = new Pushline(webSocketUrl(), { WebSocket: NodeWebSocket });
    push.on('state', onState);
    push.on('disconnected', onDisconnected);
    push.on('error', (e) => showNotice(`Error ${e.code}: ${e.message}`, 'error'));
    subscribe();
    push.connect();
  }

  function subscribe() {
    const handlers = { publication: onPublication, subscribed: onSubscribed, error: onSubscribeError };
    subscription = push.subscribe(config.channel, handlers, { history: HISTORY_LINES });
  }

  function webSocketUrl() {
    // location.hostname, not a fixed host: the page works whether it was opened as localhost,
    // 127.0.0.1 or the machine's name ([::1] keeps its brackets).
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    return `${scheme}://${location.hostname}:${nodes[nodeIndex].webSocketPort}${config.webSocketPath}`;
  }

  // "node A", or '' on a page with one unnamed node.
  function nodeLabel(index = nodeIndex) {
    const name = nodes[index] && nodes[index].name;
    return name ? `node ${name}` : '';
  }

  // Shows which node the pane uses, and offers to go back to its own when it failed over.
  function showNode() {
    if (el.node) el.node.textContent = nodeIndex !== homeNode ? `· now on ${nodeLabel()} (failed over)` : '';
    if (el.home) {
      el.home.hidden = nodeIndex === homeNode;
      el.home.textContent = `Back to ${nodeLabel(homeNode)}`;
    }
  }

  // Leaves the current node for the pane's own and resumes there.
  function goHome() {
    if (nodeIndex === homeNode) return;
    addMarker(`Leaving ${nodeLabel()} for ${nodeLabel(homeNode)}`);
    nodeIndex = homeNode;
    reconnectNow();
  }

  // Closes the client (its subscription is kept) and connects again at once: resumes where it left off.
  function reconnectNow() {
    if (!push) {
      start();
      return;
    }
    waitingForNetwork = false;
    stopping = true;
    push.close();
    stopping = false;
    subscribed = false;
    attempt = 0;
    if (subscription.state === 'unsubscribed') subscribe(); // the server refused it; ask again
    push.connect();
  }

  function onState({ state, previous }) {
    showNode();
    // connect() was called (a connection that dropped goes on 'connecting' too: onDisconnected says so).
    if (state === 'connecting' && (previous === 'disconnected' || previous === 'closed')) {
      setStatus('connecting', `Connecting to ${webSocketUrl()}…`);
    }
  }

  function onDisconnected(e) {
    if (stopping) return;
    const why = describeClose(e.code, e.reason);
    if (subscribed) addMarker(`Disconnected: ${why}`);
    subscribed = false;
    if (!e.reconnect) {
      // The rule of protocol.md ("Close codes"): 3500–3999 and 4500–4999 mean "do not reconnect".
      goOffline(`the server closed the connection for good (${why})`);
      return;
    }
    if (!navigator.onLine) {
      // Trying now would fail: wait for the network instead. (Closed once the client's own handling of
      // this disconnect is over.)
      waitingForNetwork = true;
      queueMicrotask(() => {
        stopping = true;
        push.close();
        stopping = false;
      });
      goOffline('this computer is offline; reconnecting when the network is back');
      return;
    }
    // The node went away (1001: shut down; 1006: lost or unreachable): try the next one. Other codes
    // (a slow consumer, a resync) are about this connection, and the same node serves again.
    const from = nodeLabel();
    if ((e.code === 1001 || e.code === 1006) && nodes.length > 1) nodeIndex = (nodeIndex + 1) % nodes.length;
    attempt++;
    nextRetryAt = Date.now() + e.delay;
    retryReason = nodeLabel() !== from ? `${why}; trying ${nodeLabel()}` : why;
    clearInterval(countdownTimer);
    countdownTimer = setInterval(showCountdown, 250);
    showCountdown();
  }

  function showCountdown() {
    const seconds = Math.max(0, Math.ceil((nextRetryAt - Date.now()) / 1000));
    const when = seconds > 0 ? `next try in ${seconds} s` : 'trying now';
    setStatus('reconnecting', `Reconnecting — attempt ${attempt}, ${when} (${retryReason})`, true);
  }

  function onSubscribed(e) {
    if (e.resumed && e.recovered) {
      // Every missed line follows now.
      const missed = e.offset - last.offset;
      const where = nodes.length > 1 ? ` to ${nodeLabel()} (recovered:true)` : '';
      if (missed > 0 || where) addMarker(`Reconnected${where}: ${plural(missed, 'missed line')} recovered`);
    } else if (e.resumed) {
      // The client reloads the server's most recent lines (up to HISTORY_LINES follow).
      reportGap(e.epoch !== last.epoch ? null : e.offset - last.offset);
    }
    last = subscription.position;
    subscribed = true;
    attempt = 0;
    setStatus('connected', nodes.length > 1 ? `Connected to ${nodeLabel()}` : 'Connected');
  }

  function onSubscribeError(e) {
    const text = `Server error ${e.code}: ${e.message}`;
    showNotice(text, 'error');
    if (!e.retry) goOffline(`cannot subscribe to "${config.channel}" (${text})`);
  }

  function onPublication(p) {
    last = { offset: p.offset, epoch: p.epoch };
    if (p.event !== config.event) return;
    // data is {text, level}; a plain string is accepted too.
    const data = typeof p.data === 'string' ? { text: p.data } : (p.data || {});
    received++;
    addRow(String(data.text ?? ''), LEVEL_CLASSES[data.level] || 'lvl-none', p.offset);
  }

  function goOffline(reason) {
    setStatus('offline', `Offline — ${reason}`, true);
  }

  // --- status and notices ----------------------------------------------------------------------

  function setStatus(state, text, canRetryNow = false) {
    if (state !== 'reconnecting') clearInterval(countdownTimer);
    el.status.dataset.state = state;
    el.statusText.textContent = text;
    el.retry.hidden = !canRetryNow;
  }

  // missed: how many lines were published since the last one shown, or null when unknown (the server restarted).
  function reportGap(missed) {
    if (missed !== null && missed <= 0) return;
    if (missed === null) {
      addMarker('The server restarted: lines published while this page was disconnected, if any, could not be '
        + 'recovered', 'gap');
      showNotice('Reloaded: the server restarted, so it could not replay what this page missed while it was '
        + 'disconnected. The page loaded the server\'s latest lines and carries on from there.', 'warn');
    } else {
      addMarker(`Gap: the server no longer had all ${plural(missed, 'line')} published while this page was `
        + 'disconnected; its latest lines follow', 'gap');
      showNotice(`Reloaded: the server could not replay all ${plural(missed, 'line')} published while this page `
        + 'was disconnected (they had left its history). The page loaded the server\'s latest lines and carries on '
        + 'from there.', 'warn');
    }
  }

  function showNotice(text, kind) {
    el.notice.dataset.kind = kind;
    el.noticeText.textContent = text;
    el.notice.hidden = false;
  }

  // --- the log view ----------------------------------------------------------------------------

  function addRow(text, levelClass, offset) {
    pending.push({ text, cls: `line ${levelClass}`, offset: config.showOffsets ? offset : undefined });
    // Bounded even while the tab is hidden and no animation frame runs.
    if (pending.length > config.maxLines) pending.splice(0, pending.length - config.maxLines);
    scheduleFlush();
  }

  function addMarker(text, kind = 'event') {
    pending.push({ text: `── ${text} ──`, cls: `marker marker-${kind}` });
    scheduleFlush();
  }

  function scheduleFlush() {
    if (flushScheduled) return;
    flushScheduled = true;
    requestAnimationFrame(flush);
  }

  function flush() {
    flushScheduled = false;
    const rows = pending;
    pending = [];
    const fragment = document.createDocumentFragment();
    for (const row of rows) {
      const div = document.createElement('div');
      div.className = row.cls;
      if (row.offset !== undefined) {
        const gutter = document.createElement('span');
        gutter.className = 'offset';
        gutter.textContent = String(row.offset);
        div.append(gutter, row.text);
      } else {
        div.textContent = row.text;
      }
      fragment.appendChild(div);
    }
    el.log.appendChild(fragment);
    trim();
    if (stickToBottom) {
      el.log.scrollTop = el.log.scrollHeight;
    } else {
      unseen += rows.length;
    }
    updateFooter();
  }

  // Keeps at most maxLines rows. While the user reads older lines, the view follows the first row that
  // stays, so what they are reading does not move when rows above it are dropped.
  function trim() {
    const excess = el.log.childElementCount - config.maxLines;
    if (excess <= 0) return;
    const doomed = Array.from(el.log.children).slice(0, excess);
    if (stickToBottom) {
      for (const row of doomed) row.remove();
      return;
    }
    const anchor = el.log.children[excess];
    const anchorTop = anchor.getBoundingClientRect().top;
    for (const row of doomed) row.remove();
    el.log.scrollTop += anchor.getBoundingClientRect().top - anchorTop;
  }

  function onScroll() {
    const atBottom = el.log.scrollHeight - el.log.scrollTop - el.log.clientHeight <= BOTTOM_SLACK_PX;
    if (atBottom === stickToBottom) return;
    stickToBottom = atBottom;
    if (atBottom) unseen = 0;
    updateFooter();
  }

  function resume() {
    stickToBottom = true;
    unseen = 0;
    el.log.scrollTop = el.log.scrollHeight;
    updateFooter();
  }

  function updateFooter() {
    el.count.textContent = received === 0 ? 'No lines yet'
      : `${plural(received, 'line')} received`
        + (received > config.maxLines ? ` · showing the last ${config.maxLines.toLocaleString()}` : '');
    el.resume.hidden = stickToBottom;
    el.resume.textContent = unseen > 0
      ? `Auto-scroll paused · ${unseen.toLocaleString()} new ↓` : 'Auto-scroll paused · jump to latest ↓';
  }

  function clearLog() {
    el.log.replaceChildren();
    pending = [];
    received = 0;
    resume();
  }

  // --- wiring ----------------------------------------------------------------------------------

  el.log.addEventListener('scroll', onScroll, { passive: true });
  el.resume.addEventListener('click', resume);
  el.clear.addEventListener('click', clearLog);
  el.retry.addEventListener('click', reconnectNow);
  if (el.home) el.home.addEventListener('click', goHome);
  el.noticeClose.addEventListener('click', () => { el.notice.hidden = true; });
  window.addEventListener('online', () => { if (waitingForNetwork) reconnectNow(); });
  start();
}

// An empty pane gets a copy of the page's pane template (cluster.html), named after its node.
const template = document.getElementById('pane-template');
document.querySelectorAll('[data-pane]').forEach((root) => {
  if (template && root.childElementCount === 0) {
    root.append(template.content.cloneNode(true));
    root.querySelector('[data-part="pane-name"]').textContent = root.dataset.pane;
  }
  startPane(root);
});
