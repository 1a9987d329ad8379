// The board's switchboard (static/js/board/dispatch.js) under node, without a DOM: frames in
// through a connection, the real BoardStore in between, and fake parts that record which of
// their methods were called, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { PARTS, routeFrame, wire } from '../../static/js/board/dispatch.js';
import { Session } from '../../static/js/board/session.js';
import { BoardStore } from '../../static/js/board/store.js';

/** A part whose every method records `part.method(args)` in `calls`. */
function fakePart(name, calls) {
  return new Proxy({}, {
    get(target, method) {
      if (method === 'then') return undefined;
      return (...args) => calls.push([`${name}.${String(method)}`, ...args]);
    },
  });
}

/** The board wired to fake parts, with the real store and session; `frame(f)` sends one. */
function board({ role = 'participant', canEdit = true } = {}) {
  const calls = [];
  const store = new BoardStore();
  const session = new Session({ store, role, serverCanEdit: canEdit });
  const sources = Object.fromEntries(['connection', 'measured', 'selection', 'history', 'canvas', 'stickies'].map((name) => [name, new EventTarget()]));
  const to = Object.fromEntries(PARTS.map((name) => [name, fakePart(name, calls)]));
  to.store = store;
  to.session = session;
  const frames = []; // what `nextFrame` deferred, run by `flush`
  wire({ ...sources, store }, to, (callback) => frames.push(callback));
  const emit = (source, type, detail) => sources[source].dispatchEvent(new CustomEvent(type, { detail }));
  return {
    calls, store, session, emit,
    frame: (frame) => emit('connection', 'frame', frame),
    flush: () => { for (const callback of frames.splice(0)) callback(); },
    names: () => calls.map(([name]) => name),
    take: () => calls.splice(0).map(([name]) => name),
  };
}

const SNAPSHOT = {
  type: 'snapshot', seq: 4,
  stream: { id: 7, name: 'Delivery', locked: false, votes_revealed: false, workshop: 3 },
  workshop: { id: 3, phase: 'mapping' },
  activities: [
    { id: 1, title: 'Plan', x: 40, y: 40, order: 0 },
    { id: 2, title: 'Build', x: 280, y: 40, order: 1 },
  ],
  links: [{ id: 5, source: 1, target: 2, kind: 'flow' }],
  wastes: [{ id: 9, text: 'Waiting for review', activity: 2, x: 290, y: 210 }],
  countermeasures: [], notes: [], votes: [], work_states: [],
};
const applied = (seq, op, data, extra = {}) => ({ type: 'applied', seq, op, data, ...extra });

test('welcome tells the session and presence who the person is and what the server allows', () => {
  const b = board({ role: 'viewer', canEdit: false });
  const welcome = { type: 'welcome', role: 'facilitator', can_edit: true, user: { id: 11, member: 4 }, limits: { max_length: { activity: { title: 200 } } } };
  b.frame(welcome);
  assert.deepEqual(b.names(), ['presence.welcome']);
  assert.equal(b.session.role, 'facilitator');
  assert.equal(b.session.canEdit(), true);
  assert.equal(b.session.maxLength('activity', 'title'), 200);
  assert.equal(b.session.maxLength('waste', 'text'), null);
});

test('presence, follow, synced, a rejection without an op id and measured.changed each go to one part', () => {
  const b = board();
  b.frame({ type: 'presence', event: 'join', conn: 'c1' });
  b.frame({ type: 'follow', viewport: { x: 1, y: 2, zoom: 1 } });
  b.frame({ type: 'synced', seq: 4 });
  b.frame({ type: 'rejected', reason: 'rate_limited', detail: 'Slow down.' });
  b.frame({ type: 'rejected', reason: 'invalid' });
  b.frame({ type: 'rejected', id: 'op-1', reason: 'invalid', detail: 'Not this one.' }); // its op's promise says it
  b.frame({ type: 'measured.changed' });
  assert.deepEqual(b.calls, [
    ['presence.receive', { type: 'presence', event: 'join', conn: 'c1' }],
    ['facilitation.follow', { type: 'follow', viewport: { x: 1, y: 2, zoom: 1 } }],
    ['status.loaded'],
    ['status.notify', 'Slow down.', 'error'],
    ['status.notify', 'Refused.', 'error'],
    ['measured.schedule', 0],
  ]);
});

test('a snapshot resets the store and redraws everything, the flow marks first and the minimap last', () => {
  const b = board();
  b.frame({ type: 'welcome', role: 'participant', can_edit: true, user: { id: 11, member: 4 } });
  b.take();
  b.frame(SNAPSHOT);
  assert.equal(b.store.list('activity').length, 2);
  assert.deepEqual(b.store.me, { id: 11, member: 4 }, 'the welcome’s person, for "my votes"');
  assert.deepEqual(b.take(), [
    'flowOverlay.stale', 'share.loaded',
    'chrome.renderRoles', 'stickies.renderAll', 'facilitation.render', 'voting.render', 'countermeasures.render',
    'presence.renderAvatars', 'states.render', 'chrome.renderToolbar', 'chrome.renderHint', 'chrome.renderPanels',
    'status.loaded', 'fit.fitSoon', 'measured.schedule', 'minimap.stale',
  ]);
  b.flush();
  assert.deepEqual(b.take(), ['links.render'], 'the links once the cards have their sizes');
});

test('an activity update redraws every card that names it, its links, the states and the minimap', () => {
  const b = board();
  b.frame(SNAPSHOT);
  b.take();
  b.frame(applied(5, 'activity.update', { id: 2, title: 'Build and test', x: 280, y: 40, order: 1 }));
  assert.deepEqual(b.calls.filter(([name]) => name === 'stickies.render').map(([, kind, id]) => `${kind}:${id}`), ['activity:2', 'activity:1', 'waste:9']);
  assert.deepEqual(b.names().filter((name) => name !== 'stickies.render'), [
    'flowOverlay.stale', 'links.render', 'states.render', 'chrome.renderHint', 'minimap.stale',
  ]);
});

test("an activity's delete takes its links and unpins its wastes, each redrawn, and asks for measured figures", () => {
  const b = board();
  b.frame(SNAPSHOT);
  b.take();
  b.frame(applied(5, 'activity.delete', { id: 2 }));
  const renders = b.calls.filter(([name]) => name === 'stickies.render').map(([, kind, id]) => `${kind}:${id}`);
  assert.ok(renders.includes('link:5'), 'the cascaded link');
  assert.ok(renders.includes('waste:9'), 'the unpinned waste');
  assert.ok(renders.includes('activity:2'));
  assert.equal(b.store.get('waste', 9).activity, null);
  // The cascade's changes come first and ask for nothing measured; the delete itself does.
  assert.deepEqual(b.calls.filter(([name]) => name === 'measured.schedule'), [['measured.schedule']]);
});

test('a dot redraws its waste and the voting panel; a hidden one only the panel', () => {
  const b = board();
  b.frame(SNAPSHOT);
  b.take();
  b.frame(applied(5, 'vote.create', { id: 30, waste: 9, member: 4 }));
  assert.deepEqual(b.calls.slice(0, 3), [['stickies.render', 'vote', 30], ['stickies.render', 'waste', 9], ['voting.render']]);
  b.take();
  b.frame(applied(6, 'vote.create', null, { hidden: true }));
  assert.deepEqual(b.take(), ['voting.render']);
  assert.equal(b.store.hiddenVotes, 1);
});

test('a waste change refreshes the ranking and the countermeasures; a countermeasure only the latter', () => {
  const b = board();
  b.frame(SNAPSHOT);
  b.take();
  b.frame(applied(5, 'waste.update', { id: 9, text: 'Waiting', activity: 2, x: 290, y: 210 }));
  assert.deepEqual(b.take(), ['stickies.render', 'voting.scheduleRefresh', 'countermeasures.render', 'chrome.renderHint', 'minimap.stale']);
  b.frame(applied(6, 'countermeasure.create', { id: 40, waste: 9, title: 'Pair' }));
  assert.deepEqual(b.take(), ['stickies.render', 'countermeasures.render', 'chrome.renderHint', 'minimap.stale']);
});

test("a tracker state's assignment redraws both activities it names and asks for measured figures once a burst is over", () => {
  const b = board();
  b.frame({ ...SNAPSHOT, work_states: [{ id: 3, name: 'In review', activity: 1, order: 0 }] });
  b.take();
  b.frame(applied(5, 'state.update', { id: 3, name: 'In review', activity: 2, order: 0 }));
  assert.deepEqual(b.calls.filter(([name]) => name === 'stickies.render').map(([, kind, id]) => `${kind}:${id}`), ['state:3', 'activity:1', 'activity:2']);
  assert.deepEqual(b.calls.filter(([name]) => name === 'measured.schedule'), [['measured.schedule']], 'no delay given: debounced');
  assert.ok(b.names().includes('states.render'));
});

test('the stream, the workshop and the summary each redraw their own parts', () => {
  const b = board();
  b.frame(SNAPSHOT);
  b.take();
  b.frame(applied(5, 'stream.update', { locked: true }));
  assert.equal(b.store.stream.locked, true);
  assert.deepEqual(b.take(), [
    'chrome.renderRoles', 'stickies.renderAll', 'facilitation.render', 'voting.render', 'countermeasures.render',
    'presence.renderAvatars', 'states.render', 'chrome.renderToolbar', 'chrome.renderHint', 'chrome.renderPanels',
  ]);
  assert.equal(b.session.canEdit(), false, 'a locked board is read-only for a participant');
  b.frame(applied(6, 'workshop.update', { phase: 'wastes' }));
  assert.deepEqual(b.take(), ['facilitation.render', 'chrome.renderHint', 'chrome.renderPanels']);
  const summary = { seq: 6, critical_path: [1, 2] };
  b.frame({ type: 'summary', summary });
  assert.deepEqual(b.calls.splice(0), [['flowOverlay.stale'], ['ladder.render', summary], ['minimap.stale']]);
});

test('the connection state, measured figures, the selection, the history, the canvas and card sizes reach their parts', () => {
  const b = board();
  b.emit('connection', 'state', { state: 'offline', pending: 2 });
  assert.deepEqual(b.calls.splice(0), [['status.connection', { state: 'offline', pending: 2 }]]);
  b.emit('measured', 'change', {});
  assert.deepEqual(b.take(), ['stickies.refreshKind', 'states.render']);
  b.flush();
  assert.deepEqual(b.take(), ['links.render', 'fit.fitContent'], 'next frame: cards may have grown');
  b.emit('selection', 'change');
  assert.deepEqual(b.take(), ['stickies.refreshSelection', 'links.render', 'countermeasures.render', 'chrome.renderToolbar']);
  b.emit('history', 'change');
  assert.deepEqual(b.take(), ['chrome.renderToolbar']);
  b.emit('canvas', 'emptyclick', { x: 0, y: 0 });
  assert.deepEqual(b.take(), ['links.cancel', 'selection.clear']);
  const band = { x: 0, y: 0, width: 300, height: 200 };
  b.emit('canvas', 'band', band);
  assert.deepEqual(b.calls.splice(0), [['stickies.selectWithin', band]]);
  b.emit('canvas', 'pointer', { x: 5, y: 6 });
  assert.deepEqual(b.calls.splice(0), [['presence.moved', { x: 5, y: 6 }]]);
  b.emit('canvas', 'view', {});
  b.emit('canvas', 'moved', {});
  b.emit('stickies', 'resized');
  assert.deepEqual(b.take(), ['facilitation.sendView', 'minimap.schedule', 'links.render', 'minimap.stale']);
});

test('routeFrame hands every other frame to the store, which ignores what it does not know', () => {
  const seen = [];
  const to = { store: { apply: (frame) => seen.push(frame.type) } };
  for (const type of ['snapshot', 'applied', 'summary', 'cursor-of-the-future']) routeFrame({ type }, to);
  assert.deepEqual(seen, ['snapshot', 'applied', 'summary', 'cursor-of-the-future']);
});
