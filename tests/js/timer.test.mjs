import { test } from 'node:test';
import assert from 'node:assert/strict';

import { TIMES_UP_SECONDS, timerFace } from '../../static/js/board/timer.js';

const end = Date.parse('2026-11-30T10:00:00Z');
const at = (seconds) => end + seconds * 1000;
const ENDS = '2026-11-30T10:00:00Z';

test('a running timer counts down, the last minute marked', () => {
  assert.deepEqual(timerFace(ENDS, at(-125)), { state: 'running', text: '2:05', label: '2 minutes 5 seconds left', left: 125 });
  assert.equal(timerFace(ENDS, at(-42)).state, 'ending');
  assert.equal(timerFace(ENDS, at(-42)).text, '0:42');
});

test('an expired timer says time is up for a few seconds, then shows no timer', () => {
  assert.equal(timerFace(ENDS, at(0)).text, 'Time’s up');
  assert.equal(timerFace(ENDS, at(0)).state, 'over');
  assert.equal(timerFace(ENDS, at(TIMES_UP_SECONDS - 1)).state, 'over');
  assert.deepEqual(timerFace(ENDS, at(TIMES_UP_SECONDS)), { state: 'idle', text: '–:––', label: 'No timer running', left: null });
  assert.equal(timerFace(ENDS, at(3600)).state, 'idle'); // a board opened an hour later
});

test('no timer, or a broken date, is no timer', () => {
  assert.equal(timerFace(null, at(0)).state, 'idle');
  assert.equal(timerFace('soon', at(0)).state, 'idle');
});
