// An activity's details beyond the three figures: its min/max lead time (the three-point
// estimate with the card's own wait + process time as the typical value, which the summary's
// Monte Carlo forecast samples), description, colour and lane. Edited in the "More" section
// of the card's form; the estimate shows on the card under the figures.

import { h } from './dom.js';
import { formatDuration, speakDuration } from './units.js';

/** Starter maps and the demo lay lanes out one row every 200 px (streams/services/starters.py). */
export const LANE_ROW = 200;

/** The fields of the activity form's "More" section (stickies.js builds the inputs). */
export const ACTIVITY_MORE_FIELDS = [
  { name: 'lead_time_min', label: 'Shortest lead time (min)', type: 'duration', optional: true, more: true },
  { name: 'lead_time_max', label: 'Longest lead time (max)', type: 'duration', optional: true, more: true },
  { name: 'description', label: 'Description', type: 'textarea', more: true },
  { name: 'color', label: 'Colour', type: 'color', more: true },
  { name: 'lane', label: 'Lane (0: the main flow, 1, 2…: parallel rows)', type: 'integer', min: 0, max: 100, more: true },
];

/** The collapsible "More" section of a form; `open` when the field to focus is in it or the
 * activity has an estimate already. Fields go into `body`. */
export function moreSection(object, open) {
  const typical = Number(object.process_time || 0) + Number(object.wait_time || 0);
  const body = h('div', { class: 'more-body' },
    h('p', { class: 'more-help' },
      `Typical lead time: this card's wait + process time, ${formatDuration(typical, null)}. ` +
      'Give the shortest and longest too, and the flow summary forecasts the lead time (Monte Carlo).'));
  const element = h('details', { class: 'more-fields', open: open ? true : null },
    h('summary', {}, 'More: estimate, description, colour, lane'), body);
  return { element, body };
}

/** A value the form shows for an optional field with nothing in it. */
export function isBlank(value) {
  return value === null || value === undefined;
}

/** Parses the "More" section's own input kinds; null when `field` is not one of them. */
export function parseMore(field, raw) {
  const text = String(raw ?? '').trim();
  if (field.optional && text === '') return { value: null };
  if (field.type === 'integer') {
    const value = Number(text);
    if (!Number.isInteger(value) || value < field.min || value > field.max) return { error: `A whole number from ${field.min} to ${field.max}.` };
    return { value };
  }
  if (field.type === 'color') {
    if (!/^#[0-9a-f]{6}$/i.test(text)) return { error: 'A colour like #fde68a.' };
    return { value: text.toLowerCase() };
  }
  return null;
}

/** What else an edit changes: a new lane moves the card to that lane's row. */
export function moreChanges(kind, object, changes) {
  if (kind !== 'activity' || !('lane' in changes) || !object) return {};
  const rows = changes.lane - Number(object.lane || 0);
  return rows ? { y: Math.round(Number(object.y || 0) + rows * LANE_ROW) } : {};
}

/** The estimate in words and short ('2d – 1w'), or null without one. */
export function estimateText(activity) {
  const low = activity.lead_time_min;
  const high = activity.lead_time_max;
  if (isBlank(low) && isBlank(high)) return null;
  const short = `${isBlank(low) ? '?' : formatDuration(low)} – ${isBlank(high) ? '?' : formatDuration(high)}`;
  const spoken = `estimated lead time from ${isBlank(low) ? 'unknown' : speakDuration(low)} to ${isBlank(high) ? 'unknown' : speakDuration(high)}`;
  return { short, spoken, complete: !isBlank(low) && !isBlank(high) };
}

/** The card's row under the figures: the estimate (double-click edits it) and a marker
 * whose tooltip is the description. Null when there is neither. */
export function detailRow(activity) {
  const estimate = estimateText(activity);
  const description = String(activity.description || '').trim();
  if (!estimate && !description) return null;
  return h('div', { class: 'detail-row' },
    estimate ? h('span', {
      class: 'field estimate', dataset: { field: 'lead_time_min' },
      title: estimate.complete ? 'Min – max lead time: the summary forecasts from it' : 'Give both ends for the forecast',
    }, h('span', { class: 'estimate-label' }, 'Est.'), ` ${estimate.short}`) : null,
    description ? h('span', { class: 'field description-mark', dataset: { field: 'description' }, title: description }, 'ⓘ notes') : null);
}
