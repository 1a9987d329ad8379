// A future state beside the map it is based on: lead time, process time, flow efficiency and
// rolled %C&A of both, with the change, from the summary's `deltas` (metrics.flow.flow_deltas,
// recomputed when either map changes). The words say which way is better, not the colour alone.

import { h } from './dom.js';
import { formatDuration } from './units.js';

const percentOfFraction = (value) => `${Math.round(value * 1000) / 10}%`;
const percent = (value) => `${Math.round(value)}%`;

export const COMPARED = [
  { key: 'lead_time', label: 'Lead time', better: 'lower', kind: 'duration' },
  { key: 'process_time', label: 'Process time', better: 'lower', kind: 'duration' },
  { key: 'flow_efficiency', label: 'Flow efficiency', better: 'higher', kind: 'fraction' },
  { key: 'rolled_pca', label: 'Rolled %C&A', better: 'higher', kind: 'percent' },
];

function shown(kind, value) {
  if (kind === 'duration') return formatDuration(value, null);
  return kind === 'fraction' ? percentOfFraction(value) : percent(value);
}

function changeWords(kind, delta) {
  const change = Number(delta.change);
  const sign = change > 0 ? '+' : change < 0 ? '−' : '±';
  if (kind === 'duration') {
    const relative = delta.change_pct === null || delta.change_pct === undefined ? '' : ` (${sign}${Math.abs(Math.round(delta.change_pct))}%)`;
    return `${sign}${formatDuration(Math.abs(change), null)}${relative}`;
  }
  const points = kind === 'fraction' ? change * 100 : change;
  return `${sign}${Math.abs(Math.round(points * 10) / 10)} pts`;
}

/** The rows of the comparison, or null when the summary compares with no other map. */
export function comparison(summary) {
  const deltas = summary?.deltas;
  if (!deltas || !summary.deltas_against) return null;
  const rows = COMPARED.filter(({ key }) => deltas[key]).map(({ key, label, better, kind }) => {
    const delta = deltas[key];
    const change = Number(delta.change);
    // Below a second or a tenth of a point, no change is worth a word.
    const small = kind === 'duration' ? Math.abs(change) < 1 : Math.abs(kind === 'fraction' ? change * 100 : change) < 0.05;
    const improved = better === 'lower' ? change < 0 : change > 0;
    const trend = small ? 'same' : improved ? 'better' : 'worse';
    return { key, label, now: shown(kind, delta.current), base: shown(kind, delta.base), change: small ? 'no change' : changeWords(kind, delta), trend };
  });
  return { against: summary.deltas_against, rows };
}

/** The comparison as a small table (null: nothing to compare). */
export function compareTable(summary) {
  const compared = comparison(summary);
  if (!compared) return null;
  const base = compared.against;
  const trendWords = { better: 'better', worse: 'worse', same: '' };
  return h('table', { class: 'compare-figures' },
    h('caption', {}, `This map beside “${base.name}”, the ${base.state === 'future' ? 'future' : 'current'} state it is based on`),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, ''),
      h('th', { scope: 'col' }, 'This map'),
      h('th', { scope: 'col' }, base.state === 'future' ? 'Based on' : 'Current'),
      h('th', { scope: 'col' }, 'Change'))),
    h('tbody', {}, ...compared.rows.map((row) => h('tr', { dataset: { figure: row.key } },
      h('th', { scope: 'row' }, row.label),
      h('td', { class: 'now' }, row.now),
      h('td', { class: 'base' }, row.base),
      h('td', { class: `change ${row.trend}` }, row.change, trendWords[row.trend] ? h('span', { class: 'trend' }, ` ${trendWords[row.trend]}`) : null)))));
}
