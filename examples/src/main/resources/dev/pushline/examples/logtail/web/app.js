// The Pushline log tail page: speaks protocol v1 (src/site/markdown/protocol.md) over a plain WebSocket.
//
// Lifecycle: load /config.json, connect, subscribe to the channel, append each publication's line.
// On load the page asks for the last HISTORY_LINES lines. When the connection drops, it reconnects with
// exponential backoff and jitter and subscribes again with `since` (the epoch and offset of the last line
// it has): the server replays every missed line from its history ("recovered":true), or says it cannot
// ("recovered":false: the server restarted, or the lines left its history), and then the page shows how
// many lines were lost and reloads the last lines instead. Never a silent gap.
//
// The page holds one pane per element with a data-pane attribute (index.html one, cluster.html two), each
// with its own connection. /config.json lists the nodes a pane may use (`nodes`, or just `webSocketPort`
// for one node); a pane connects to the node its data-pane names, and when that connection drops or cannot
// be opened it fails over to the next node and resumes there the same way, since every node serves the
// same stream (offsets and epoch) through the broker.
//
// Log lines are untrusted text: they are only ever written with textContent, never as HTML.
'use strict';

(() => {
  const HISTORY_LINES = 200;
  const BACKOFF_BASE_MS = 500;
  const BACKOFF_MAX_MS = 30_000;
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
    let socket = null;          // the current WebSocket; a socket that is not this one is ignored
    let subscribeId = 0;        // id of the subscribe request in flight on `socket`
    let nextRequestId = 1;
    let connected = false;      // subscribed on `socket`
    let attempt = 0;            // reconnect attempts since the last successful subscribe
    let retryTimer = null;
    let countdownTimer = null;
    let nextRetryAt = 0;
    let retryReason = '';
    let waitingForNetwork = false;
    let epoch = null;           // stream position seen last: epoch and offset of the last line
    let lastOffset = 0;         // null: take the next line's offset as is (after asking for history)
    let headOffset = 0;         // the stream's offset when the last subscription started
    let received = 0;           // lines received since the page loaded (or was cleared)
    let stickToBottom = true;   // auto-scroll; paused while the user has scrolled up
    let unseen = 0;             // lines appended while paused
    let pending = [];           // rows waiting for the next animation frame
    let flushScheduled = false;

    // --- connection ------------------------------------------------------------------------------

    async function connect() {
      clearRetry();
      if (!config) {
        try {
          config = await loadConfig();
        } catch (e) {
          scheduleReconnect(`cannot load the page's settings (${e.message})`);
          return;
        }
        nodes = nodesOf(config);
        const named = nodes.findIndex((n) => n.name === root.dataset.pane);
        homeNode = nodeIndex = named < 0 ? 0 : named;
        if (el.source) el.source.textContent = config.source ? `· ${config.source}` : '';
      }
      showNode();
      setStatus(attempt === 0 ? 'connecting' : 'reconnecting',
        attempt === 0 ? `Connecting to ${webSocketUrl()}…` : `Reconnecting to ${webSocketUrl()} — attempt ${attempt}…`);
      let ws;
      try {
        ws = new WebSocket(webSocketUrl());
      } catch (e) {
        goOffline(`cannot open ${webSocketUrl()}: ${e.message}`);
        return;
      }
      socket = ws;
      connected = false;
      ws.onopen = () => {
        if (ws !== socket) return;
        // Protocol v1 lets a client send requests before the server's welcome arrives.
        subscribeId = nextRequestId++;
        const request = { type: 'subscribe', id: subscribeId, channel: config.channel, history: HISTORY_LINES };
        if (epoch !== null) {
          if (lastOffset === null) lastOffset = headOffset; // dropped before the first line arrived
          request.since = { offset: lastOffset, epoch };
        }
        ws.send(JSON.stringify(request));
      };
      ws.onmessage = (event) => {
        if (ws === socket) onFrame(event.data);
      };
      ws.onclose = (event) => {
        if (ws === socket) onClose(event.code, event.reason);
      };
      // 'error' is always followed by 'close', which does the work.
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

    // The next node in the list, after this one went away or could not be reached.
    function failOver() {
      if (nodes.length > 1) nodeIndex = (nodeIndex + 1) % nodes.length;
  }

    // Leaves the current node for the pane's own and resumes there.
    function goHome() {
      if (nodeIndex === homeNode) return;
      const ws = socket;
      socket = null;      // its close event is ignored
      connected = false;
      if (ws) ws.close(1000, 'moving to another node');
      addMarker(`Leaving ${nodeLabel()} for ${nodeLabel(homeNode)}`);
      nodeIndex = homeNode;
      attempt = 0;
      connect();
  }

    function onFrame(text) {
      let frame;
      try {
        frame = JSON.parse(text);
      } catch (e) {
        frame = null;
      }
      if (frame === null || typeof frame !== 'object') {
        showNotice('The server sent a message that is not a JSON object; it was ignored.', 'error');
        return;
      }
      switch (frame.type) {
        case 'subscribed': onSubscribed(frame); break;
        case 'publication': onPublication(frame); break;
        case 'error': onError(frame); break;
        default: break; // welcome, pong, and types added in later protocol versions
      }
  }

    function onSubscribed(frame) {
      if (frame.channel !== config.channel) return;
      if (frame.recovered === true) {
        // Every missed line follows now, from lastOffset + 1.
        const missed = frame.offset - lastOffset;
        const where = nodes.length > 1 ? ` to ${nodeLabel()} (recovered:true)` : '';
        if (missed > 0 || where) {
          addMarker(`Reconnected${where}: ${missed.toLocaleString()} missed line${missed === 1 ? '' : 's'} recovered`);
        }
      } else {
        if (frame.recovered === false) {
          const restarted = frame.epoch !== epoch;
          reportGap(restarted ? null : frame.offset - lastOffset, restarted);
        }
        // Up to HISTORY_LINES recent lines follow (offsets up to frame.offset), then live ones.
        lastOffset = null;
        headOffset = frame.offset;
      }
      epoch = frame.epoch;
      attempt = 0;
      connected = true;
      setStatus('connected', nodes.length > 1 ? `Connected to ${nodeLabel()}` : 'Connected');
  }

    function onPublication(frame) {
      if (frame.channel !== config.channel || frame.event !== config.event) return;
      if (lastOffset !== null) {
        if (frame.offset <= lastOffset) return; // already shown
        // Cannot happen while connected (the server sends every offset in order); said rather than hidden.
        if (frame.offset > lastOffset + 1) reportGap(frame.offset - lastOffset - 1, false);
      }
      lastOffset = frame.offset;
      // data is {text, level}; a plain string is accepted too.
      const data = typeof frame.data === 'string' ? { text: frame.data } : (frame.data || {});
      received++;
      addRow(String(data.text ?? ''), LEVEL_CLASSES[data.level] || 'lvl-none', frame.offset);
  }

    function onError(frame) {
      const text = `Server error ${frame.code}: ${frame.message}`;
      showNotice(text, 'error');
      if (frame.id === subscribeId && !connected) {
        // The subscription failed, so this connection is useless: drop it and try again later.
        const ws = socket;
        socket = null;
        ws.close();
        scheduleReconnect(text);
      }
  }

    function onClose(code, reason) {
      socket = null;
      const wasConnected = connected;
      connected = false;
      const why = describeClose(code, reason);
      if (wasConnected) addMarker(`Disconnected: ${why}`);
      if (!shouldReconnect(code)) {
        goOffline(`the server closed the connection for good (${why})`);
      } else {
        // The node went away (1001: shut down; 1006: lost or unreachable): try the next one. Other codes
        // (a slow consumer, a resync) are about this connection, and the same node serves again.
        const from = nodeLabel();
        if (code === 1001 || code === 1006) failOver();
        scheduleReconnect(nodeLabel() !== from ? `${why}; trying ${nodeLabel()}` : why);
      }
  }

    // The rule of protocol.md ("Close codes"): 3500–3999 and 4500–4999 mean "do not reconnect".
    function shouldReconnect(code) {
      return !((code >= 3500 && code <= 3999) || (code >= 4500 && code <= 4999));
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

    function scheduleReconnect(reason) {
      clearRetry();
      if (!navigator.onLine) {
        goOffline('this computer is offline; reconnecting when the network is back');
        waitingForNetwork = true;
        return;
      }
      attempt++;
      const delay = backoffDelay(attempt);
      nextRetryAt = Date.now() + delay;
      retryReason = reason;
      retryTimer = setTimeout(connect, delay);
      countdownTimer = setInterval(showCountdown, 250);
      showCountdown();
  }

    // Exponential backoff with "equal jitter": half the capped delay, plus a random part of the other
    // half, so that many pages that lost the same server do not come back in step.
    function backoffDelay(n) {
      const capped = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(n - 1, 16));
      return Math.round(capped / 2 + Math.random() * capped / 2);
  }

    function showCountdown() {
      const seconds = Math.max(0, Math.ceil((nextRetryAt - Date.now()) / 1000));
      setStatus('reconnecting', `Reconnecting — attempt ${attempt}, next try in ${seconds} s (${retryReason})`, true);
  }

    function goOffline(reason) {
      clearRetry();
      setStatus('offline', `Offline — ${reason}`, true);
  }

    function clearRetry() {
      waitingForNetwork = false;
      clearTimeout(retryTimer);
      clearInterval(countdownTimer);
      retryTimer = null;
      countdownTimer = null;
  }

    function reconnectNow() {
      if (socket) return;
      connect();
  }

    // --- status and notices ----------------------------------------------------------------------

    function setStatus(state, text, canRetryNow = false) {
      el.status.dataset.state = state;
      el.statusText.textContent = text;
      el.retry.hidden = !canRetryNow;
  }

    // missed: how many lines could not be recovered, or null when unknown (the server restarted).
    function reportGap(missed, restarted) {
      if (missed !== null && missed <= 0) return;
      const text = restarted
        ? 'The server restarted: lines published while this page was disconnected, if any, could not be recovered'
        : `${missed.toLocaleString()} line${missed === 1 ? '' : 's'} missed while disconnected could not be `
          + 'recovered (they left the server\'s history)';
      addMarker(text, 'gap');
      showNotice(`${text}. Reloaded: showing the server's most recent lines from here on.`, 'warn');
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
        : `${received.toLocaleString()} line${received === 1 ? '' : 's'} received`
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
    connect();
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
})();
