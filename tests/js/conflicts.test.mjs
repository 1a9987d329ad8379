import { test } from 'node:test';
import assert from 'node:assert/strict';

import { resolution, valueInWords } from '../../static/js/board/conflicts.js';
import { setHoursPerDay } from '../../static/js/board/units.js';

const latest = { id: 7, title: 'Review', wait_time: 4 * 3600, pca: 80, version: 6 };

test('keeping mine sends every field of my edit again, against the version there is now', () => {
  const op = resolution('keep', { kind: 'activity', id: 7, mine: { wait_time: 8 * 3600, pca: 90 }, fields: ['wait_time'], latest });
  assert.deepEqual(op, { op: 'activity.update', data: { id: 7, wait_time: 8 * 3600, pca: 90, version: 6 } });
});

test('taking theirs still sends my fields nobody else changed, and nothing when none is left', () => {
  const op = resolution('take', { kind: 'activity', id: 7, mine: { wait_time: 8 * 3600, pca: 90 }, fields: ['wait_time'], latest });
  assert.deepEqual(op, { op: 'activity.update', data: { id: 7, pca: 90, version: 6 } });
  assert.equal(resolution('take', { kind: 'activity', id: 7, mine: { wait_time: 1 }, fields: ['wait_time'], latest }), null);
  // Mine already there (someone typed the same): nothing to send either.
  assert.equal(resolution('keep', { kind: 'activity', id: 7, mine: { pca: 80 }, fields: ['pca'], latest }), null);
});

test('values are said as the card says them', () => {
  setHoursPerDay(8);
  assert.equal(valueInWords('wait_time', 4 * 3600), '4h');
  assert.equal(valueInWords('pca', 87.25), '87.3%');
  assert.equal(valueInWords('title', 'Review'), 'Review');
  assert.equal(valueInWords('team', ''), '(empty)');
});
