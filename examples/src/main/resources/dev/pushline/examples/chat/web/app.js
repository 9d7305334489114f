// The Pushline chat page, on pushline.js (the browser client; its API is pushline.d.ts).
//
// Lifecycle: load /config.json; the user logs in (POST /login with a name; the answer holds a token for
// the push server); connect with that token; join a room: subscribe to its channel `room:<name>` with the
// last messages from history and join/leave events; show who is there from `presence` plus those events;
// send messages by publishing `{ text }` to the room's channel, which the server's authorization hook turns
// into `{ user, text, sentAt }` with the user name of the token (the page never says who it is in a
// message, and could not). pushline.js reconnects on its own and resumes the room's channel where it left
// off, so messages missed meanwhile arrive once each.
//
// Tokens are short-lived: the client asks `token()` before each connection and when the server says
// `token_expired`; a token close to its expiry is replaced by logging in again with the same name.
//
// Everything users typed (names, messages) is written with textContent, never as HTML.

import { Pushline } from './pushline.js';

/** A token with less than this left is not used for a new connection: the page logs in again. */
const TOKEN_MARGIN_MS = 30_000;

const $ = (part) => document.querySelector(`[data-part="${part}"]`);
const el = {
  status: $('status'),
  statusText: $('status-text'),
  me: $('me'),
  logout: $('logout'),
  login: $('login'),
  loginName: $('login-name'),
  loginError: $('login-error'),
  chat: $('chat'),
  rooms: $('rooms'),
  messages: $('messages'),
  composer: $('composer'),
  message: $('message'),
  counter: $('counter'),
  error: $('error'),
  presence: $('presence'),
  presenceCount: $('presence-count'),
};

let config = null;       // /config.json
let session = null;      // { user, token, expiresAt } from the last login
let client = null;       // the Pushline client while logged in
let room = null;         // the room shown
let sub = null;          // the subscription to its channel
let epoch = null;        // the epoch of the channel's stream the messages shown come from
let loggedInAgain = false; // whether the page logged in again after a refused token, since it last got in
const here = new Map();  // client id -> user name: who is in the room, from presence and join/leave
const gone = new Set();  // client ids that left since the subscription started (a late presence reply may still list them)

// --- login -------------------------------------------------------------------------------------

el.login.addEventListener('submit', async (event) => {
  event.preventDefault();
  const name = el.loginName.value.trim();
  showLoginError(null);
  try {
    await loadConfig();
    session = await logIn(name);
  } catch (e) {
    showLoginError(e.message);
    return;
  }
  startChat();
});

el.logout.addEventListener('click', () => {
  if (client) client.close();
  client = null;
  sub = null;
  session = null;
  room = null;
  el.chat.hidden = true;
  el.me.hidden = true;
  el.logout.hidden = true;
  el.login.hidden = false;
  setStatus('logged-out', 'Not logged in');
  el.loginName.focus();
});

async function loadConfig() {
  if (config) return config;
  const response = await fetch('config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`cannot load the page's settings (HTTP ${response.status})`);
  config = await response.json();
  return config;
}

/** POST /login: resolves with { user, token, expiresAt }, or rejects with the server's explanation. */
async function logIn(name) {
  let response;
  try {
    response = await fetch('login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name }),
    });
  } catch (e) {
    throw new Error(`cannot reach the server (${e.message})`);
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `the login failed (HTTP ${response.status})`);
  return body;
}

/** pushline.js's `token` option: the current token, or a new one when it is about to expire. */
async function token() {
  if (!session) throw new Error('logged out');
  if (session.expiresAt - Date.now() > TOKEN_MARGIN_MS) return session.token;
  session = await logIn(session.user);
  return session.token;
}

function showLoginError(text) {
  el.loginError.textContent = text || '';
  el.loginError.hidden = !text;
}

// --- the connection ----------------------------------------------------------------------------

function startChat() {
  el.login.hidden = true;
  el.chat.hidden = false;
  el.me.textContent = session.user;
  el.me.hidden = false;
  el.logout.hidden = false;
  renderRooms();
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  // location.hostname: the page works whether it was opened as localhost, 127.0.0.1 or the machine's name.
  const url = `${scheme}://${location.hostname}:${config.webSocketPort}${config.webSocketPath}`;
  const c = new Pushline(url, { token });
  client = c;
  loggedInAgain = false;
  c.on('state', (e) => {
    if (c !== client) return;
    if (e.state === 'connecting') {
      setStatus(e.previous === 'connected' ? 'reconnecting' : 'connecting',
        e.previous === 'connected' ? `Reconnecting… (${e.reason})` : 'Connecting…');
    } else if (e.state === 'disconnected' && e.code === 3501 && !loggedInAgain) {
      // The server refused the token: it restarted (a new secret) or the token was revoked. Log in again
      // with the same name, once; pushline.js does not retry a refused token by itself.
      loggedInAgain = true;
      session.expiresAt = 0;
      setStatus('reconnecting', 'Logging in again…');
      setTimeout(() => { if (c === client) c.connect(); }, 0);
    } else if (e.state === 'disconnected') {
      setStatus('offline', `Offline: ${e.reason}. Log out and in again to retry.`);
    }
  });
  c.on('disconnected', () => {
    if (c === client) el.presence.classList.add('stale');
  });
  c.on('error', (e) => {
    if (c === client) showError(e.code, e.message);
  });
  c.connect();
  joinRoom(config.rooms[0]);
  el.message.focus();
}

function setStatus(state, text) {
  el.status.dataset.state = state;
  el.statusText.textContent = text;
}

// --- rooms -------------------------------------------------------------------------------------

function renderRooms() {
  el.rooms.replaceChildren(...config.rooms.map((name) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'room';
    button.dataset.room = name;
    button.textContent = `#${name}`;
    button.setAttribute('aria-pressed', String(name === room));
    button.addEventListener('click', () => joinRoom(name));
    return button;
  }));
}

function channelOf(name) {
  return `${config.namespace}:${name}`;
}

/** Leaves the room shown (its presence too) and shows `name`: its recent messages, then live ones. */
function joinRoom(name) {
  if (name === room && sub) return;
  if (sub) sub.unsubscribe(); // its handlers are not called any more
  room = name;
  for (const b of el.rooms.querySelectorAll('[data-room]')) b.setAttribute('aria-pressed', String(b.dataset.room === name));
  el.messages.replaceChildren();
  epoch = null;
  here.clear();
  gone.clear();
  renderPresence();
  showError(null);
  el.message.placeholder = `Message #${name}`;
  if (client.state === 'connected') setStatus('connecting', `Joining #${name}…`);
  const s = client.subscribe(channelOf(name), {
    subscribed: (e) => onSubscribed(s, e),
    publication: (p) => addMessage(p),
    join: (e) => { here.set(e.client, e.user); gone.delete(e.client); renderPresence(); },
    leave: (e) => { here.delete(e.client); gone.add(e.client); renderPresence(); },
    error: (e) => {
      showError(e.code, `Cannot join #${name}: ${e.message}`);
      if (!e.retry) setStatus('offline', `Cannot join #${name}`);
    },
  }, { history: config.history, joinLeave: true });
  sub = s;
}

/** The subscription took effect: the first time, and after each reconnect. */
function onSubscribed(s, e) {
  if (e.resumed) {
    if (e.recovered) {
      addMarker('Reconnected', 'reconnected');
    } else {
      // The server could not replay everything this page missed: the messages left its history (the recent
      // ones follow), or it restarted (a new stream: start over from its recent messages).
      if (e.epoch !== epoch) {
        el.messages.replaceChildren();
        addMarker('Reconnected after a server restart: messages sent while you were away, if any, are lost', 'gap');
      } else {
        addMarker('Reconnected: some messages sent while you were away left the room\'s history and are lost', 'gap');
      }
    }
  }
  epoch = e.epoch;
  loggedInAgain = false;
  setStatus('connected', `Connected to #${room}`);
  loadPresence(s);
}

// --- who is here -------------------------------------------------------------------------------

/** Asks who is in the room now; join and leave events that come meanwhile are kept. */
function loadPresence(s) {
  here.clear();
  gone.clear();
  renderPresence();
  client.presence(s.channel).then((entries) => {
    if (s !== sub) return;
    for (const entry of entries) {
      if (!gone.has(entry.client)) here.set(entry.client, entry.user);
    }
    renderPresence();
  }, (e) => {
    if (s === sub) showError(e.code, `Cannot tell who is here: ${e.message}`);
  });
}

function renderPresence() {
  const users = [...new Set(here.values())].sort((a, b) => a.localeCompare(b));
  el.presence.classList.remove('stale');
  el.presence.replaceChildren(...users.map((user) => {
    const li = document.createElement('li');
    li.dataset.user = user;
    li.textContent = user;
    if (session && user === session.user) {
      li.classList.add('self');
      li.title = 'you';
    }
    return li;
  }));
  el.presenceCount.textContent = users.length > 0 ? `(${users.length})` : '';
}

// --- messages ----------------------------------------------------------------------------------

function addMessage(p) {
  if (p.event !== config.event || p.data === null || typeof p.data !== 'object') return;
  const { user, text, sentAt } = p.data;
  const li = document.createElement('li');
  li.className = 'msg';
  li.dataset.offset = String(p.offset);
  li.dataset.user = String(user);
  if (session && user === session.user) li.classList.add('mine');
  const who = document.createElement('span');
  who.className = 'msg-user';
  who.textContent = String(user);
  const what = document.createElement('span');
  what.className = 'msg-text';
  what.textContent = String(text);
  const when = document.createElement('time');
  when.className = 'msg-time';
  if (typeof sentAt === 'number') {
    const date = new Date(sentAt);
    when.dateTime = date.toISOString();
    when.textContent = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }
  li.append(who, what, when);
  append(li);
}

/** A row that is not a message: `kind` is `reconnected` (nothing was missed) or `gap` (something may have been). */
function addMarker(text, kind) {
  const li = document.createElement('li');
  li.className = 'marker';
  li.dataset.kind = kind;
  li.textContent = text;
  append(li);
}

function append(li) {
  const list = el.messages;
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 8;
  list.appendChild(li);
  if (atBottom) list.scrollTop = list.scrollHeight;
}

el.composer.addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = el.message.value.trim();
  if (text === '' || !client) return;
  const length = [...text].length;
  if (length > config.maxMessageChars) {
    // The server would refuse it (forbidden, without saying why): explain before sending.
    showError('message_too_long', `The message is ${length} characters long; the limit is ${config.maxMessageChars}.`);
    return;
  }
  try {
    await client.publish(channelOf(room), config.event, { text });
  } catch (e) {
    // The text stays in the input, to be shortened or sent again.
    showError(e.code, e.code === 'forbidden' ? 'Message refused by the server.' : `Not sent: ${e.message}`);
    return;
  }
  showError(null);
  el.message.value = '';
  updateCounter();
});

el.message.addEventListener('input', updateCounter);

/** "12 / 500", marked when over: the server refuses longer messages. */
function updateCounter() {
  const length = [...el.message.value.trim()].length;
  el.counter.textContent = length > 0 ? `${length} / ${config.maxMessageChars}` : '';
  el.counter.classList.toggle('over', length > config.maxMessageChars);
}

function showError(code, text) {
  el.error.hidden = !text;
  el.error.textContent = text || '';
  if (code && text) el.error.dataset.code = code;
  else delete el.error.dataset.code;
}
