import { test } from 'node:test';
import assert from 'node:assert/strict';

import { OFFSET, makeClip, pasteOps, pastePlace, readClip } from '../../static/js/board/clipboard.js';

const plan = { id: 11, title: 'Plan', team: 'Dev', x: 40, y: 40, order: 0, process_time: 3600, wait_time: 0, pca: 90, version: 3, color: '#fde68a' };
const build = { id: 12, title: 'Build', team: '', x: 280, y: 40, order: 1, process_time: 0, wait_time: 7200, pca: 100, version: 1, color: '#fde68a' };
const pinned = { id: 21, text: 'Specs change', category: 'defects', activity: 11, x: 50, y: 210, version: 1 };
const elsewhere = { id: 22, text: 'Waiting', category: 'waiting', activity: 13, x: 500, y: 210, version: 1 };
const note = { id: 31, text: 'Who signs off?', kind: 'question', color: '#bfdbfe', x: 300, y: 260, version: 2 };

function clipOf(stickies, links = []) {
  return makeClip({ workshop: 5, stream: 7, stickies: stickies.map(([kind, object]) => ({ kind, object })), links });
}

test('a clip keeps fields and places relative to the group, not ids, versions or order', () => {
  const clip = clipOf([['activity', plan], ['waste', pinned], ['note', note]]);
  assert.deepEqual(clip.origin, { x: 40, y: 40 });
  const [activity, waste, question] = clip.stickies;
  assert.deepEqual(activity.fields, { title: 'Plan', team: 'Dev', process_time: 3600, wait_time: 0, pca: 90, color: '#fde68a' });
  assert.deepEqual([activity.dx, activity.dy, waste.dx, waste.dy, question.dx, question.dy], [0, 0, 10, 170, 260, 220]);
  assert.equal(waste.under, activity.ref); // hangs under the copied activity
  assert.deepEqual(question.fields, { text: 'Who signs off?', kind: 'question', color: '#bfdbfe' });
});

test('countermeasures and links are not stickies to copy; links between copied activities come along', () => {
  const clip = clipOf([['activity', plan], ['activity', build], ['countermeasure', { id: 1, x: 0, y: 0, waste: 21 }]], [
    { id: 41, source: 11, target: 12 },
    { id: 42, source: 12, target: 99 },
  ]);
  assert.deepEqual(clip.stickies.map((entry) => entry.kind), ['activity', 'activity']);
  assert.deepEqual(clip.links, [{ source: 1, target: 2 }]);
  assert.equal(clipOf([['countermeasure', { id: 1, x: 0, y: 0 }]]), null);
});

test('pasting creates activities first with placeholders that their wastes and links name', () => {
  const clip = clipOf([['note', note], ['waste', pinned], ['activity', build], ['activity', plan]], [{ source: 11, target: 12 }]);
  const ops = pasteOps(clip, { stream: 8, at: { x: 400, y: 300 } });
  assert.deepEqual(ops.map((op) => op.op), ['activity.create', 'activity.create', 'waste.create', 'note.create', 'link.create']);
  const [buildOp, planOp, wasteOp, noteOp, linkOp] = ops;
  assert.equal(planOp.data.title, 'Plan');
  assert.deepEqual([planOp.data.x, planOp.data.y, buildOp.data.x, noteOp.data.x, noteOp.data.y], [400, 300, 640, 660, 520]);
  assert.equal(wasteOp.data.activity, planOp.placeholder);
  assert.ok(planOp.placeholder < 0 && buildOp.placeholder < 0 && planOp.placeholder !== buildOp.placeholder);
  assert.deepEqual(linkOp.data, { source: planOp.placeholder, target: buildOp.placeholder });
  assert.equal(linkOp.placeholder, undefined);
  for (const { data } of ops) for (const name of ['id', 'version', 'order']) assert.ok(!(name in data), name);
});

test('a waste under an activity that was not copied keeps it on its own board only', () => {
  const clip = clipOf([['waste', elsewhere]]);
  const exists = (id) => id === 13;
  assert.equal(pasteOps(clip, { stream: 7, at: { x: 0, y: 0 }, activityExists: exists })[0].data.activity, 13);
  assert.equal(pasteOps(clip, { stream: 7, at: { x: 0, y: 0 }, activityExists: () => false })[0].data.activity, null);
  assert.equal(pasteOps(clip, { stream: 8, at: { x: 0, y: 0 }, activityExists: exists })[0].data.activity, null);
});

test('a paste lands next to originals in view, further each time, else in the middle of the view', () => {
  const clip = clipOf([['activity', plan], ['note', note]]);
  const view = { x: 0, y: 0, width: 1000, height: 600 };
  assert.deepEqual(pastePlace(clip, { stream: 7, view, count: 1 }), { x: 40 + OFFSET, y: 40 + OFFSET });
  assert.deepEqual(pastePlace(clip, { stream: 7, view, count: 2 }), { x: 40 + 2 * OFFSET, y: 40 + 2 * OFFSET });
  const away = { x: 3000, y: 2000, width: 1000, height: 600 };
  const middle = pastePlace(clip, { stream: 7, view: away });
  assert.deepEqual(middle, { x: 3000 + (1000 - clip.width) / 2, y: 2000 + (600 - clip.height) / 2 });
  assert.deepEqual(pastePlace(clip, { stream: 8, view }), { x: (1000 - clip.width) / 2, y: (600 - clip.height) / 2 });
});

test('a stored clip is read back only for its own workshop, and only with the fields a copy keeps', () => {
  const clip = clipOf([['note', note]]);
  const text = JSON.stringify(clip);
  assert.deepEqual(readClip(text, 5), clip);
  assert.equal(readClip(text, 6), null);
  assert.equal(readClip('not json', 5), null);
  assert.equal(readClip(JSON.stringify({ ...clip, format: 'other' }), 5), null);
  const tampered = JSON.parse(text);
  tampered.stickies[0].fields.stream = 99;
  tampered.stickies[0].fields.id = 1;
  assert.deepEqual(readClip(tampered, 5).stickies[0].fields, { text: 'Who signs off?', kind: 'question', color: '#bfdbfe' });
  tampered.stickies[0].kind = 'vote';
  assert.equal(readClip(tampered, 5), null);
});
