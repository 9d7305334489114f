// The browser client as the server's HTTP side serves it (headers are tested in ScriptFeatureTest).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import vm from 'node:vm';
import { HTTP } from './helpers.mjs';

const source = new URL('../../../main/resources/dev/pushline/js/pushline.js', import.meta.url);

test('/pushline.js is the module in the jar', async () => {
  const served = await (await fetch(`${HTTP}/pushline.js`)).text();
  assert.equal(served, await readFile(source, 'utf8'));
});

test('/pushline.global.js defines Pushline (and Pushline.PushlineError) as a classic script', async () => {
  const response = await fetch(`${HTTP}/pushline.global.js`);
  assert.equal(response.status, 200);
  const context = vm.createContext({ console, setTimeout, clearTimeout, TextEncoder });
  vm.runInContext(await response.text(), context, { filename: 'pushline.global.js' });
  const { Pushline } = context;
  assert.equal(typeof Pushline, 'function');
  const client = new Pushline('ws://127.0.0.1:9/pushline', { WebSocket: class {} });
  assert.equal(client.state, 'disconnected');
  const error = new Pushline.PushlineError('timeout', 'late');
  assert.equal(error.code, 'timeout');
  assert.equal(error.name, 'PushlineError');
});
