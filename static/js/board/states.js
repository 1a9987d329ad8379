// The "Tracker states" panel: the workshop's tracker states (measured flow) as chips, grouped
// by flow state, each with the activity it belongs to on this map. A facilitator drags a chip
// onto an activity card to assign it (the op `state.update`), drags it back to the panel or
// presses × to take it off, or, from the keyboard, focuses a chip, presses Enter and picks
// the activity. Every assignment goes through the undo history like any other change;
// everyone else reads the panel.

import { announce, fill, h } from './dom.js';
import { coverageWords } from './measured.js';

const GROUPS = [
  { name: 'waiting', title: 'Waiting: wait time', flows: ['waiting'] },
  { name: 'active', title: 'Active: process time', flows: ['active'] },
  { name: 'other', title: 'No activity time', flows: ['new', 'done', 'canceled', 'ignore'], muted: true },
];
const FLOW_NAMES = { new: 'new', waiting: 'waiting', active: 'active', done: 'done', canceled: 'canceled', ignore: 'ignored' };

export class TrackerStates {
  /** The tracker states panel in `panel`; assigns through `perform`, drags over `root`'s cards. */
  constructor(panel, { root, store, session, measured, perform }) {
    Object.assign(this, { root, store, session, measured, perform });
    this.panel = panel;
    this.tray = panel.querySelector('.state-tray');
    this.count = panel.querySelector('.states-count');
    this.coverage = panel.querySelector('.states-coverage');
    this.pending = new Map(); // state id -> the activity it is being sent to
    this.choosing = null; // {id, value}: the state whose activity picker is open
    this.dragging = null; // the id of the state being dragged
    this.#listen();
  }

  /** Facilitators assign; the server refuses everyone else (`forbidden`). */
  editable() {
    return this.session.facilitator && this.session.serverCanEdit;
  }

  render() {
    const store = this.store;
    const states = store.states();
    const focused = this.tray.contains(document.activeElement) ? document.activeElement.dataset.focus : null;
    const mapped = states.filter((state) => state.activity !== null && state.activity !== undefined).length;
    this.count.textContent = states.length ? `(${mapped} of ${states.length} on this map)` : '';
    this.coverage.textContent = coverageWords(this.measured?.payload);
    this.tray.classList.toggle('editable', this.editable());
    if (!states.length) {
      fill(this.tray, h('p', { class: 'muted' }, 'No tracker states yet: they come with the first import of work items on the Flow page.'));
      return;
    }
    fill(this.tray, ...GROUPS.map((group) => {
      const members = states.filter((state) => group.flows.includes(state.flow_state));
      if (!members.length) return null;
      const headingId = `states-group-${group.name}`;
      return h('section', { class: `state-group${group.muted ? ' muted-group' : ''}`, 'aria-labelledby': headingId },
        h('h3', { id: headingId }, group.title),
        h('ul', { class: 'state-chips' }, ...members.map((state) => this.#row(state, group))));
    }));
    if (focused) this.#focus(focused);
  }

  #row(state, group) {
    const editable = this.editable();
    const store = this.store;
    const sending = this.pending.has(state.id);
    const activityId = sending ? this.pending.get(state.id) : state.activity;
    const activity = activityId === null || activityId === undefined ? null : store.get('activity', activityId);
    const where = activity ? activity.title : 'not on this map';
    const flow = FLOW_NAMES[state.flow_state] || state.flow_state;
    const chip = editable
      ? h('button', {
        type: 'button', class: 'state-chip', draggable: 'true',
        'aria-expanded': String(this.choosing?.id === state.id),
        'aria-label': `${state.name} (${flow}), ${activity ? `on ${activity.title}` : 'not on this map'}. Enter to choose its activity; drag it onto an activity card.`,
        title: 'Drag onto an activity, or press Enter to choose one',
        dataset: { stateId: String(state.id), focus: `chip-${state.id}` },
      }, h('span', { class: 'grip', 'aria-hidden': 'true' }, '⠿'), state.name)
      : h('span', { class: 'state-chip', dataset: { stateId: String(state.id) } }, state.name);
    const row = h('li', {
      class: `state-row fs-${state.flow_state}${activity ? ' assigned' : ''}${sending ? ' sending' : ''}`,
      'aria-busy': sending ? 'true' : null,
      dataset: { stateId: String(state.id) },
    },
    chip,
    h('span', { class: `state-activity${activity ? '' : ' none'}` },
      h('span', { 'aria-hidden': 'true' }, activity ? '→ ' : ''),
      where,
      sending ? h('span', { class: 'muted' }, ' (saving…)') : null,
      group.muted && activity ? h('span', { class: 'muted' }, ` (${flow}: no time counted)`) : null),
    editable && activity && !sending ? h('button', {
      type: 'button', class: 'mini state-remove', title: `Take ${state.name} off ${activity.title}`,
      'aria-label': `Take ${state.name} off ${activity.title}`, dataset: { action: 'unassign', focus: `remove-${state.id}` },
    }, '×') : null);
    if (editable && this.choosing?.id === state.id) row.append(this.#chooser(state));
    return row;
  }

  /** The keyboard's way to assign: a select of this map's activities, Enter to confirm. */
  #chooser(state) {
    const selectId = `state-activity-${state.id}`;
    const select = h('select', { id: selectId, dataset: { focus: `choose-${state.id}` } },
      h('option', { value: '' }, '— not on the map —'),
      ...this.store.activities().map((activity, index) => h('option', { value: String(activity.id) }, `${index + 1}. ${activity.title}`)));
    select.value = this.choosing.value ?? (state.activity === null || state.activity === undefined ? '' : String(state.activity));
    return h('form', { class: 'state-choose', dataset: { stateId: String(state.id) } },
      h('label', { for: selectId }, `Activity of ${state.name}`),
      select,
      h('div', { class: 'form-actions' },
        h('button', { type: 'submit', class: 'mini primary' }, 'Assign'),
        h('button', { type: 'button', class: 'mini', dataset: { action: 'cancel-choose' } }, 'Cancel')));
  }

  #focus(key) {
    const target = this.tray.querySelector(`[data-focus="${CSS.escape(key)}"]`);
    if (target) { target.focus({ preventScroll: true }); return; }
    this.tray.querySelector(`[data-focus="chip-${CSS.escape(key.split('-').pop())}"]`)?.focus({ preventScroll: true });
  }

  #open(stateId) {
    this.choosing = { id: stateId, value: null };
    this.render();
    this.#focus(`choose-${stateId}`);
  }

  #close(stateId) {
    this.choosing = null;
    this.render();
    this.#focus(`chip-${stateId}`);
  }

  /** Sends `state.update` through the undo history; null takes the state off the map. */
  async assign(stateId, activityId) {
    const store = this.store;
    const state = store.get('state', stateId);
    if (!state || !this.editable() || this.pending.has(stateId)) return;
    const previous = state.activity ?? null;
    if (previous === activityId) return;
    const activity = activityId === null ? null : store.get('activity', activityId);
    if (activityId !== null && !activity) return;
    const from = previous === null ? null : store.get('activity', previous);
    const label = activity ? `assignment of ${state.name} to ${activity.title}` : `removal of ${state.name} from ${from?.title ?? 'the map'}`;
    this.pending.set(stateId, activityId);
    this.render();
    const frames = await this.perform(label, [{ op: 'state.update', data: { id: stateId, activity: activityId } }]);
    this.pending.delete(stateId);
    this.render();
    if (frames) announce(activity ? `${state.name} now counts on ${activity.title}.` : `${state.name} is no longer on this map.`);
  }

  // Pointer and keyboard ---------------------------------------------------------------------

  #listen() {
    const tray = this.tray;
    tray.addEventListener('click', (event) => {
      const target = event.target.closest('button');
      if (!target || !this.editable()) return;
      const stateId = Number(target.closest('[data-state-id]')?.dataset.stateId);
      if (target.classList.contains('state-chip')) {
        if (this.choosing?.id === stateId) this.#close(stateId);
        else this.#open(stateId);
      } else if (target.dataset.action === 'unassign') {
        this.assign(stateId, null).then(() => this.#focus(`chip-${stateId}`));
      } else if (target.dataset.action === 'cancel-choose') this.#close(stateId);
    });
    tray.addEventListener('change', (event) => {
      if (this.choosing && event.target.matches('.state-choose select')) this.choosing.value = event.target.value;
    });
    tray.addEventListener('submit', (event) => {
      event.preventDefault();
      const form = event.target.closest('.state-choose');
      const stateId = Number(form.dataset.stateId);
      const value = form.querySelector('select').value;
      this.choosing = null;
      this.assign(stateId, value === '' ? null : Number(value)).then(() => this.#focus(`chip-${stateId}`));
      this.render();
      this.#focus(`chip-${stateId}`);
    });
    tray.addEventListener('keydown', (event) => {
      // The board's own keys (Delete deletes the selected stickies, arrows move them) do not
      // apply to the panel; Ctrl/Cmd shortcuts (undo, redo) still reach the board.
      if (event.ctrlKey || event.metaKey) return;
      event.stopPropagation();
      const form = event.target.closest('.state-choose');
      if (form && event.key === 'Escape') {
        event.preventDefault();
        this.#close(Number(form.dataset.stateId));
      } else if (form && event.key === 'Enter' && event.target.tagName === 'SELECT') {
        event.preventDefault();
        form.requestSubmit();
      } else if (event.target.classList.contains('state-chip') && (event.key === 'Delete' || event.key === 'Backspace')) {
        event.preventDefault();
        this.assign(Number(event.target.dataset.stateId), null);
      }
    });

    // Drag and drop: chips onto activity cards, and back onto the panel.
    tray.addEventListener('dragstart', (event) => {
      const chip = event.target.closest?.('.state-chip[draggable=true]');
      if (!chip || !this.editable()) return;
      this.dragging = Number(chip.dataset.stateId);
      event.dataTransfer.effectAllowed = 'move';
      event.dataTransfer.setData('text/plain', chip.textContent);
      this.root.classList.add('dragging-state');
    });
    document.addEventListener('dragend', () => this.#dragEnded());
    const layer = this.root.querySelector('.board-layer.stickies');
    const cardAt = (event) => (this.dragging === null ? null : event.target.closest?.('.sticky-note.kind-activity'));
    layer.addEventListener('dragover', (event) => {
      const card = cardAt(event);
      if (!card) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = 'move';
      this.#mark(card);
    });
    layer.addEventListener('dragleave', (event) => {
      const card = cardAt(event);
      if (card && !card.contains(event.relatedTarget)) card.classList.remove('state-drop-over');
    });
    layer.addEventListener('drop', (event) => {
      const card = cardAt(event);
      if (!card) return;
      event.preventDefault();
      const stateId = this.dragging;
      this.#dragEnded();
      this.assign(stateId, Number(card.dataset.id));
    });
    tray.addEventListener('dragover', (event) => {
      if (this.dragging === null) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = 'move';
      tray.classList.add('drop-over');
    });
    tray.addEventListener('dragleave', (event) => {
      if (!tray.contains(event.relatedTarget)) tray.classList.remove('drop-over');
    });
    tray.addEventListener('drop', (event) => {
      if (this.dragging === null) return;
      event.preventDefault();
      const stateId = this.dragging;
      this.#dragEnded();
      this.assign(stateId, null);
    });
  }

  #mark(card) {
    for (const other of this.root.querySelectorAll('.state-drop-over')) if (other !== card) other.classList.remove('state-drop-over');
    card.classList.add('state-drop-over');
  }

  #dragEnded() {
    this.dragging = null;
    this.root.classList.remove('dragging-state');
    this.tray.classList.remove('drop-over');
    for (const card of this.root.querySelectorAll('.state-drop-over')) card.classList.remove('state-drop-over');
  }
}
