// Edit conflicts on the cards. An edit made in the sticky form carries the version of the
// object it was made against; when someone else changed one of its fields since (an edit
// made offline and sent on return, or a form left open), the server refuses it with a
// `conflict` and the object as it is now (docs/realtime.md). The card then shows both values
// of each such field and asks: "Keep mine" sends the edit again against the version the
// board has now; "Take theirs" keeps the newer values (and still sends those of the edit's
// fields nobody else touched). Both are ordinary changes through the undo history.
//
// The functions above the class are pure (tests/js/conflicts.test.mjs).

import { announce, h } from './dom.js';
import { KIND_NAMES, NOTE_KINDS, STATUSES, WASTE_CATEGORIES, fieldLabel } from './labels.js';
import { formatDuration } from './units.js';

const DURATIONS = new Set(['process_time', 'wait_time', 'lead_time_min', 'lead_time_max']);
const keyOf = (kind, id) => `${kind}:${id}`;

/** A field's value as the card says it. */
export function valueInWords(field, value) {
  if (value === null || value === undefined || value === '') return '(empty)';
  if (DURATIONS.has(field)) return formatDuration(value);
  if (field === 'pca') return `${Math.round(Number(value) * 10) / 10}%`;
  if (field === 'category') return WASTE_CATEGORIES[value] || String(value);
  if (field === 'status') return STATUSES[value] || String(value);
  if (field === 'kind') return NOTE_KINDS[value] || String(value);
  return String(value);
}

/**
 * The update op that settles a conflict. `mine` are the fields the person's edit set,
 * `fields` those someone else changed since, `latest` the object as the board has it now.
 * 'keep': every field of the edit, against the latest version. 'take': only the edit's
 * fields nobody else changed (null when none is left: nothing to send).
 */
export function resolution(choice, { kind, id, mine, fields, latest }) {
  const changes = choice === 'keep'
    ? { ...mine }
    : Object.fromEntries(Object.entries(mine).filter(([name]) => !fields.includes(name)));
  const left = Object.fromEntries(Object.entries(changes).filter(([name, value]) => latest?.[name] !== value));
  if (!Object.keys(left).length) return null;
  return { op: `${kind}.update`, data: { id, ...left, version: latest?.version } };
}

export class Conflicts {
  /** Keeps the person's refused edits of `store`'s objects; shows them through
   * `renderSticky(kind, id)` and `focusSticky(kind, id)`, sends the kept one through `history`. */
  constructor({ store, history, renderSticky, focusSticky, notify }) {
    Object.assign(this, { store, history, renderSticky, focusSticky, notify });
    this.conflicts = new Map(); // sticky key -> {kind, id, mine, fields, by, detail}
    this.focused = null; // the conflict button that had the focus, to keep it on a re-render
  }

  /** The server refused the edit `mine` of (kind, id) with a conflict (an OpRejected). */
  show(kind, id, mine, rejection) {
    const frame = rejection?.frame || rejection || {};
    const fields = Array.isArray(frame.fields) && frame.fields.length ? frame.fields : Object.keys(mine);
    const conflict = { kind, id, mine, fields, by: frame.by || null, detail: frame.detail || 'Someone else changed this meanwhile.' };
    this.conflicts.set(keyOf(kind, id), conflict);
    this.renderSticky(kind, id);
    this.notify(`Not saved: ${conflict.detail}`, 'error');
    announce(`Your edit of a ${KIND_NAMES[kind].toLowerCase()} was not saved: ${conflict.detail}`);
  }

  has(kind, id) {
    return this.conflicts.has(keyOf(kind, id));
  }

  /** Puts the conflict box into the card (after each render of it). */
  decorate(element, kind, id) {
    const key = keyOf(kind, id);
    const conflict = this.conflicts.get(key);
    element.classList.toggle('has-conflict', Boolean(conflict));
    if (!conflict) return;
    const latest = this.store.get(kind, id);
    const who = conflict.by?.name || 'someone else';
    const rows = conflict.fields.map((field) => h('div', { class: 'conflict-field' },
      h('dt', {}, fieldLabel(field)),
      h('dd', {}, h('span', { class: 'conflict-mine' }, `Yours: ${valueInWords(field, conflict.mine[field])}`), ' ',
        h('span', { class: 'conflict-theirs' }, `${who}’s: ${valueInWords(field, latest?.[field])}`))));
    const headingId = `conflict-${kind}-${id}`;
    const box = h('div', { class: 'conflict-box', role: 'group', 'aria-labelledby': headingId },
      h('p', { class: 'conflict-detail', id: headingId }, `Not saved: ${conflict.detail}`),
      h('dl', { class: 'conflict-fields' }, ...rows),
      h('div', { class: 'conflict-actions' },
        h('button', { type: 'button', class: 'mini primary', dataset: { conflict: 'keep' } }, 'Keep mine'),
        h('button', { type: 'button', class: 'mini', dataset: { conflict: 'take' } }, 'Take theirs')));
    box.addEventListener('click', (event) => {
      const choice = event.target.closest('[data-conflict]')?.dataset.conflict;
      if (!choice) return;
      event.stopPropagation();
      this.settle(kind, id, choice);
    });
    box.addEventListener('dblclick', (event) => event.stopPropagation()); // not the edit form
    box.addEventListener('keydown', (event) => event.stopPropagation()); // Enter is the button's
    box.addEventListener('focusin', (event) => { this.focused = { key, choice: event.target.dataset?.conflict }; });
    box.addEventListener('focusout', () => { window.setTimeout(() => { if (!box.contains(document.activeElement)) this.focused = null; }, 0); });
    element.append(box);
    if (this.focused?.key === key && (document.activeElement === document.body || !document.activeElement)) {
      box.querySelector(`[data-conflict=${this.focused.choice || 'keep'}]`)?.focus({ preventScroll: true });
    }
  }

  /** 'keep' or 'take': ends the conflict of (kind, id), sending what that choice needs. */
  async settle(kind, id, choice) {
    const key = keyOf(kind, id);
    const conflict = this.conflicts.get(key);
    if (!conflict) return;
    this.conflicts.delete(key);
    this.focused = null;
    const latest = this.store.get(kind, id);
    const op = latest ? resolution(choice, { kind, id, mine: conflict.mine, fields: conflict.fields, latest }) : null;
    this.renderSticky(kind, id);
    this.focusSticky(kind, id);
    const said = choice === 'keep' ? 'Kept your edit.' : `Took ${conflict.by?.name ? `${conflict.by.name}’s` : 'the newer'} change.`;
    if (!op) {
      announce(said);
      return;
    }
    try {
      await this.history.change(`edit of ${KIND_NAMES[kind].toLowerCase()}`, [op]);
      announce(said);
    } catch (rejection) {
      const frame = rejection?.frame || rejection || {};
      if (frame.reason === 'conflict') this.show(kind, id, conflict.mine, rejection);
      else this.notify(`Not saved: ${frame.detail || rejection?.message || 'the server refused it.'}`, 'error');
    }
  }
}
