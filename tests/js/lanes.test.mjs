import { test } from 'node:test';
import assert from 'node:assert/strict';

import { LANE_HEIGHT, LANE_TOP, laneOf, laneTargets, laneY, pastedOnLanes, placeOnLanes } from '../../static/js/board/lanes.js';

test('a lane is a row: lane 0 at the top, each next one a lane height below', () => {
  assert.equal(laneY(0), LANE_TOP);
  assert.equal(laneY(2), LANE_TOP + 2 * LANE_HEIGHT);
  assert.equal(laneOf(LANE_TOP + 60), 0);
  assert.equal(laneOf(LANE_TOP + 140), 1);
  assert.equal(laneOf(-500), 0);
  assert.equal(laneOf(1e6), 100);
});

test('an activity dropped between rows lands on its nearest lane row, where it was dropped along it', () => {
  const places = placeOnLanes([{ key: 'activity:1', kind: 'activity', x: 517, y: 263 }], []);
  assert.deepEqual(places.get('activity:1'), { x: 517, y: 280, lane: 1 });
});

test('an activity dropped onto another of its lane moves to the nearest free place beside it', () => {
  const others = [{ x: 40, lane: 0 }, { x: 260, lane: 0 }, { x: 700, lane: 0 }];
  const right = placeOnLanes([{ key: 'a', kind: 'activity', x: 300, y: 95 }], others);
  assert.deepEqual(right.get('a'), { x: 480, y: 80, lane: 0 }); // past the card at 260
  const left = placeOnLanes([{ key: 'a', kind: 'activity', x: 230, y: 70 }], others);
  assert.deepEqual(left.get('a'), { x: 480, y: 80, lane: 0 });
  const otherLane = placeOnLanes([{ key: 'a', kind: 'activity', x: 260, y: 290 }], others);
  assert.deepEqual(otherLane.get('a'), { x: 260, y: 280, lane: 1 }); // lane 1 is free there
});

test('what moves with activities keeps its place relative to them', () => {
  const places = placeOnLanes([
    { key: 'activity:1', kind: 'activity', x: 100, y: 90 },
    { key: 'waste:5', kind: 'waste', x: 110, y: 260 },
  ], []);
  assert.deepEqual(places.get('activity:1'), { x: 100, y: 80, lane: 0 });
  assert.deepEqual(places.get('waste:5'), { x: 110, y: 250 });
});

test('up and down arrows move an activity a whole lane, not a few pixels back to its row', () => {
  const origins = new Map([['activity:1', { x: 40, y: 80 }]]);
  const down = laneTargets([{ id: 1, x: 40, y: 80 }], new Map([['activity:1', { x: 40, y: 90 }]]), origins, 10);
  assert.deepEqual(down.get('activity:1'), { x: 40, y: 280, lane: 1 });
  const up = laneTargets([{ id: 1, x: 40, y: 280 }], new Map([['activity:1', { x: 40, y: 270 }]]), new Map([['activity:1', { x: 40, y: 280 }]]), -10);
  assert.deepEqual(up.get('activity:1'), { x: 40, y: 80, lane: 0 });
  const sideways = laneTargets([{ id: 1, x: 40, y: 80 }], new Map([['activity:1', { x: 50, y: 80 }]]), origins, 0);
  assert.deepEqual(sideways.get('activity:1'), { x: 50, y: 80, lane: 0 });
});

test('moving notes alone leaves them where they were dropped', () => {
  const targets = new Map([['note:3', { x: 13, y: 17 }]]);
  assert.equal(laneTargets([{ id: 1, x: 40, y: 80 }], targets, new Map()), targets);
});

test('a duplicated activity lands on its lane beside the original, with its waste under it', () => {
  const activities = [{ id: 1, x: 40, y: 80 }];
  const ops = pastedOnLanes([
    { op: 'activity.create', data: { title: 'Build', x: 64, y: 104 }, placeholder: -1, ref: 1 },
    { op: 'waste.create', data: { text: 'Rework', activity: -1, x: 74, y: 274 }, ref: 2 },
    { op: 'link.create', data: { source: -1, target: 1 } },
  ], activities);
  assert.deepEqual(ops[0].data, { title: 'Build', x: 260, y: 80, lane: 0 });
  assert.equal(ops[0].placeholder, -1);
  assert.deepEqual(ops[1].data, { text: 'Rework', activity: -1, x: 270, y: 250 });
  assert.deepEqual(ops[2].data, { source: -1, target: 1 });
});
