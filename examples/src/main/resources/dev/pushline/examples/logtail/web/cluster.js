// The two-node page's controls (ClusterDemo): shows each node, whether it runs and which one the log is
// published through, and stops or starts a node with POST nodes/<name>/stop or /start. The two panes are
// app.js's; this file only drives the nodes.
'use strict';

(() => {
  const el = {
    nodes: document.getElementById('nodes'),
    source: document.getElementById('source'),
    notice: document.getElementById('notice'),
    noticeText: document.getElementById('notice-text'),
    noticeClose: document.getElementById('notice-close'),
  };
  let busy = false; // a stop or start is in flight

  async function call(method, path) {
    const response = await fetch(path, { method, cache: 'no-store' });
    const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
    if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
    return body;
  }

  function render(nodes) {
    const items = nodes.map((node) => {
      const item = document.createElement('div');
      item.className = 'node';
      item.dataset.running = String(node.running);
      const dot = document.createElement('span');
      dot.className = 'dot';
      dot.setAttribute('aria-hidden', 'true');
      const label = document.createElement('span');
      label.textContent = `Node ${node.name} · :${node.webSocketPort} · ${node.running ? 'running' : 'stopped'}`;
      item.append(dot, label);
      if (node.publishing) {
        const publishing = document.createElement('span');
        publishing.className = 'publishing';
        publishing.textContent = '· publishes the log';
        item.append(publishing);
      }
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = node.running ? `Stop node ${node.name}` : `Start node ${node.name}`;
      button.disabled = busy;
      button.addEventListener('click', () => act(node.name, node.running ? 'stop' : 'start'));
      item.append(button);
      return item;
    });
    el.nodes.replaceChildren(...items);
  }

  async function act(name, what) {
    if (busy) return;
    busy = true;
    el.nodes.querySelectorAll('button').forEach((b) => { b.disabled = true; });
    try {
      render(await call('POST', `nodes/${encodeURIComponent(name)}/${what}`));
      el.notice.hidden = true;
    } catch (e) {
      showNotice(`Could not ${what} node ${name}: ${e.message}`);
      await refresh();
    } finally {
      busy = false;
      el.nodes.querySelectorAll('button').forEach((b) => { b.disabled = false; });
    }
  }

  async function refresh() {
    try {
      render(await call('GET', 'nodes'));
    } catch (e) {
      showNotice(`Cannot read the nodes' state: ${e.message}`);
    }
  }

  function showNotice(text) {
    el.notice.dataset.kind = 'error';
    el.noticeText.textContent = text;
    el.notice.hidden = false;
  }

  el.noticeClose.addEventListener('click', () => { el.notice.hidden = true; });
  call('GET', 'config.json').then((config) => {
    el.source.textContent = config.source ? `· ${config.source}` : '';
  }).catch(() => { /* app.js's panes report a config that cannot be loaded */ });
  refresh();
})();
