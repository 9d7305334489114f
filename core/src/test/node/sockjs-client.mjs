// A SockJS client for the Java tests (dev.pushline.testing.NodeScript): the real sockjs-client from npm with one
// transport forced.
//
// Usage: node sockjs-client.mjs <url> <transport>
//   url:       the SockJS base URL, for example http://127.0.0.1:8080/sockjs
//   transport: xhr-streaming, xhr-polling or eventsource
//
// Prints one JSON object per line: {"event":"open","transport":...}, {"event":"message","data":"<text>"},
// {"event":"close","code":...,"reason":...}. Reads commands, one JSON object per line, from stdin:
// {"cmd":"send","data":"<text>"} sends a message; {"cmd":"close"} closes. Exits once closed, or when stdin ends.
import SockJS from 'sockjs-client';
import { createInterface } from 'node:readline';

const [url, transport] = process.argv.slice(2);
if (!url || !transport) {
  console.error('usage: node sockjs-client.mjs <url> <transport>');
  process.exit(2);
}

const print = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const sock = new SockJS(url, null, { transports: [transport] });

sock.onopen = () => print({ event: 'open', transport: sock.transport });
sock.onmessage = (e) => print({ event: 'message', data: e.data });
sock.onclose = (e) => {
  print({ event: 'close', code: e.code, reason: e.reason });
  process.exit(0);
};

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line);
  if (command.cmd === 'send') {
    sock.send(command.data);
  } else if (command.cmd === 'close') {
    sock.close();
  } else {
    console.error('unknown command: ' + line);
  }
}).on('close', () => process.exit(0));
