// The map against measured flow on the board: each activity's measured figures (GET
// /api/streams/<id>/measured/, docs/flow-metrics.md "The map against measured flow") beside
// its estimate. The pure part says what a card shows (the difference rule, the words); the
// MeasuredFlow object fetches the figures again when they may have changed. No DOM here.

import { api } from './api.js';
import { formatDuration, speakDuration } from './units.js';

/** A measured figure is flagged when it differs from the estimate by more than this share of
 * the estimate. */
export const FLAG_SHARE = 0.25;

const FIELDS = [
  { name: 'process_time', label: 'process time', short: 'PT', flow: 'active', time: true },
  { name: 'wait_time', label: 'wait time', short: 'WT', flow: 'waiting', time: true },
  { name: 'pca', label: '%C&A', short: '%C&A', flow: null, time: false },
];

/**
 * How a measured figure stands against its estimate: `{flag, sign, words}`, where `flag` is
 * null within 25 % of the estimate (or when either is missing), else 'worse' or 'better'.
 * Times are worse when longer; %C&A (`higherIsBetter`) when lower. `sign` is the arrow of the
 * direction (▲ more, ▼ less) so the difference does not rest on colour alone.
 */
export function compareToEstimate(estimate, measured, { higherIsBetter = false } = {}) {
  const none = { flag: null, sign: '', words: '' };
  if (!isNumber(estimate) || !isNumber(measured)) return none;
  const difference = measured - estimate;
  if (Math.abs(difference) <= FLAG_SHARE * Math.abs(estimate)) return none;
  const more = difference > 0;
  const worse = higherIsBetter ? !more : more;
  return {
    flag: worse ? 'worse' : 'better',
    sign: more ? '▲' : '▼',
    words: higherIsBetter ? (more ? 'higher' : 'lower') : (more ? 'longer' : 'shorter'),
  };
}

/**
 * What an activity's measured row shows: null when no tracker state maps to it (the card
 * shows nothing extra), `{empty: true, ...}` when states map to it but no done item of the
 * window entered them, else one cell per figure (PT, WT, %C&A). A time is only measured
 * when a state of its kind maps to the activity (process time: an `active` state; wait time:
 * a `waiting` one): otherwise the cell says "–" rather than a measured 0.
 */
export function measuredRow({ activity, measured, states, window }) {
  const mapped = (states || []).filter((state) => state.activity === activity.id);
  const counted = mapped.filter((state) => state.flow_state === 'active' || state.flow_state === 'waiting');
  if (!measured || !counted.length) return null;
  const period = windowWords(window);
  const names = counted.map((state) => state.name);
  if (!measured.items) {
    return {
      empty: true,
      text: 'measured: no items yet',
      title: `No work item done ${period} went through ${listWords(names)}.`,
      speech: `measured: no work item done ${period} went through its tracker states`,
      cells: [],
    };
  }
  const cells = FIELDS.map((field) => {
    const kindMapped = field.flow === null || hasFlow(counted, field.flow);
    const value = kindMapped ? measured[field.name] : null;
    if (!isNumber(value)) {
      return { field: field.name, short: field.short, text: '–', flag: null, sign: '', speech: `${field.label} not measured` };
    }
    const comparison = compareToEstimate(activity[field.name], value, { higherIsBetter: !field.time });
    const text = field.time ? formatDuration(value) : `${Math.round(value)}%`;
    const spoken = field.time ? speakDuration(value) : `${Math.round(value)}%`;
    return {
      field: field.name,
      short: field.short,
      text,
      flag: comparison.flag,
      sign: comparison.sign,
      speech: `${field.label} ${spoken}${comparison.flag ? `, ${comparison.words} than the estimate` : ''}`,
    };
  });
  const p85 = [
    ['process time', hasFlow(counted, 'active') ? measured.process_time_p85 : null],
    ['wait time', hasFlow(counted, 'waiting') ? measured.wait_time_p85 : null],
  ].filter(([, value]) => isNumber(value)).map(([label, value]) => `${label} ${formatDuration(value)}`);
  const title = [
    `Measured: median of ${plural(measured.items, 'item')} done ${period} that went through ${listWords(names)}.`,
    p85.length ? `p85: ${p85.join(', ')}.` : '',
    'Flagged (▲ ▼) where it differs from the estimate by more than 25%.',
  ].filter(Boolean).join(' ');
  return {
    empty: false,
    title,
    speech: `measured over ${plural(measured.items, 'item')}: ${cells.map((cell) => cell.speech).join(', ')}`,
    cells,
  };
}

/** "in the last 90 days" for a window that ends on its as_of day, else "from 2024-03-01 to
 * 2024-03-10". */
export function windowWords(window) {
  if (!window?.start || !window?.end) return 'in the window';
  const start = Date.parse(`${window.start}T00:00:00Z`);
  const end = Date.parse(`${window.end}T00:00:00Z`);
  const days = Math.round((end - start) / 86_400_000) + 1;
  const asOfDay = String(window.as_of || '').slice(0, 10);
  if (Number.isFinite(days) && days > 0 && (!asOfDay || asOfDay === window.end)) return `in the last ${plural(days, 'day')}`;
  return `from ${window.start} to ${window.end}`;
}

/** The coverage line of the tracker-state panel, or '' without figures. */
export function coverageWords(payload) {
  if (!payload) return '';
  const period = windowWords(payload.window);
  if (!payload.items_done) return `No work item was done ${period}: nothing measured yet.`;
  const share = payload.coverage?.mapped_share;
  const items = `${plural(payload.items_done, 'work item')} done ${period}`;
  if (!isNumber(share)) return `${items}; they spent no time waiting or active.`;
  const unmapped = (payload.coverage.unmapped_states || []).slice(0, 3)
    .map((state) => `${state.name} ${Math.round(state.share * 100)}%`);
  return `${items}: ${Math.round(share * 100)}% of their waiting and active time is in states on this map` +
    (unmapped.length ? ` (not on it: ${unmapped.join(', ')}).` : '.');
}

function hasFlow(states, flow) {
  return states.some((state) => state.flow_state === flow);
}

function isNumber(value) {
  return typeof value === 'number' && Number.isFinite(value);
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function listWords(names) {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/**
 * The board's copy of the measured figures. `schedule()` fetches them again after a short
 * pause (a burst of assignments is one request); an answer older than a later request's is
 * dropped. Emits `change` with the new payload (null when the map has none or it failed).
 */
export class MeasuredFlow extends EventTarget {
  constructor({ streamId, fetch = (url) => api('GET', url), delay = 300 }) {
    super();
    this.url = `/api/streams/${streamId}/measured/`;
    this.fetch = fetch;
    this.delay = delay;
    this.payload = null;
    this.byActivity = new Map();
    this.timer = null;
    this.asked = 0;
  }

  /** The measured figures of an activity (null: none, or not loaded). */
  of(activityId) {
    return this.byActivity.get(activityId)?.measured ?? null;
  }

  schedule(delay = this.delay) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = null; this.load(); }, delay);
  }

  async load() {
    const asked = ++this.asked;
    let payload;
    try {
      payload = await this.fetch(this.url);
    } catch {
      return; // keep what is shown; the next change or reconnect asks again
    }
    if (asked !== this.asked) return;
    this.payload = payload;
    this.byActivity = new Map((payload?.activities || []).map((activity) => [activity.id, activity]));
    this.dispatchEvent(new CustomEvent('change', { detail: payload }));
  }
}
