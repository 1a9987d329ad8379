// What the person asks of the board as a whole, from the toolbar, the keys or a drag: add a
// sticky, delete or move the selection (arrow keys gathered into one move), undo and redo.
// Each is one change through the undo history.

import { announce } from './dom.js';
import { keepAttached, keyItem, withAttached } from './flowgraph.js';
import { KIND_NAMES } from './labels.js';
import { laneOf, laneTargets, laneY } from './lanes.js';
import { keyOf } from './stickies.js';

const NUDGE_PAUSE_MS = 350;

/**
 * The board's one way to send a change (a list of ops) through `history`: resolves with its
 * applied frames, or with null when the server refused it; then the reason is said
 * (`notify`, and to screen readers) and the board asks `connection` for a sync, which undoes
 * any optimistic display.
 */
export function performer({ history, connection, notify }) {
  return async function perform(label, ops, options) {
    try {
      return await history.change(label, ops, options);
    } catch (frame) {
      const reason = frame?.detail || frame?.message || 'The change was refused.';
      notify(reason, 'error');
      announce(reason);
      connection.send({ type: 'sync' });
      return null;
    }
  };
}

export class Commands {
  /** Acts on `store` and `selection` when `session` allows, through `perform` (and `history`
   * for undo); draws moves at once through `stickies` and `links`. */
  constructor({ store, selection, session, history, connection, canvas, stickies, links, perform, notify, focusCanvas }) {
    Object.assign(this, { store, selection, session, history, connection, canvas, stickies, links, perform, notify, focusCanvas });
    this.nudge = null; // arrow-key moves not yet sent
  }

  async undoRedo(which) {
    if (!this.session.canEdit()) return;
    try {
      const message = await this.history[which]();
      if (message) { announce(message); this.notify(message); }
    } catch (frame) {
      this.notify(`Could not ${which}: ${frame?.detail || 'the board has changed.'}`, 'error');
      this.connection.send({ type: 'sync' });
    }
  }

  /** Adds a sticky of `kind` (activity, waste, question, note), selects it and opens its form. */
  async add(kind) {
    if (!this.session.canEdit()) return;
    const store = this.store;
    const center = this.canvas.center();
    let op;
    let data;
    if (kind === 'activity') {
      const activities = store.activities();
      const last = activities.at(-1);
      const lane = last ? laneOf(last.y) : 0; // on the lane of the last one, its row
      data = { title: 'New activity', x: last ? last.x + 240 : 40, y: laneY(lane), lane };
      op = 'activity.create';
    } else if (kind === 'waste') {
      const pinned = this.selection.items().find((item) => item.kind === 'activity');
      const activity = pinned && store.get('activity', pinned.id);
      const below = activity ? store.list('waste').filter((waste) => waste.activity === activity.id).length : 0;
      data = activity
        ? { text: 'New waste', activity: activity.id, x: activity.x + 10, y: activity.y + 170 + below * 30 }
        : { text: 'New waste', x: center.x - 90, y: center.y - 50 };
      op = 'waste.create';
    } else {
      data = { text: kind === 'question' ? 'New question?' : 'New note', kind, x: center.x - 90 + jitter(), y: center.y - 50 + jitter() };
      op = 'note.create';
      kind = 'note';
    }
    const frames = await this.perform(`new ${KIND_NAMES[kind].toLowerCase()}`, [{ op, data }]);
    const created = frames?.[0]?.data;
    if (!created) return;
    this.selection.set([keyOf(kind, created.id)]);
    const box = this.stickies.box(kind, created.id);
    this.canvas.reveal(box.x, box.y, box.width, box.height);
    this.stickies.startEdit(kind, created.id);
  }

  deleteSelection() {
    const { store, selection } = this;
    if (!this.session.canEdit() || !selection.size) return;
    const ops = [];
    const seen = new Set();
    const push = (kind, id) => {
      const key = keyOf(kind, id);
      if (seen.has(key) || !store.get(kind, id)) return;
      seen.add(key);
      ops.push({ op: `${kind}.delete`, data: { id } });
    };
    const items = selection.items();
    // What the database would cascade is deleted first, one op each, so undo restores it.
    // Tracker states go off a deleted activity too; only a facilitator may say so (the
    // server takes the assignments off anyway), so only then can undo put them back.
    const facilitator = this.session.facilitator;
    for (const { kind, id } of items) {
      if (kind === 'activity' && facilitator) {
        for (const state of store.states()) if (state.activity === id) ops.push({ op: 'state.update', data: { id: state.id, activity: null } });
      }
      // A rework loop only a facilitator removes (the database takes it with the activity).
      if (kind === 'activity') for (const link of store.list('link')) if ((link.source === id || link.target === id) && (facilitator || link.kind !== 'rework')) push('link', link.id);
      if (kind === 'waste') for (const countermeasure of store.list('countermeasure')) if (countermeasure.waste === id) push('countermeasure', countermeasure.id);
    }
    for (const { kind, id } of items) if (kind === 'link') push(kind, id);
    for (const { kind, id } of items) if (kind !== 'link') push(kind, id);
    const count = items.length;
    selection.clear();
    this.perform(count === 1 ? `delete of ${KIND_NAMES[items[0].kind].toLowerCase()}` : `delete of ${count} items`, ops)
      .then((frames) => { if (frames) announce(`Deleted ${count === 1 ? KIND_NAMES[items[0].kind].toLowerCase() : `${count} items`}.`); });
    this.focusCanvas();
  }

  /** Moves the selected stickies by (dx, dy) from `origins`; keeps the activity lane's flow
   * order left to right. */
  moveSelection(dx, dy, origins, { keyboard = false } = {}) {
    const store = this.store;
    let targets = new Map();
    for (const [key, origin] of origins) targets.set(key, { x: Math.round(origin.x + dx), y: Math.round(origin.y + dy) });
    targets = laneTargets(store.list('activity'), targets, origins, keyboard ? dy : null); // on their lanes' rows
    keepAttached(targets, origins, store.list('waste'), store.list('countermeasure')); // wastes stay by their activity
    const ops = [];
    const activities = store.activities();
    const byX = [...activities].sort((a, b) => (targets.get(keyOf('activity', a.id))?.x ?? a.x) - (targets.get(keyOf('activity', b.id))?.x ?? b.x));
    const reordered = byX.some((activity, index) => activity.id !== activities[index].id);
    const orders = new Map();
    if (reordered) byX.forEach((activity, index) => { if (activity.order !== index) orders.set(activity.id, index); });
    for (const [key, position] of targets) {
      const [kind, id] = key.split(':');
      const data = { id: Number(id), ...position };
      if (kind === 'activity' && orders.has(Number(id))) { data.order = orders.get(Number(id)); orders.delete(Number(id)); }
      ops.push({ op: `${kind}.move`, data });
    }
    for (const [id, order] of orders) ops.push({ op: 'activity.move', data: { id, order } });
    const label = targets.size === 1 ? 'move' : `move of ${targets.size} items`;
    this.perform(label, ops);
    for (const { op, data } of ops) {
      const object = store.get(op.split('.')[0], data.id);
      if (object) Object.assign(object, data); // where it was dropped; the applied ops confirm
    }
    for (const { op, data } of ops) this.stickies.render(op.split('.')[0], data.id);
    this.links.render();
  }

  /** Moves the selection by (dx, dy) on screen at once and sends one move when the keys
   * stop; false when nothing selected can move. */
  nudgeSelection(dx, dy) {
    const store = this.store;
    // A moved activity takes its wastes (and their countermeasures) with it, in the same change.
    const items = withAttached(this.selection.items().filter((item) => item.kind !== 'link').map((item) => item.key), store.list('waste'), store.list('countermeasure')).map(keyItem);
    if (!items.length) return false;
    if (!this.nudge) {
      this.nudge = { dx: 0, dy: 0, origins: new Map(items.map((item) => {
        const object = store.get(item.kind, item.id);
        return [item.key, { x: object.x, y: object.y }];
      })) };
    }
    const nudge = this.nudge;
    nudge.dx += dx;
    nudge.dy += dy;
    for (const [key, origin] of nudge.origins) {
      const element = this.stickies.elements.get(key);
      if (!element) continue;
      element.style.left = `${origin.x + nudge.dx}px`;
      element.style.top = `${origin.y + nudge.dy}px`;
    }
    this.links.renderLive(new Map([...nudge.origins].map(([key, origin]) => [key, { x: origin.x + nudge.dx, y: origin.y + nudge.dy }])));
    window.clearTimeout(nudge.timer);
    // Held arrow keys send one move when they stop, not one op per key repeat.
    nudge.timer = window.setTimeout(() => {
      const done = this.nudge;
      this.nudge = null;
      this.moveSelection(done.dx, done.dy, done.origins, { keyboard: true });
    }, NUDGE_PAUSE_MS);
    return true;
  }
}

function jitter() {
  return Math.round((Math.random() - 0.5) * 40);
}
