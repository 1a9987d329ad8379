import { test } from 'node:test';
import assert from 'node:assert/strict';

import { durationProblem, formatDuration, parseDuration, setHoursPerDay } from '../../static/js/board/units.js';

test('parses the human units of the board', () => {
  setHoursPerDay(8);
  assert.equal(parseDuration('90m'), 5400);
  assert.equal(parseDuration('2h'), 7200);
  assert.equal(parseDuration('3d'), 3 * 8 * 3600);
  assert.equal(parseDuration('1w'), 5 * 8 * 3600);
  assert.equal(parseDuration('1h 30m'), 5400);
  assert.equal(parseDuration('1.5h'), 5400);
  assert.equal(parseDuration('2 days'), 2 * 8 * 3600);
  assert.equal(parseDuration('0'), 0);
});

test('a bare number is not read as hours: it is refused with a hint', () => {
  for (const text of ['2', '45', '1.5', ' 45 ']) assert.equal(parseDuration(text), null, text);
  assert.equal(durationProblem('45'), '45 what? Try 45m or 45h.');
  assert.equal(durationProblem('1,5'), '1.5 what? Try 1.5m or 1.5h.');
  assert.equal(durationProblem('soon'), 'Write a duration like 90m, 2h, 3d or 1w.');
  assert.equal(durationProblem('45m'), null);
  assert.equal(durationProblem('0'), null);
});

test('rejects what is not a duration', () => {
  for (const text of ['', 'soon', '-2h', '2x', 'h2', '1h-']) {
    assert.equal(parseDuration(text), null, text);
  }
});

test('formats like the summary page (two largest units)', () => {
  setHoursPerDay(8);
  assert.equal(formatDuration(0), '0');
  assert.equal(formatDuration(45 * 60), '45m');
  assert.equal(formatDuration(3.5 * 3600), '3h 30m');
  assert.equal(formatDuration((2 * 8 + 4) * 3600), '2d 4h');
  assert.equal(formatDuration((3 * 5 + 2) * 8 * 3600), '3w 2d');
  assert.equal(formatDuration(30), '30s');
  assert.equal(formatDuration(null), '—');
});

test('a round trip keeps the value', () => {
  setHoursPerDay(8);
  for (const seconds of [60, 5400, 7200, 28800, 144000, 172800]) {
    assert.equal(parseDuration(formatDuration(seconds)), seconds);
  }
});

test('headline durations keep every unit down to minutes', () => {
  setHoursPerDay(8);
  const seconds = (5 * 8 + 2 * 8 + 4.5) * 3600;
  assert.equal(formatDuration(seconds), '1w 2d');
  assert.equal(formatDuration(seconds, null), '1w 2d 4h 30m');
});
