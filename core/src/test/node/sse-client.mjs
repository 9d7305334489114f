// A real EventSource (the `eventsource` npm package, WHATWG-compliant) against Pushline's /sse endpoint.
// Usage: node sse-client.mjs URL
// Prints one JSON line per thing that happens (see dev.pushline.testing.NodeScript):
//   {"event":"open"} when a stream opens (again after each reconnect),
//   {"event":"publication","lastEventId":..,"data":{..}} for each unnamed event (a publication),
//   {"event":NAME,"lastEventId":..,"data":{..}} for the named events welcome, subscribed, reset, direct,
//     unsubscribed, close and error (the server's error events carry data),
//   {"event":"disconnected","readyState":N} when the stream ended or failed (EventSource's own error),
//   {"event":"stopped"} after a close event that says not to reconnect (the script then closes it).
// Reads commands from stdin, one JSON object a line: {"cmd":"close"} closes the EventSource and exits.
import { EventSource } from 'eventsource';
import { createInterface } from 'node:readline';

const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const es = new EventSource(process.argv[2]);

es.onopen = () => out({ event: 'open' });
es.onmessage = (e) => out({ event: 'publication', lastEventId: e.lastEventId, data: JSON.parse(e.data) });
for (const name of ['welcome', 'subscribed', 'reset', 'direct', 'unsubscribed']) {
  es.addEventListener(name, (e) => out({ event: name, lastEventId: e.lastEventId, data: JSON.parse(e.data) }));
}
es.addEventListener('close', (e) => {
  const data = JSON.parse(e.data);
  out({ event: 'close', lastEventId: e.lastEventId, data });
  if (!data.reconnect) {
    es.close(); // EventSource reconnects after any end; the app stops it
    out({ event: 'stopped' });
  }
});
es.onerror = (e) => {
  if (typeof e.data === 'string') { // an error event the server sent
    out({ event: 'error', data: JSON.parse(e.data) });
  } else { // the connection ended or failed; EventSource retries unless readyState is CLOSED
    out({ event: 'disconnected', readyState: es.readyState, code: e.code ?? null, message: e.message ?? null });
  }
};

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line);
  if (command.cmd === 'close') {
    es.close();
    process.exit(0);
  }
});
