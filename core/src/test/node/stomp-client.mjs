// A real third-party STOMP client against a Pushline server: @stomp/stompjs over the `ws` package (Node 20
// has no global WebSocket), or over the real sockjs-client when the URL is http(s):// (STOMP over SockJS,
// the Spring combination; the URL's fragment names the one SockJS transport to use, e.g.
// http://127.0.0.1:8026/stomp#xhr-streaming). Driven by dev.pushline.StompJsIT and
// dev.pushline.internal.http.sockjs.StompOverSockJsTest through NodeScript.
//
//   node stomp-client.mjs <url> <heart-beat ms> <destination>...
//
// Prints one JSON object per line ({"event": ...}); reads commands, one JSON object per line, on stdin:
//   {"cmd":"publish","destination":"/topic/x","body":"...","receipt":"p1","headers":{...}}
//   {"cmd":"heartbeats"}     -> {"event":"heartbeats","received":N,"sent":N}
// and prints {"event":"heartbeat-received"} and {"event":"heartbeat-sent"} as they happen.
//   {"cmd":"disconnect"}     -> {"event":"disconnected",...}, then {"event":"closed",...}; then exits
import { Client } from '@stomp/stompjs';
import WebSocket from 'ws';
import SockJS from 'sockjs-client';
import { createInterface } from 'node:readline';

const [url, heartBeat, ...destinations] = process.argv.slice(2);
const print = (event) => process.stdout.write(JSON.stringify(event) + '\n');

let heartBeatsReceived = 0;
let heartBeatsSent = 0;

const client = new Client({
  webSocketFactory: () => {
    if (url.startsWith('ws')) {
      return new WebSocket(url, ['v12.stomp', 'v11.stomp', 'v10.stomp']);
    }
    const [base, transport] = url.split('#');
    return new SockJS(base, null, { transports: [transport] });
  },
  heartbeatIncoming: Number(heartBeat),
  heartbeatOutgoing: Number(heartBeat),
  reconnectDelay: 0, // a test wants to see a failure, not a retry
  connectHeaders: { login: 'node', passcode: 'secret' },
  debug: (line) => {
    if (line === '>>> PING') {
      heartBeatsSent++;
      print({ event: 'heartbeat-sent' });
    }
  },
  onHeartbeatReceived: () => {
    heartBeatsReceived++;
    print({ event: 'heartbeat-received' });
  },
  onConnect: (frame) => {
    print({
      event: 'connected',
      version: frame.headers['version'],
      heartBeat: frame.headers['heart-beat'],
      session: frame.headers['session'],
      server: frame.headers['server'],
    });
    destinations.forEach((destination, i) => {
      const receipt = `sub-receipt-${i}`;
      client.watchForReceipt(receipt, (r) => print({
        event: 'subscribed', destination, receipt: r.headers['receipt-id'], offset: r.headers['offset'],
      }));
      client.subscribe(destination, (message) => print({
        event: 'message',
        destination: message.headers['destination'],
        subscription: message.headers['subscription'],
        messageId: message.headers['message-id'],
        contentType: message.headers['content-type'],
        offset: Number(message.headers['offset']),
        epoch: message.headers['epoch'],
        name: message.headers['event'],
        body: message.body,
      }), { receipt });
    });
  },
  onStompError: (frame) => print({ event: 'stomp-error', message: frame.headers['message'], body: frame.body }),
  onDisconnect: (frame) => print({ event: 'disconnected', receipt: frame.headers['receipt-id'] }),
  onWebSocketClose: (e) => {
    print({ event: 'closed', code: e.code });
    process.exit(0);
  },
  onWebSocketError: () => print({ event: 'websocket-error' }),
});

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line);
  switch (command.cmd) {
    case 'publish': {
      const headers = { ...(command.headers || {}) };
      if (command.receipt) {
        headers.receipt = command.receipt;
        client.watchForReceipt(command.receipt, (r) => print({
          event: 'published', receipt: r.headers['receipt-id'], offset: Number(r.headers['offset']),
        }));
      }
      client.publish({ destination: command.destination, body: command.body, headers });
      break;
    }
    case 'heartbeats':
      print({ event: 'heartbeats', received: heartBeatsReceived, sent: heartBeatsSent });
      break;
    case 'disconnect':
      client.deactivate();
      break;
    default:
      print({ event: 'unknown-command', command });
  }
});

client.activate();
