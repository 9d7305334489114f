// The generic browser driver behind the Java class dev.pushline.examples.e2e.Browser: launches headless
// Chromium, then runs the commands the Java test writes to stdin, one JSON object per line, in order:
//
//   {"id": 1, "cmd": "open", "page": "alice", "url": "http://127.0.0.1:8080/"}
//
// and answers each with one line on stdout:
//
//   {"event": "reply", "id": 1, "ok": true, "value": ...}     or     {"event": "reply", "id": 1, "ok": false, "error": "..."}
//
// Before the first command it prints {"event": "ready", "chromium": "<version>"}; if it cannot start it
// prints {"event": "fatal", "error": "..."} and exits with 1. Pages are named by the test; each has its
// own browser context. Functions ("fn") are JavaScript source, an arrow function or a function
// expression of one argument, run in the page with "arg" (any JSON). The commands: see COMMANDS.
import { commands, emit, firstLine, launch, log, openPage, screenshot, waitFor, waitForSelector } from './lib/browser.mjs';

const pages = new Map(); // name -> Playwright page

function pageNamed(name) {
  const page = pages.get(name);
  if (!page) throw new Error(`no page named "${name}"; open it first (open: ${[...pages.keys()].join(', ') || 'none'})`);
  return page;
}

// JavaScript source of a function, as a function that Playwright serialises back to that source.
function fn(source) {
  if (typeof source !== 'string' || source.trim() === '') throw new Error('fn: a function\'s source is required');
  // eslint-disable-next-line no-new-func
  const f = new Function(`return (${source});`)();
  if (typeof f !== 'function') throw new Error(`fn is not a function: ${source}`);
  return f;
}

const COMMANDS = {
  async open({ page: name, url }) {
    if (pages.has(name)) throw new Error(`a page named "${name}" is open already`);
    pages.set(name, await openPage(browser, url, { name }));
    return null;
  },
  // Waits for a CSS selector to be 'visible' (default), 'hidden', 'attached' or 'detached'.
  async waitForSelector({ page, selector, state, timeoutMs }) {
    await waitForSelector(pageNamed(page), selector, { state, timeout: timeoutMs });
    return null;
  },
  // Waits until fn(arg) is truthy in the page; the value is what it returned.
  async waitFor({ page, fn: source, arg, timeoutMs, what }) {
    return waitFor(pageNamed(page), fn(source), arg ?? null, { timeout: timeoutMs, what });
  },
  // fn(arg) in the page, once; the value is what it returned (awaited if a promise).
  async evaluate({ page, fn: source, arg }) {
    return (await pageNamed(page).evaluate(fn(source), arg ?? null)) ?? null;
  },
  // The text of every element that matches the selector, in document order.
  async texts({ page, selector }) {
    return pageNamed(page).locator(selector).allTextContents();
  },
  async click({ page, selector }) {
    await pageNamed(page).locator(selector).click();
    return null;
  },
  async fill({ page, selector, value }) {
    await pageNamed(page).locator(selector).fill(value);
    return null;
  },
  // A key such as "Enter", pressed in the element that matches the selector.
  async press({ page, selector, key }) {
    await pageNamed(page).locator(selector).press(key);
    return null;
  },
  // Takes the page's browser context off the network (offline: true) or back on, as a dropped network
  // would: the page's navigator.onLine follows, and new connections fail while it is off.
  async offline({ page, offline }) {
    await pageNamed(page).context().setOffline(offline === true);
    return null;
  },
  // The value is the PNG's path.
  async screenshot({ page, name }) {
    return screenshot(pageNamed(page), name);
  },
  // The page's uncaught errors since it opened (each with its stack).
  async errors({ page }) {
    return pageNamed(page).pushlineErrors;
  },
  async close({ page }) {
    const p = pageNamed(page);
    pages.delete(page);
    await p.context().close();
    return null;
  },
  async exit() {
    return null;
  },
};

let browser;
try {
  browser = await launch();
} catch (e) {
  emit('fatal', { error: `cannot launch Chromium: ${firstLine(e)}` });
  log(String(e && e.stack ? e.stack : e));
  process.exit(1);
}
emit('ready', { chromium: browser.version() });

try {
  for await (const command of commands()) {
    const run = COMMANDS[command.cmd];
    try {
      if (!run) throw new Error(`unknown command "${command.cmd}"; known: ${Object.keys(COMMANDS).join(', ')}`);
      emit('reply', { id: command.id, ok: true, value: (await run(command)) ?? null });
    } catch (e) {
      log(`${command.cmd} failed: ${e && e.stack ? e.stack : e}`);
      emit('reply', { id: command.id, ok: false, error: firstLine(e) });
    }
    if (command.cmd === 'exit') break;
  }
} finally {
  // Also when stdin closed without "exit" (the Java side went away): never leave a Chromium behind.
  await browser.close();
}
// stdin, still open, would keep Node running.
process.exit(0);
