// The board socket finds out within seconds that the network is gone, even when nothing
// closes the socket (static/js/board-socket.js): silence past a heartbeat and a half, an op
// unanswered and then a ping unanswered, or the browser's `offline` event.
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';

import { BoardSocket } from '../../static/js/board-socket.js';

const windowEvents = new EventTarget();
globalThis.addEventListener = windowEvents.addEventListener.bind(windowEvents);
globalThis.removeEventListener = windowEvents.removeEventListener.bind(windowEvents);
Object.defineProperty(globalThis, 'navigator', { value: { onLine: true }, configurable: true, writable: true });
globalThis.location = { protocol: 'http:', host: 'board.test' };

/** A WebSocket whose network can go silent: frames sent are kept, nothing is answered. */
class FakeSocket extends EventTarget {
  static made = [];
  constructor(url) {
    super();
    this.url = url;
    this.readyState = 1;
    this.sent = [];
    this.closedWith = null;
    FakeSocket.made.push(this);
  }
  send(text) { this.sent.push(JSON.parse(text)); }
  close(code) { this.closedWith = code; this.readyState = 3; } // a dead link: no close event comes
  receive(...frames) {
    this.dispatchEvent(Object.assign(new Event('message'), { data: JSON.stringify(frames) }));
  }
  open() {
    this.dispatchEvent(new Event('open'));
    this.receive({ type: 'welcome', heartbeat: 2 }, { type: 'snapshot', seq: 0 }, { type: 'synced', seq: 0 });
  }
}

function connectedSocket() {
  FakeSocket.made = [];
  const socket = new BoardSocket('/ws/streams/1/', { WebSocketImpl: FakeSocket, probeAfter: 3000 });
  const states = [];
  socket.addEventListener('state', (event) => states.push(event.detail.state));
  socket.start();
  FakeSocket.made[0].open();
  assert.equal(socket.state, 'connected');
  return { socket, states, wire: FakeSocket.made[0] };
}

test('no frame for a heartbeat and a half: offline, without waiting for a close', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
  const { socket, wire } = connectedSocket();
  t.mock.timers.tick(2000);
  wire.receive({ type: 'heartbeat', seq: 0 });
  t.mock.timers.tick(2900);
  assert.equal(socket.state, 'connected'); // 2.9 s of silence < 3 s
  t.mock.timers.tick(200);
  assert.equal(socket.state, 'offline');
  assert.equal(wire.closedWith, 4000);
  socket.stop();
});

test('an op unanswered gets a ping; no answer to that either: offline, the op still pending', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
  const { socket, wire } = connectedSocket();
  socket.heartbeatMs = 60000; // a long heartbeat: the probe, not the watchdog, must find it
  wire.receive({ type: 'heartbeat', seq: 0 });
  socket.op('activity.update', { id: 1, wait_time: 7200 }).catch(() => {});
  assert.equal(wire.sent.at(-1).type, 'op');
  t.mock.timers.tick(3000);
  assert.equal(wire.sent.at(-1).type, 'ping');
  assert.equal(socket.state, 'connected');
  t.mock.timers.tick(3000);
  assert.equal(socket.state, 'offline');
  assert.equal(socket.pending, 1);
  socket.stop();
});

test('a pong in time keeps the connection', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
  const { socket, wire } = connectedSocket();
  socket.heartbeatMs = 60000;
  wire.receive({ type: 'heartbeat', seq: 0 });
  socket.op('note.create', { text: 'slow' }).catch(() => {});
  t.mock.timers.tick(3000);
  wire.receive({ type: 'pong', seq: 0 });
  t.mock.timers.tick(2500);
  assert.equal(socket.state, 'connected');
  socket.stop();
});

test("the browser's offline event: offline at once, and reconnecting when it is back", (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
  const { socket, states, wire } = connectedSocket();
  globalThis.navigator.onLine = false;
  windowEvents.dispatchEvent(new Event('offline'));
  assert.equal(socket.state, 'offline');
  assert.equal(wire.closedWith, 4000);
  t.mock.timers.tick(60000);
  assert.equal(FakeSocket.made.length, 1); // no attempts while the browser has no network
  globalThis.navigator.onLine = true;
  windowEvents.dispatchEvent(new Event('online'));
  assert.equal(states.at(-1), 'reconnecting');
  assert.equal(FakeSocket.made.length, 2);
  FakeSocket.made[1].open();
  assert.equal(socket.state, 'connected');
  socket.stop();
});

test('after a silent drop: offline between attempts, reconnecting during one, connected when back', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
  const { socket, states } = connectedSocket();
  t.mock.timers.tick(3000); // silence: a heartbeat and a half of 2 s
  assert.equal(socket.state, 'offline');
  t.mock.timers.tick(500); // the first retry (jittered within 0.25–0.5 s)
  assert.equal(FakeSocket.made.length, 2);
  assert.equal(socket.state, 'reconnecting');
  t.mock.timers.tick(3000); // that attempt hears nothing either
  assert.equal(socket.state, 'offline');
  t.mock.timers.tick(1000);
  assert.equal(socket.state, 'reconnecting');
  FakeSocket.made.at(-1).open();
  assert.equal(socket.state, 'connected');
  assert.deepEqual(states.slice(1, 4), ['offline', 'reconnecting', 'offline']);
  socket.stop();
});
