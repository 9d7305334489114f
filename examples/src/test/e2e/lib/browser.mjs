// Helpers for Pushline's browser end-to-end tests: launch Debian's headless Chromium through
// playwright-core, open pages that report their errors, take screenshots into the build output, wait
// for the DOM with bounded timeouts, and talk to the Java test that started the script (JSON lines on
// stdout, commands on stdin; see dev.pushline.testing.NodeScript). driver.mjs is built on these; a
// script of its own can import them too. How to write a test: src/site/markdown/testing.md.
import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';

// The browser: Debian's chromium package. Playwright's own browser download does not work on our
// machines, so playwright-core drives the system one (Java's Browser passes the path it found).
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// Where screenshots go: the examples module's build output (Java's Browser passes the absolute path).
export const SCREENSHOTS = process.env.PUSHLINE_SCREENSHOTS
  || path.resolve(import.meta.dirname ?? '.', '../../../../target/screenshots');

// How long one wait may take unless the caller says otherwise. Below NodeScript's 20 s, so that a
// timeout is reported by the script, with what it waited for, rather than by the Java side's poll.
export const TIMEOUT_MS = 10_000;

// Flags, besides the ones playwright-core adds itself (among them --headless):
// --no-sandbox: CI (and the developers' machines) run as root, and Chromium refuses to start as root
//   with its sandbox ("Running as root without --no-sandbox is not supported"). playwright-core adds it
//   too unless chromiumSandbox is set; we say it here so that the intent does not hang on that default.
//   The pages we open are our own, served from localhost.
// --disable-gpu: there is no GPU; software rendering, without the probing and its warnings.
// --disable-background-networking, --disable-component-update: no connections to Google's services,
//   which our closed network refuses (slowly, and many at a time).
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];

/** Launches headless Chromium. Close it with browser.close(). */
export async function launch() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30_000 });
}

/** One JSON object on a line of stdout: an event for the Java test (NodeScript.next). */
export function emit(event, fields = {}) {
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
}

/** A line on stderr: kept by NodeScript and shown in the Java test's failure message. */
export function log(text) {
  process.stderr.write(`${text}\n`);
}

/**
 * Opens url in a new page of its own browser context (its own cookies and storage, as a second browser
 * would have), 1280×800. The page's console, uncaught errors and WebSockets are logged to stderr under
 * name; its uncaught errors are also kept in page.pushlineErrors, for a test to assert there were none.
 */
export async function openPage(browser, url, { name = 'page' } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  page.pushlineErrors = [];
  page.on('console', (m) => log(`[${name}] console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => {
    page.pushlineErrors.push(String(e && e.stack ? e.stack : e));
    log(`[${name}] uncaught: ${e && e.stack ? e.stack : e}`);
  });
  page.on('websocket', (ws) => {
    log(`[${name}] websocket open ${ws.url()}`);
    ws.on('close', () => log(`[${name}] websocket closed ${ws.url()}`));
  });
  await page.goto(url);
  return page;
}

/** Saves a PNG of what page shows to SCREENSHOTS/<name>.png and returns its path. */
export async function screenshot(page, name) {
  if (!/^[\w.-]{1,100}$/.test(name)) throw new Error(`screenshot name "${name}": use 1 to 100 of A-Z a-z 0-9 _ . -`);
  await mkdir(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * Waits until fn(arg), run in the page, returns something truthy, and returns that (as JSON). Fails after
 * timeout ms, saying what it waited for: what, or fn's source.
 */
export async function waitFor(page, fn, arg, { timeout = TIMEOUT_MS, what } = {}) {
  try {
    const handle = await page.waitForFunction(fn, arg, { timeout });
    return await handle.jsonValue();
  } catch (e) {
    throw new Error(`waited ${timeout} ms for ${what || String(fn)}: ${firstLine(e)}`);
  }
}

/** Waits until selector matches an element in state 'visible' (the default), 'hidden', 'attached' or 'detached'. */
export async function waitForSelector(page, selector, { state = 'visible', timeout = TIMEOUT_MS } = {}) {
  try {
    await page.waitForSelector(selector, { state, timeout });
  } catch (e) {
    throw new Error(`waited ${timeout} ms for ${selector} to be ${state}: ${firstLine(e)}`);
  }
}

/** The commands the Java test writes to stdin (NodeScript.send), one JSON object per line, as they come. */
export async function* commands() {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() !== '') yield JSON.parse(line);
  }
}

/** The first line of an error's message: Playwright's messages go on with a call log. */
export function firstLine(e) {
  return String(e && e.message ? e.message : e).split('\n')[0];
}
