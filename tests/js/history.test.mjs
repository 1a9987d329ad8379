import { test } from 'node:test';
import assert from 'node:assert/strict';

import { History } from '../../static/js/board/history.js';
import { BoardStore } from '../../static/js/board/store.js';

/** A socket that applies ops to a plain store and answers like the server: new ids, whole objects. */
function fakeBoard() {
  const objects = new Map();
  const sent = [];
  let next = 100;
  const store = { get: (kind, id) => objects.get(`${kind}:${id}`) };
  const connection = {
    async op(op, data) {
      sent.push({ op, data });
      const [kind, action] = op.split('.');
      if (action === 'create') {
        const object = { ...data, id: next++ };
        objects.set(`${kind}:${object.id}`, object);
        return { type: 'applied', op, data: object };
      }
      if (action === 'delete') objects.delete(`${kind}:${data.id}`);
      return { type: 'applied', op, data };
    },
  };
  return { store, connection, sent, objects };
}

test('later ops of a change name the objects its creates made, through their placeholders', async () => {
  const { store, connection, sent } = fakeBoard();
  const history = new History({ connection, store });
  const frames = await history.change('paste', [
    { op: 'activity.create', data: { title: 'Plan', x: 0, y: 0 }, placeholder: -1 },
    { op: 'activity.create', data: { title: 'Build', x: 240, y: 0 }, placeholder: -2 },
    { op: 'waste.create', data: { text: 'Rework', activity: -1, x: 10, y: 170 } },
    { op: 'link.create', data: { source: -1, target: -2 } },
  ]);
  assert.deepEqual(frames.map((frame) => frame.data.id), [100, 101, 102, 103]);
  assert.equal(sent[2].data.activity, 100);
  assert.deepEqual(sent[3].data, { source: 100, target: 101 });

  await history.undo();
  assert.deepEqual(sent.slice(4).map(({ op, data }) => [op, data.id]), [
    ['link.delete', 103], ['waste.delete', 102], ['activity.delete', 101], ['activity.delete', 100],
  ]);

  await history.redo();
  const redone = sent.slice(8);
  assert.deepEqual(redone.map(({ op }) => op), ['activity.create', 'activity.create', 'waste.create', 'link.create']);
  assert.equal(redone[2].data.activity, 104);
  assert.deepEqual(redone[3].data, { source: 104, target: 105 });
});

test('undoing the delete of a linked activity re-creates its links to the re-created activity', async () => {
  const { store, connection, sent, objects } = fakeBoard();
  objects.set('activity:1', { id: 1, title: 'Plan', x: 0, y: 0, version: 1 });
  objects.set('activity:2', { id: 2, title: 'Build', x: 240, y: 0, version: 1 });
  objects.set('link:3', { id: 3, source: 1, target: 2, version: 1 });
  const history = new History({ connection, store });
  await history.change('delete of activity', [
    { op: 'link.delete', data: { id: 3 } },
    { op: 'activity.delete', data: { id: 1 } },
  ]);

  await history.undo();
  const [activity, link] = sent.slice(2);
  assert.equal(activity.op, 'activity.create');
  assert.deepEqual(link, { op: 'link.create', data: { source: 100, target: 2 } });
});

test('undoing a tracker state\'s assignment on the board sends state.update with the activity it had', async () => {
  const store = new BoardStore();
  store.apply({ type: 'snapshot', seq: 1, stream: { id: 1 }, work_states: [
    { id: 4, name: 'In Dev', order: 2, flow_state: 'active', activity: 31 },
  ] });
  const sent = [];
  let seq = 1;
  const connection = {
    async op(op, data) { // the server's answer, applied to the store as the socket does
      sent.push({ op, data });
      const frame = { type: 'applied', seq: ++seq, op, data: { ...store.get('state', data.id), ...data } };
      store.apply(frame);
      return frame;
    },
  };
  const history = new History({ connection, store });
  await history.change('assignment of In Dev to Build', [{ op: 'state.update', data: { id: 4, activity: 32 } }]);
  assert.equal(store.get('state', 4).activity, 32);
  await history.undo();
  assert.deepEqual(sent.map(({ op, data }) => [op, data]), [
    ['state.update', { id: 4, activity: 32 }], ['state.update', { id: 4, activity: 31 }],
  ]);
  assert.equal(store.get('state', 4).activity, 31);
});

test('undoing the delete of an activity puts its tracker states back on the re-created activity', async () => {
  const { store, connection, sent, objects } = fakeBoard();
  objects.set('activity:31', { id: 31, title: 'Build', x: 0, y: 0, version: 1 });
  objects.set('state:4', { id: 4, name: 'In Dev', order: 2, flow_state: 'active', activity: 31 });
  const history = new History({ connection, store });
  await history.change('delete of activity', [
    { op: 'state.update', data: { id: 4, activity: null } },
    { op: 'activity.delete', data: { id: 31 } },
  ]);
  await history.undo();
  assert.deepEqual(sent.slice(2).map(({ op, data }) => [op, data.id, data.activity]), [
    ['activity.create', undefined, undefined], ['state.update', 4, 100],
  ]);
});
