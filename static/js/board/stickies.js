// The sticky notes on the canvas: one element per activity, waste, countermeasure and note,
// at its x, y. Renders from the store, edits in place, drags (the whole selection), and
// answers the keyboard. Every text is set with textContent.

import { announce, h, fill } from './dom.js';
import { BREADTHS, KIND_NAMES, NOTE_KINDS, SIZES, STATUSES, WASTE_CATEGORIES } from './labels.js';
import { measuredRow } from './measured.js';
import { ACTIVITY_MORE_FIELDS, detailRow, moreChanges, moreSection, parseMore } from './detail.js';
import { withAttached } from './flowgraph.js';
import { durationProblem, formatDuration, parseDuration, speakDuration } from './units.js';

const STICKY_KINDS = ['activity', 'waste', 'countermeasure', 'note'];

const FORMS = {
  activity: [
    { name: 'title', label: 'Title', type: 'text', required: true },
    { name: 'team', label: 'Team', type: 'text' },
    { name: 'process_time', label: 'Process time', type: 'duration' },
    { name: 'wait_time', label: 'Wait time', type: 'duration' },
    { name: 'pca', label: '%C&A', type: 'percent' },
    ...ACTIVITY_MORE_FIELDS, // in the form's "More" section (detail.js)
  ],
  waste: [
    { name: 'text', label: 'Waste', type: 'textarea', required: true },
    { name: 'category', label: 'Kind of waste', type: 'select', choices: WASTE_CATEGORIES },
  ],
  countermeasure: [
    { name: 'title', label: 'Countermeasure', type: 'text' },
    { name: 'current_condition', label: 'Current condition', type: 'textarea' },
    { name: 'future_condition', label: 'Future condition', type: 'textarea' },
    { name: 'measure', label: 'How we will measure it', type: 'textarea' },
    { name: 'owner', label: 'Owner', type: 'text' },
    { name: 'status', label: 'Status', type: 'select', choices: STATUSES },
  ],
  note: [
    { name: 'text', label: 'Text', type: 'textarea', required: true },
    { name: 'kind', label: 'Kind', type: 'select', choices: NOTE_KINDS },
  ],
};

export function keyOf(kind, id) {
  return `${kind}:${id}`;
}

export class Stickies extends EventTarget {
  /**
   * Draws into `layer` the stickies of `store`. It asks `session` what the person may do,
   * draws `selection`, reveals through `canvas`, says "editing" on `connection`, sends edits
   * through `history`, shows an activity's `measured` figures, the `presence` of editors,
   * the `pendingEdits` and `conflicts` of the person's edits and the `flowOverlay`'s marks;
   * `notify(message, kind)` and `focusCanvas()` speak to the page. `actions` are what a
   * sticky's buttons and keys ask of other parts: startLink(id), finishLink(id),
   * linkingFrom() (the activity a link is being drawn from, or null), dragLinks(positions),
   * vote(wasteId, delta), addCountermeasure(wasteId), move(dx, dy, origins).
   * Fires `resized` when cards' rendered sizes change (at most once per frame).
   */
  constructor(layer, { store, selection, session, canvas, connection, history, measured, presence, pendingEdits, conflicts, flowOverlay, notify, focusCanvas, actions }) {
    super();
    Object.assign(this, { store, selection, session, canvas, connection, history, measured, presence, pendingEdits, conflicts, flowOverlay, notify, focusCanvas, actions });
    this.layer = layer;
    this.elements = new Map();
    // Each sticky's rendered size, kept by a ResizeObserver: `box` never reads the layout, so
    // drawing the links or the minimap of a big board forces no layout per card (reading
    // offsetWidth after a write did, a thousand times a frame while dragging). When sizes
    // change (an edit, the level of detail), a `resized` event says so once per frame.
    this.sizes = new Map();
    this.observer = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver((entries) => this.#resized(entries));
    this.editing = null; // {key, element}
    this.drag = null;
  }

  #resized(entries) {
    let changed = false;
    for (const entry of entries) {
      const key = entry.target.dataset.key;
      if (this.elements.get(key) !== entry.target) continue; // removed meanwhile
      const [border] = entry.borderBoxSize || [];
      // Rounded as offsetWidth/offsetHeight are (the layout's size, transforms left out).
      const size = border
        ? { width: Math.round(border.inlineSize), height: Math.round(border.blockSize) }
        : { width: entry.target.offsetWidth, height: entry.target.offsetHeight };
      const known = this.sizes.get(key);
      if (known && known.width === size.width && known.height === size.height) continue;
      this.sizes.set(key, size);
      changed = true;
    }
    if (changed) this.dispatchEvent(new Event('resized'));
  }

  /** Measures every sticky the observer has not reported yet, all in one layout (a board
   * drawn a moment ago: reading them one by one between writes would lay it out each time). */
  #measureNew() {
    for (const [key, element] of this.elements) {
      if (!this.sizes.has(key)) this.sizes.set(key, { width: element.offsetWidth, height: element.offsetHeight });
    }
  }

  #forget(key, element) {
    this.observer?.unobserve(element);
    this.sizes.delete(key);
  }

  element(kind, id) {
    return this.elements.get(keyOf(kind, id));
  }

  /** Size of a sticky in world units (its rendered box, or the default). Reads the size
   * the observer keeps; only a sticky not yet observed (drawn this frame) is measured. */
  box(kind, id) {
    const key = keyOf(kind, id);
    const element = this.elements.get(key);
    const object = this.store.get(kind, id);
    const size = SIZES[kind];
    let rendered = this.sizes.get(key);
    if (!rendered && element) {
      if (this.observer) {
        this.#measureNew();
        rendered = this.sizes.get(key);
      } else rendered = { width: element.offsetWidth, height: element.offsetHeight };
    }
    return {
      x: object?.x ?? 0,
      y: object?.y ?? 0,
      width: rendered?.width || size.width,
      height: rendered?.height || size.height,
    };
  }

  renderAll() {
    for (const [key, element] of this.elements) {
      this.#forget(key, element);
      element.remove();
    }
    this.elements.clear();
    this.editing = null;
    for (const kind of STICKY_KINDS) for (const object of this.store.list(kind)) this.render(kind, object.id);
  }

  /** Creates, refreshes or removes the sticky of (kind, id) from the store. */
  render(kind, id) {
    if (!STICKY_KINDS.includes(kind)) return;
    const key = keyOf(kind, id);
    const object = this.store.get(kind, id);
    let element = this.elements.get(key);
    if (!object) {
      if (element) {
        const hadFocus = element.contains(document.activeElement);
        this.#forget(key, element);
        element.remove();
        this.elements.delete(key);
        if (this.editing?.key === key) this.editing = null;
        this.selection.forget(key);
        if (hadFocus) this.focusCanvas();
      }
      return;
    }
    if (!element) {
      element = h('div', {
        class: `sticky-note kind-${kind}`,
        tabindex: '0',
        role: 'group',
        'aria-roledescription': `${KIND_NAMES[kind].toLowerCase()} sticky`,
        dataset: { kind, id: String(id), key },
      });
      this.#listen(element, kind, id);
      this.layer.append(element);
      this.elements.set(key, element);
      this.observer?.observe(element);
    }
    if (!(this.drag && this.drag.keys.includes(key))) {
      element.style.left = `${object.x}px`;
      element.style.top = `${object.y}px`;
    }
    element.dataset.x = String(object.x);
    element.dataset.y = String(object.y);
    if (kind === 'note') element.dataset.noteKind = object.kind;
    if (object.color && (kind === 'activity' || kind === 'note')) element.style.setProperty('--sticky', object.color);
    element.classList.toggle('selected', this.selection.has(key));
    // An edit still waiting for the network shows as typed (pending-edits.js).
    const shown = this.pendingEdits?.shown(kind, id, object) ?? object;
    element.setAttribute('aria-label', this.#describe(kind, shown));
    if (this.editing?.key === key) return; // keep the form under the typing person's cursor
    fill(element, ...this.#content(kind, shown));
    this.#decorate(element, kind, id);
    this.flowOverlay?.decorate(element, kind, object); // the flow's marks, the far view
    this.pendingEdits?.decorate(element, kind, id);
    this.conflicts?.decorate(element, kind, id);
  }

  /** Adds the stickies inside `band` (a world rectangle, the canvas' rubber band) to the
   * selection, and says how many are selected. */
  selectWithin(band) {
    const keys = [];
    for (const key of this.elements.keys()) {
      const [kind, id] = key.split(':');
      const box = this.box(kind, Number(id));
      if (box.x < band.x + band.width && box.x + box.width > band.x && box.y < band.y + band.height && box.y + box.height > band.y) keys.push(key);
    }
    this.selection.set([...this.selection.keys, ...keys]);
    if (keys.length) announce(`${this.selection.size} selected.`);
  }

  refreshSelection() {
    for (const [key, element] of this.elements) element.classList.toggle('selected', this.selection.has(key));
  }

  refreshKind(kind) {
    for (const object of this.store.list(kind)) this.render(kind, object.id);
  }

  focus(kind, id) {
    const element = this.element(kind, id);
    if (!element) return;
    element.focus({ preventScroll: true });
    const box = this.box(kind, id);
    this.canvas.reveal(box.x, box.y, box.width, box.height);
  }

  // Content ------------------------------------------------------------------------------

  #describe(kind, object) {
    if (kind === 'activity') {
      const position = this.store.activities().findIndex((activity) => activity.id === object.id) + 1;
      const team = object.team ? `, team ${object.team}` : '';
      const measured = this.#measured(object);
      return `Activity ${position}: ${object.title}${team}, process time ${speakDuration(object.process_time)}, ` +
        `wait time ${speakDuration(object.wait_time)}, ${Math.round(object.pca)}% complete and accurate` +
        (measured ? `; ${measured.speech}` : '');
    }
    if (kind === 'waste') {
      const mine = this.store.myVotes(object.id).length;
      const revealed = this.store.stream?.votes_revealed;
      const dots = revealed ? `, ${this.store.votesOn(object.id)} dots in all` : '';
      return `Waste (${WASTE_CATEGORIES[object.category] || object.category}): ${object.text}, your dots ${mine}${dots}`;
    }
    if (kind === 'countermeasure') {
      const waste = this.store.get('waste', object.waste);
      return `Countermeasure${object.title ? `: ${object.title}` : ''}, for waste ${waste?.text ?? ''}, ` +
        `current condition ${object.current_condition || 'not written yet'}, future condition ${object.future_condition || 'not written yet'}, ` +
        `measured by ${object.measure || 'not decided yet'}, owner ${object.owner || 'nobody yet'}, status ${STATUSES[object.status] || object.status}, ` +
        `${BREADTHS[object.breadth] || object.breadth}, effort ${object.effort} of 5, difficulty ${object.difficulty} of 5`;
    }
    return `${NOTE_KINDS[object.kind] || 'Note'}: ${object.text}`;
  }

  #content(kind, object) {
    const editable = this.session.canEdit();
    if (kind === 'activity') {
      const position = this.store.activities().findIndex((activity) => activity.id === object.id) + 1;
      return [
        h('div', { class: 'sticky-head' },
          h('span', { class: 'step-number', 'aria-hidden': 'true' }, String(position)),
          h('span', { class: 'field title', dataset: { field: 'title' } }, object.title)),
        h('div', { class: 'field team', dataset: { field: 'team' } }, object.team || (editable ? 'Add team' : '')),
        h('dl', { class: 'times' },
          h('div', { dataset: { field: 'process_time' }, class: 'field' }, h('dt', {}, 'PT'), h('dd', { class: 'process-time' }, formatDuration(object.process_time))),
          h('div', { dataset: { field: 'wait_time' }, class: 'field' }, h('dt', {}, 'WT'), h('dd', { class: 'wait-time' }, formatDuration(object.wait_time))),
          h('div', { dataset: { field: 'pca' }, class: 'field' }, h('dt', {}, '%C&A'), h('dd', { class: 'pca' }, `${Math.round(object.pca)}%`))),
        detailRow(object),
        this.#measuredContent(object),
        editable ? h('button', {
          type: 'button', class: 'link-handle', title: 'Draw a link to the next activity (L)',
          'aria-label': `Link from ${object.title} to another activity`, dataset: { action: 'link' },
        }, '→') : null,
      ];
    }
    if (kind === 'waste') return this.#wasteContent(object, editable);
    if (kind === 'countermeasure') {
      return [
        h('div', { class: 'sticky-head' }, h('span', { class: 'field title', dataset: { field: 'title' } }, object.title || 'Countermeasure')),
        object.future_condition ? h('p', { class: 'field small', dataset: { field: 'future_condition' } }, `Next: ${object.future_condition}`) : null,
        object.measure ? h('p', { class: 'field small', dataset: { field: 'measure' } }, `Measure: ${object.measure}`) : null,
        h('div', { class: 'chips-row' },
          h('span', { class: `status-chip ${object.status}` }, STATUSES[object.status] || object.status),
          h('span', { class: 'size-chip', title: 'Breadth, effort, difficulty' }, `${BREADTHS[object.breadth]} · E${object.effort} D${object.difficulty}`),
          object.owner ? h('span', { class: 'owner' }, object.owner) : null),
      ];
    }
    return [
      h('div', { class: 'note-kind', 'aria-hidden': 'true' }, NOTE_KINDS[object.kind] || 'Note'),
      h('p', { class: 'field text', dataset: { field: 'text' } }, object.text),
    ];
  }

  /** The activity's measured row (null: no tracker state maps to it). */
  #measured(activity) {
    const measured = this.measured;
    if (!measured) return null;
    return measuredRow({ activity, measured: measured.of(activity.id), states: this.store.states(), window: measured.payload?.window });
  }

  /** Under the estimates: the measured figures in the same three columns, a figure more than
   * 25% off its estimate marked with an arrow and a warm (worse) or cool (better) colour. The
   * sticky's label says it in words, so the row itself is hidden from screen readers. */
  #measuredContent(activity) {
    const row = this.#measured(activity);
    if (!row) return null;
    if (row.empty) return h('p', { class: 'measured empty', title: row.title, 'aria-hidden': 'true' }, row.text);
    return h('div', { class: 'measured', title: row.title, 'aria-hidden': 'true' },
      h('span', { class: 'measured-label' }, 'measured'),
      h('div', { class: 'measured-cells' }, ...row.cells.map((cell) => h('span', {
        class: `measured-cell${cell.flag ? ` ${cell.flag}` : ''}`, dataset: { measured: cell.field },
      }, cell.sign ? h('span', { class: 'sign' }, cell.sign) : null, cell.text))));
  }

  #wasteContent(waste, editable) {
    const store = this.store;
    const mine = store.myVotes(waste.id).length;
    const revealed = store.stream?.votes_revealed;
    const dots = h('span', { class: 'dots', 'aria-hidden': 'true' }, ...Array.from({ length: mine }, () => h('span', { class: 'dot mine' })));
    const canVote = this.session.canVote();
    return [
      h('div', { class: 'waste-category' }, WASTE_CATEGORIES[waste.category] || waste.category),
      h('p', { class: 'field text', dataset: { field: 'text' } }, waste.text),
      h('div', { class: 'vote-row' },
        dots,
        revealed ? h('span', { class: 'vote-total' }, plural(store.votesOn(waste.id), 'dot')) : null,
        canVote ? h('button', { type: 'button', class: 'mini', dataset: { action: 'vote' }, 'aria-label': `Add a dot to ${waste.text}` }, '+ dot') : null,
        canVote && mine ? h('button', { type: 'button', class: 'mini', dataset: { action: 'unvote' }, 'aria-label': `Take back a dot from ${waste.text}` }, '− dot') : null),
      editable ? h('button', { type: 'button', class: 'mini add-countermeasure', dataset: { action: 'countermeasure' }, 'aria-label': `Add countermeasure to ${waste.text}` }, 'Add countermeasure') : null,
    ];
  }

  /** Markers of other people's work on this sticky (someone typing in it). */
  #decorate(element, kind, id) {
    const editors = this.presence?.editorsOf(kind, id) || [];
    element.classList.toggle('being-edited', editors.length > 0);
    if (editors.length) {
      element.append(h('span', { class: 'editing-marker' }, `${editors.join(', ')} ${editors.length > 1 ? 'are' : 'is'} editing…`));
    }
  }

  // Editing in place -----------------------------------------------------------------------

  /** Opens the form of (kind, id) in place, with `fieldName`'s input focused (the first
   * field's when none is named). Text inputs take the server's limits (the welcome frame). */
  startEdit(kind, id, fieldName) {
    if (!this.session.canEdit()) return;
    const key = keyOf(kind, id);
    const element = this.elements.get(key);
    const object = this.store.get(kind, id);
    if (!element || !object) return;
    if (this.editing) this.#finishEdit(false);
    const inputs = {};
    const form = h('form', { class: 'sticky-form', 'aria-label': `Edit ${KIND_NAMES[kind].toLowerCase()}` });
    const more = kind === 'activity' ? moreSection(object, FORMS[kind].some((field) => field.more && field.name === fieldName)) : null;
    for (const field of FORMS[kind]) {
      const inputId = `edit-${kind}-${id}-${field.name}`;
      const maxLength = this.session.maxLength(kind, field.name);
      let input;
      if (field.type === 'color') input = h('input', { id: inputId, type: 'color' });
      else if (field.type === 'textarea') input = h('textarea', { id: inputId, rows: '2', maxlength: maxLength });
      else if (field.type === 'select') {
        input = h('select', { id: inputId }, ...Object.entries(field.choices).map(([value, label]) => h('option', { value }, label)));
      } else {
        input = h('input', {
          id: inputId, type: 'text', autocomplete: 'off', maxlength: field.type === 'text' ? maxLength : null,
          inputmode: field.type === 'percent' ? 'decimal' : null, placeholder: field.type === 'duration' ? 'e.g. 2h, 90m, 3d' : null,
        });
      }
      input.value = displayValue(field, object[field.name]);
      input.name = field.name;
      inputs[field.name] = input;
      const error = h('span', { class: 'field-error', id: `${inputId}-error`, role: 'alert' });
      const hint = maxLength ? h('span', { class: 'field-hint', id: `${inputId}-hint`, 'aria-live': 'polite' }) : null;
      input.setAttribute('aria-describedby', hint ? `${error.id} ${hint.id}` : error.id);
      const place = field.more ? more.body : form;
      place.append(h('label', { for: inputId }, field.label), input, error);
      if (hint) { place.append(hint); watchLength(input, hint, maxLength); }
    }
    if (more) form.append(more.element);
    form.append(
      h('p', { class: 'form-error', role: 'alert' }),
      h('div', { class: 'form-actions' },
        h('button', { type: 'submit', class: 'mini primary' }, 'Save'),
        h('button', { type: 'button', class: 'mini', dataset: { action: 'cancel' } }, 'Cancel')));
    form.addEventListener('submit', (event) => { event.preventDefault(); this.#finishEdit(true); });
    form.addEventListener('keydown', (event) => {
      event.stopPropagation();
      if (event.key === 'Escape') { event.preventDefault(); this.#finishEdit(false); }
      else if (event.key === 'Enter' && event.target.tagName === 'TEXTAREA' && !event.shiftKey) { event.preventDefault(); this.#finishEdit(true); }
    });
    form.querySelector('[data-action=cancel]').addEventListener('click', () => this.#finishEdit(false));
    form.addEventListener('focusout', (event) => {
      if (!form.contains(event.relatedTarget)) window.setTimeout(() => { if (this.editing?.form === form) this.#finishEdit(true); }, 0);
    });
    // What the form was opened on: only the fields the person changed from it are sent, with
    // its version (a field someone else changed since is a conflict, not overwritten).
    this.editing = { key, kind, id, form, inputs, saving: false, original: { ...object } };
    element.classList.add('editing');
    fill(element, form);
    const first = inputs[fieldName] || Object.values(inputs)[0];
    first.focus();
    first.select?.();
    this.connection.send({ type: 'editing', target: { kind, id } });
  }

  /** Closes the form; with `save`, first sends what changed and keeps the form (and what was
   * typed) open until the server answers: a rejection shows its reason beside the field. */
  async #finishEdit(save) {
    const editing = this.editing;
    if (!editing || (save && editing.saving)) return;
    const object = this.store.get(editing.kind, editing.id);
    if (save && object) {
      const changes = {};
      this.#clearErrors(editing);
      for (const field of FORMS[editing.kind]) {
        const input = editing.inputs[field.name];
        const { value, error } = parseValue(field, input.value);
        if (error) {
          this.#showError(editing, field.name, error);
          input.focus();
          return;
        }
        if (value !== editing.original[field.name]) changes[field.name] = value;
      }
      Object.assign(changes, moreChanges(editing.kind, object, changes)); // a new lane: its row
      if (Object.keys(changes).length) {
        this.#setSaving(editing, true);
        const data = { id: editing.id, ...changes, version: editing.original.version };
        const sending = this.history.change(`edit of ${KIND_NAMES[editing.kind].toLowerCase()}`, [{ op: `${editing.kind}.update`, data }]);
        const conflict = (rejection) => this.conflicts?.show(editing.kind, editing.id, changes, rejection);
        let outcome;
        try {
          // Offline (now or while waiting), the edit waits for the network on the card, not here.
          outcome = await Promise.race([sending, this.pendingEdits?.whenOffline(sending)].filter(Boolean));
        } catch (rejection) {
          if ((rejection?.frame || rejection)?.reason === 'conflict' && this.conflicts) {
            conflict(rejection);
            if (this.editing === editing) this.#finishEdit(false);
          } else this.#rejected(editing, rejection);
          return;
        }
        if (outcome === 'queued') this.pendingEdits.track(editing.kind, editing.id, changes, sending, { onConflict: conflict });
        if (this.editing !== editing) return; // closed meanwhile (Cancel, another sticky)
      }
    }
    this.editing = null;
    const element = this.elements.get(editing.key);
    const hadFocus = editing.form.contains(document.activeElement) || document.activeElement === document.body;
    element?.classList.remove('editing');
    this.connection.send({ type: 'editing', target: null });
    this.render(editing.kind, editing.id);
    if (hadFocus) element?.focus({ preventScroll: true });
  }

  /** The server refused the edit: the form stays as typed, with the reason in words beside
   * each field it names (or under the form). */
  #rejected(editing, rejection) {
    const frame = rejection?.frame || rejection || {};
    const reason = rejectionWords(frame, rejection);
    if (this.editing !== editing) { // the form was closed meanwhile: say so, at least
      this.notify(`Your edit was not saved: ${reason}`, 'error');
      return;
    }
    this.#setSaving(editing, false);
    let focused = false;
    for (const [name, messages] of Object.entries(frame.errors || {})) {
      if (!editing.inputs[name]) continue;
      this.#showError(editing, name, [].concat(messages).join(' '));
      if (!focused) { editing.inputs[name].focus(); focused = true; }
    }
    if (!focused) {
      editing.form.querySelector('.form-error').textContent = `Not saved: ${reason}`;
      editing.form.querySelector('button[type=submit]').focus();
    }
    announce(`Not saved: ${reason}`);
  }

  #showError(editing, name, text) {
    const input = editing.inputs[name];
    input.closest('details')?.setAttribute('open', ''); // a field of "More": show it
    const message = editing.form.querySelector(`#${CSS.escape(input.id)}-error`);
    input.setAttribute('aria-invalid', 'true');
    message.textContent = text;
  }

  #clearErrors(editing) {
    for (const input of Object.values(editing.inputs)) input.removeAttribute('aria-invalid');
    for (const message of editing.form.querySelectorAll('.field-error, .form-error')) message.textContent = '';
  }

  #setSaving(editing, saving) {
    editing.saving = saving;
    editing.form.classList.toggle('saving', saving);
    editing.form.setAttribute('aria-busy', String(saving));
    editing.form.querySelector('button[type=submit]').textContent = saving ? 'Saving…' : 'Save';
    for (const input of Object.values(editing.inputs)) {
      if (input.tagName === 'SELECT') input.disabled = saving;
      else input.readOnly = saving;
    }
  }

  // Pointer and keyboard -------------------------------------------------------------------

  #listen(element, kind, id) {
    const key = keyOf(kind, id);
    element.addEventListener('click', (event) => {
      const action = event.target.closest('[data-action]')?.dataset.action;
      if (!action || this.editing?.key === key) return;
      event.stopPropagation();
      if (action === 'link') this.actions.startLink(id);
      else if (action === 'vote') this.actions.vote(id, +1);
      else if (action === 'unvote') this.actions.vote(id, -1);
      else if (action === 'countermeasure') this.actions.addCountermeasure(id);
    });
    element.addEventListener('dblclick', (event) => {
      if (this.editing?.key === key) return;
      // The sticky captures the pointer on pointerdown (for dragging), which makes the sticky
      // itself the click's target: ask what lies under the pointer instead.
      const under = document.elementFromPoint(event.clientX, event.clientY);
      const target = under && element.contains(under) ? under : event.target;
      this.startEdit(kind, id, target.closest('[data-field]')?.dataset.field);
    });
    element.addEventListener('focus', () => {
      if (!this.selection.has(key) && !this.pointerDown) this.selection.set([key]);
    });
    element.addEventListener('keydown', (event) => {
      if (this.editing?.key === key || event.target !== element) return;
      // Ctrl/Cmd/Alt with a letter is the browser's or the board's (copy, paste, duplicate).
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === 'Enter' || event.key === 'F2') {
        event.preventDefault();
        if (this.actions.linkingFrom() && kind === 'activity') this.actions.finishLink(id);
        else this.startEdit(kind, id);
      } else if ((event.key === 'l' || event.key === 'L') && kind === 'activity' && this.session.canEdit()) {
        event.preventDefault();
        this.actions.startLink(id);
      } else if ((event.key === 'v' || event.key === 'V') && kind === 'waste' && this.session.canVote()) {
        event.preventDefault();
        this.actions.vote(id, event.shiftKey ? -1 : +1);
      } else if ((event.key === 'c' || event.key === 'C') && kind === 'waste' && this.session.canEdit()) {
        event.preventDefault();
        this.actions.addCountermeasure(id);
      }
    });
    element.addEventListener('pointerdown', (event) => this.#pointerDown(event, kind, id));
  }

  #pointerDown(event, kind, id) {
    const key = keyOf(kind, id);
    if (event.button > 0 || this.editing?.key === key || event.target.closest('button, input, textarea, select, a')) return;
    event.stopPropagation();
    if (this.actions.linkingFrom()) {
      if (kind === 'activity') this.actions.finishLink(id);
      return;
    }
    const selection = this.selection;
    if (event.shiftKey) selection.toggle(key);
    else if (!selection.has(key)) selection.set([key]);
    this.pointerDown = true;
    this.elements.get(key).focus({ preventScroll: true });
    this.pointerDown = false;
    if (!this.session.canEdit() || !selection.has(key)) return;
    const start = this.canvas.toWorld(event.clientX, event.clientY);
    // A dragged activity takes its wastes (and their countermeasures) along.
    const keys = withAttached(selection.items().filter((item) => STICKY_KINDS.includes(item.kind)).map((item) => item.key), this.store.list('waste'), this.store.list('countermeasure'));
    const origins = new Map(keys.map((k) => {
      const [itemKind, itemId] = k.split(':');
      const object = this.store.get(itemKind, Number(itemId));
      return [k, { x: object.x, y: object.y }];
    }));
    const element = event.currentTarget;
    element.setPointerCapture(event.pointerId);
    this.drag = { keys, origins, start, moved: false };
    const move = (moveEvent) => {
      const now = this.canvas.toWorld(moveEvent.clientX, moveEvent.clientY);
      const dx = now.x - start.x;
      const dy = now.y - start.y;
      if (!this.drag.moved && Math.hypot(dx, dy) < 3) return;
      this.drag.moved = true;
      this.drag.dx = dx;
      this.drag.dy = dy;
      for (const k of keys) {
        const origin = origins.get(k);
        const sticky = this.elements.get(k);
        if (!sticky) continue;
        sticky.style.left = `${origin.x + dx}px`;
        sticky.style.top = `${origin.y + dy}px`;
        sticky.classList.add('dragging');
      }
      this.actions.dragLinks(new Map(keys.map((k) => [k, { x: origins.get(k).x + dx, y: origins.get(k).y + dy }])));
    };
    const up = () => {
      element.removeEventListener('pointermove', move);
      element.removeEventListener('pointerup', up);
      element.removeEventListener('pointercancel', up);
      const drag = this.drag;
      this.drag = null;
      for (const k of keys) this.elements.get(k)?.classList.remove('dragging');
      if (drag.moved) this.actions.move(drag.dx, drag.dy, origins);
    };
    element.addEventListener('pointermove', move);
    element.addEventListener('pointerup', up);
    element.addEventListener('pointercancel', up);
  }
}

function displayValue(field, value) {
  if (field.optional && (value === null || value === undefined)) return '';
  if (field.type === 'duration') return formatDuration(value);
  if (field.type === 'percent') return String(Math.round(Number(value) * 10) / 10);
  return value ?? '';
}

function parseValue(field, raw) {
  const more = parseMore(field, raw); // optional, integer and colour fields (detail.js)
  if (more) return more;
  if (field.type === 'duration') {
    const seconds = parseDuration(raw);
    if (seconds === null) return { error: durationProblem(raw) }; // a bare 45: minutes or hours?
    return { value: seconds };
  }
  if (field.type === 'percent') {
    const value = Number(String(raw).replace('%', '').replace(',', '.').trim());
    if (!Number.isFinite(value) || value < 0 || value > 100) return { error: 'A percentage from 0 to 100.' };
    return { value };
  }
  const value = field.type === 'select' ? raw : raw.trim();
  if (field.required && !value) return { error: `${field.label} cannot be empty.` };
  return { value };
}

/** Says how close a text input is to its limit, and when a paste did not fit whole (the
 * browser cuts it at `maxlength` without a word). */
function watchLength(input, hint, maxLength) {
  const describe = (room) => {
    const left = maxLength - input.value.length;
    if (room === 0) hint.textContent = `Nothing of what you pasted fits: this field takes at most ${maxLength} characters.`;
    else if (room > 0) hint.textContent = `Only the first ${room} characters of what you pasted fit: at most ${maxLength}.`;
    else if (left < 0) hint.textContent = `${-left} characters too many: at most ${maxLength}.`;
    else if (left === 0) hint.textContent = `That is the most this field takes: ${maxLength} characters.`;
    else if (left <= Math.max(10, maxLength / 10)) hint.textContent = `${left} characters left (at most ${maxLength}).`;
    else hint.textContent = '';
  };
  input.addEventListener('input', () => describe(null));
  input.addEventListener('paste', (event) => {
    const pasted = event.clipboardData?.getData('text') ?? '';
    const room = maxLength - input.value.length + Math.abs((input.selectionEnd ?? 0) - (input.selectionStart ?? 0));
    if (pasted.length > room) window.setTimeout(() => describe(Math.max(room, 0)), 0); // after the input event
  });
  describe(null);
}

/** A rejection in words: the server's message, or what its reason means. */
function rejectionWords(frame, rejection) {
  if (frame.detail) return frame.detail;
  const words = {
    forbidden: 'you cannot change this board now (read-only, or locked by the facilitator).',
    not_found: 'this sticky was deleted meanwhile.',
    rate_limited: 'too many changes at once; try again in a moment.',
  };
  return words[frame.reason] || rejection?.message || 'the server refused the change.';
}

export { announce };

function plural(count, word) {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
