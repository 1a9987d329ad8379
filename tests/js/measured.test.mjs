import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  MeasuredFlow, compareToEstimate, coverageWords, measuredRow, windowWords,
} from '../../static/js/board/measured.js';
import { BoardStore } from '../../static/js/board/store.js';
import { setHoursPerDay } from '../../static/js/board/units.js';

const HOUR = 3600;
const DAY = 8 * HOUR;
const WINDOW = { start: '2026-09-02', end: '2026-11-30', as_of: '2026-11-30T12:43:11+00:00' };

test('a time more than 25% longer than its estimate is worse (▲), more than 25% shorter better (▼)', () => {
  assert.deepEqual(compareToEstimate(4 * DAY, 5.1 * DAY), { flag: 'worse', sign: '▲', words: 'longer' });
  assert.deepEqual(compareToEstimate(4 * DAY, 2.9 * DAY), { flag: 'better', sign: '▼', words: 'shorter' });
  // Within 25% (and exactly 25%) is not flagged.
  assert.equal(compareToEstimate(4 * DAY, 5 * DAY).flag, null);
  assert.equal(compareToEstimate(4 * DAY, 3 * DAY).flag, null);
  assert.equal(compareToEstimate(4 * DAY, 4.5 * DAY).flag, null);
});

test('a %C&A lower than its estimate by more than 25% of it is worse, higher is better', () => {
  assert.deepEqual(compareToEstimate(90, 63, { higherIsBetter: true }), { flag: 'worse', sign: '▼', words: 'lower' });
  assert.deepEqual(compareToEstimate(60, 98, { higherIsBetter: true }), { flag: 'better', sign: '▲', words: 'higher' });
  assert.equal(compareToEstimate(75, 63, { higherIsBetter: true }).flag, null); // 12 of 75: 16%
});

test('an estimate of 0 flags any measured time, and nothing is flagged without both figures', () => {
  assert.equal(compareToEstimate(0, 60).flag, 'worse');
  assert.equal(compareToEstimate(0, 0).flag, null);
  assert.equal(compareToEstimate(3600, null).flag, null);
  assert.equal(compareToEstimate(undefined, 3600).flag, null);
  assert.equal(compareToEstimate(3600, Number.NaN).flag, null);
});

const development = { id: 6, title: 'Development', process_time: 4 * DAY, wait_time: DAY, pca: 75 };
const states = [
  { id: 1, name: 'Backlog', order: 0, flow_state: 'new', activity: null },
  { id: 2, name: 'Ready for Dev', order: 1, flow_state: 'waiting', activity: 6 },
  { id: 3, name: 'In Dev', order: 2, flow_state: 'active', activity: 6 },
  { id: 4, name: 'Code Review', order: 3, flow_state: 'active', activity: 7 },
  { id: 9, name: 'Done', order: 8, flow_state: 'done', activity: 8 },
];
const figures = { items: 41, process_time: 10 * HOUR, wait_time: 2 * DAY + 6 * HOUR, process_time_p85: 6 * DAY, wait_time_p85: 5 * DAY, pca: 63 };

test('the measured row shows each figure in the board\'s units with its flag, and the counts in its title', () => {
  setHoursPerDay(8);
  const row = measuredRow({ activity: development, measured: figures, states, window: WINDOW });
  assert.equal(row.empty, false);
  assert.deepEqual(row.cells.map(({ text, flag, sign }) => [text, flag, sign]), [
    ['1d 2h', 'better', '▼'], ['2d 6h', 'worse', '▲'], ['63%', null, ''],
  ]);
  assert.equal(row.title,
    'Measured: median of 41 items done in the last 90 days that went through Ready for Dev and In Dev. ' +
    'p85: process time 1w 1d, wait time 1w. Flagged (▲ ▼) where it differs from the estimate by more than 25%.');
  assert.match(row.speech, /process time 1 day 2 hours, shorter than the estimate/);
  assert.match(row.speech, /wait time 2 days 6 hours, longer than the estimate/);
});

test('a time no state of its kind maps to is not measured: "–", not a measured 0', () => {
  const review = { id: 7, title: 'Code review', process_time: 2 * HOUR, wait_time: 2 * DAY, pca: 90 };
  const row = measuredRow({ activity: review, measured: { ...figures, wait_time: 0, wait_time_p85: 0 }, states, window: WINDOW });
  const wait = row.cells.find((cell) => cell.field === 'wait_time');
  assert.deepEqual([wait.text, wait.flag], ['–', null]);
  assert.doesNotMatch(row.title, /wait time/);
});

test('a card no waiting or active state maps to shows nothing; one nobody went through says so', () => {
  const deploy = { id: 8, title: 'Deploy', process_time: HOUR, wait_time: 0, pca: 90 };
  assert.equal(measuredRow({ activity: deploy, measured: figures, states, window: WINDOW }), null); // only Done maps to it
  assert.equal(measuredRow({ activity: { ...development, id: 99 }, measured: null, states, window: WINDOW }), null);
  const empty = measuredRow({ activity: development, measured: { items: 0 }, states, window: WINDOW });
  assert.equal(empty.empty, true);
  assert.equal(empty.title, 'No work item done in the last 90 days went through Ready for Dev and In Dev.');
});

test('windows are told in words', () => {
  assert.equal(windowWords(WINDOW), 'in the last 90 days');
  assert.equal(windowWords({ start: '2024-03-01', end: '2024-03-10', as_of: '2024-03-11T00:00:00Z' }), 'from 2024-03-01 to 2024-03-10');
  assert.equal(windowWords(null), 'in the window');
});

test('the coverage line names the unmapped states with their share', () => {
  const payload = { window: WINDOW, items_done: 3, coverage: { mapped_share: 14 / 15, unmapped_states: [{ name: 'Blocked', share: 1 / 15 }] } };
  assert.equal(coverageWords(payload),
    '3 work items done in the last 90 days: 93% of their waiting and active time is in states on this map (not on it: Blocked 7%).');
  assert.equal(coverageWords({ ...payload, items_done: 0 }), 'No work item was done in the last 90 days: nothing measured yet.');
  assert.equal(coverageWords(null), '');
});

test('the figures are fetched once for a burst of changes, and a late answer never replaces a newer one', async () => {
  const answers = [];
  const measured = new MeasuredFlow({
    streamId: 12, delay: 5,
    fetch: (url) => new Promise((resolve) => answers.push({ url, resolve })),
  });
  const seen = [];
  measured.addEventListener('change', (event) => seen.push(event.detail.items_done));
  measured.schedule(); measured.schedule(); measured.schedule();
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.deepEqual(answers.map((answer) => answer.url), ['/api/streams/12/measured/']);
  measured.load();
  answers[1].resolve({ items_done: 2, activities: [{ id: 6, measured: figures }] });
  answers[0].resolve({ items_done: 1, activities: [] });
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(seen, [2]);
  assert.equal(measured.of(6), figures);
  assert.equal(measured.of(7), null);
});

test('the store keeps the tracker states of the snapshot, applies state.update and forgets a deleted activity', () => {
  const store = new BoardStore();
  store.apply({ type: 'snapshot', seq: 1, stream: { id: 1 }, activities: [{ id: 6, order: 0, x: 0 }], work_states: states });
  assert.deepEqual(store.states().map((state) => state.name), ['Backlog', 'Ready for Dev', 'In Dev', 'Code Review', 'Done']);
  store.apply({ type: 'applied', seq: 2, op: 'state.update', data: { ...states[0], activity: 6 } });
  assert.equal(store.get('state', 1).activity, 6);
  const changes = [];
  store.addEventListener('change', (event) => changes.push([event.detail.kind, event.detail.id]));
  store.apply({ type: 'applied', seq: 3, op: 'activity.delete', data: { id: 6 } });
  assert.deepEqual(store.states().filter((state) => state.activity === 6), []);
  assert.deepEqual(changes.filter(([kind]) => kind === 'state').map(([, id]) => id).sort(), [1, 2, 3]);
});
