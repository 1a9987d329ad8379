// Copy, paste and duplicate of the selected stickies (activities, wastes, notes), within a
// board and between the boards of one workshop. A copy is a "clip": each sticky's fields and
// its place relative to the others, the links between copied activities, and which copied
// activity a copied waste hangs under. It is kept in localStorage under the workshop's id (so
// it survives going to another board of the workshop) and offered to the system clipboard as
// JSON text. Pasting sends the normal create ops as one change, so one undo takes it back.
//
// The functions above the class are pure (tests/js/clipboard.test.mjs); the class reads the
// board (store, selection, canvas) and talks to the person.

import { announce } from './dom.js';
import { SIZES } from './labels.js';
import { pastedOnLanes } from './lanes.js';

export const CLIP_FORMAT = 'flowmap/stickies';
const STORAGE_PREFIX = 'flowmap.clipboard.workshop.';
export const OFFSET = 24; // how far a paste or a duplicate lands from what it copies

/** What a copy keeps of each kind (positions are kept apart, relative to the group). */
export const COPIED_FIELDS = {
  activity: ['title', 'description', 'team', 'lane', 'process_time', 'wait_time', 'pca', 'lead_time_min', 'lead_time_max', 'color'],
  waste: ['text', 'category'],
  note: ['text', 'kind', 'color'],
};
const ORDER = ['activity', 'waste', 'note']; // activities first: wastes may hang under them

/**
 * The clip of `stickies` ([{kind, object, width, height}]) with the `links` among them.
 * Kinds other than activity, waste and note are left out.
 */
export function makeClip({ workshop, stream, stickies, links = [] }) {
  const kept = stickies.filter(({ kind }) => COPIED_FIELDS[kind]);
  if (!kept.length) return null;
  const left = Math.min(...kept.map(({ object }) => object.x));
  const top = Math.min(...kept.map(({ object }) => object.y));
  const refs = new Map(kept.map(({ kind, object }, index) => [`${kind}:${object.id}`, index + 1]));
  const entries = kept.map(({ kind, object, width, height }, index) => {
    const fields = {};
    for (const name of COPIED_FIELDS[kind]) if (object[name] !== undefined) fields[name] = object[name];
    const entry = {
      kind,
      ref: index + 1,
      dx: object.x - left,
      dy: object.y - top,
      width: width ?? SIZES[kind].width,
      height: height ?? SIZES[kind].height,
      fields,
    };
    if (kind === 'waste' && object.activity != null) {
      // Under a copied activity (`under`: its ref), or under one left on this board (its id).
      const under = refs.get(`activity:${object.activity}`);
      if (under !== undefined) entry.under = under;
      else entry.activity = object.activity;
    }
    return entry;
  });
  const copiedLinks = links
    // Flow links only: a rework loop is a facilitator's to draw again (and may not go back on
    // the board pasted onto).
    .filter((link) => link.kind !== 'rework' && refs.has(`activity:${link.source}`) && refs.has(`activity:${link.target}`))
    .map((link) => ({ source: refs.get(`activity:${link.source}`), target: refs.get(`activity:${link.target}`) }));
  return {
    format: CLIP_FORMAT,
    version: 1,
    id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    workshop,
    stream,
    origin: { x: left, y: top },
    width: Math.max(...entries.map((entry) => entry.dx + entry.width)),
    height: Math.max(...entries.map((entry) => entry.dy + entry.height)),
    stickies: entries,
    links: copiedLinks,
  };
}

/** A clip read back from text, or null when it is not one of this workshop's. Fields are
 * trimmed to what a copy keeps; the server checks their values. */
export function readClip(text, workshop) {
  let clip;
  try { clip = typeof text === 'string' ? JSON.parse(text) : text; } catch { return null; }
  if (!clip || clip.format !== CLIP_FORMAT || clip.version !== 1 || clip.workshop !== workshop) return null;
  const finite = (value) => typeof value === 'number' && Number.isFinite(value);
  if (!Array.isArray(clip.stickies) || !clip.stickies.length) return null;
  if (!finite(clip.origin?.x) || !finite(clip.origin?.y) || !finite(clip.width) || !finite(clip.height)) return null;
  const stickies = [];
  for (const entry of clip.stickies) {
    if (!entry || !COPIED_FIELDS[entry.kind] || !finite(entry.dx) || !finite(entry.dy) || !Number.isInteger(entry.ref)) return null;
    const fields = {};
    for (const name of COPIED_FIELDS[entry.kind]) if (entry.fields && name in entry.fields) fields[name] = entry.fields[name];
    stickies.push({ ...entry, fields });
  }
  const links = (Array.isArray(clip.links) ? clip.links : []).filter((link) => Number.isInteger(link?.source) && Number.isInteger(link?.target));
  return { ...clip, stickies, links };
}

/**
 * Where a paste's top-left goes: offset from the originals when they are on this board and
 * in view (each further paste of the same clip one offset further), else the view's centre.
 * `view` is the visible world rectangle {x, y, width, height}.
 */
export function pastePlace(clip, { stream, view, count = 1 }) {
  const { origin } = clip;
  const inView = clip.stream === stream && view
    && origin.x < view.x + view.width && origin.x + clip.width > view.x
    && origin.y < view.y + view.height && origin.y + clip.height > view.y;
  if (inView || !view) return { x: origin.x + OFFSET * count, y: origin.y + OFFSET * count };
  return { x: Math.round(view.x + (view.width - clip.width) / 2), y: Math.round(view.y + (view.height - clip.height) / 2) };
}

/**
 * The create ops that put `clip` on `stream` with its top-left at `at`, as one change: each
 * activity carries a placeholder id (-ref) that the wastes under it and the links name, so
 * the history puts in the real id once the activity exists. A waste hanging under an
 * activity that was not copied stays under it on the same board (while it exists), and
 * hangs under nothing on another board.
 */
export function pasteOps(clip, { stream, at, activityExists = () => false }) {
  const ops = [];
  const position = (entry) => ({ x: Math.round(at.x + entry.dx), y: Math.round(at.y + entry.dy) });
  const entries = [...clip.stickies].sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
  const activities = new Set(entries.filter((entry) => entry.kind === 'activity').map((entry) => entry.ref));
  for (const entry of entries) {
    const data = { ...entry.fields, ...position(entry) };
    if (entry.kind === 'activity') {
      ops.push({ op: 'activity.create', data, placeholder: -entry.ref, ref: entry.ref });
      continue;
    }
    if (entry.kind === 'waste') {
      if (entry.under !== undefined && activities.has(entry.under)) data.activity = -entry.under;
      else if (clip.stream === stream && entry.activity != null && activityExists(entry.activity)) data.activity = entry.activity;
      else data.activity = null;
    }
    ops.push({ op: `${entry.kind}.create`, data, ref: entry.ref });
  }
  for (const link of clip.links) {
    if (activities.has(link.source) && activities.has(link.target)) {
      ops.push({ op: 'link.create', data: { source: -link.source, target: -link.target } });
    }
  }
  return ops;
}

function stickyCount(n) {
  return `${n} ${n === 1 ? 'sticky' : 'stickies'}`;
}

export class Clipboard {
  /** Copies and pastes `store`'s selected stickies (`selection`) through `perform`. */
  constructor({ store, selection, session, canvas, stickies, perform, notify }) {
    Object.assign(this, { store, selection, session, canvas, stickies, perform, notify });
    this.lastClip = null; // id of the clip last pasted here, and how often
    this.pastes = 0;
  }

  get #storageKey() {
    return `${STORAGE_PREFIX}${this.store.stream?.workshop}`;
  }

  /** The selected stickies as a clip (null when none of them can be copied). */
  #clipOfSelection() {
    const { store, selection } = this;
    const keys = new Set(selection.items().map((item) => item.key));
    const chosen = selection.items()
      .filter((item) => COPIED_FIELDS[item.kind] && store.get(item.kind, item.id))
      .map(({ kind, id }) => {
        const box = this.stickies.box(kind, id);
        return { kind, object: store.get(kind, id), width: box.width, height: box.height };
      });
    const links = store.list('link').filter((link) => keys.has(`activity:${link.source}`) && keys.has(`activity:${link.target}`));
    return makeClip({ workshop: store.stream?.workshop, stream: store.stream?.id, stickies: chosen, links });
  }

  /** Ctrl/Cmd+C: copies the selected stickies; false when there is nothing to copy. */
  copy() {
    const clip = this.#clipOfSelection();
    if (!clip) return false;
    const text = JSON.stringify(clip);
    try {
      window.localStorage.setItem(this.#storageKey, text);
    } catch {
      this.#say('Could not copy: this browser keeps no local storage for the board.', 'error');
      return true;
    }
    // Also the system clipboard, as JSON text, where the browser allows it (best effort).
    navigator.clipboard?.writeText(text).catch(() => {});
    this.#say(`Copied ${stickyCount(clip.stickies.length)}. Paste with Ctrl+V here or on another board of the workshop.`);
    return true;
  }

  /** Ctrl/Cmd+V: pastes the workshop's clip, offset from its originals or in the middle of the view. */
  async paste() {
    if (this.#refused('paste')) return;
    let clip = null;
    try { clip = readClip(window.localStorage.getItem(this.#storageKey), this.store.stream?.workshop); } catch { clip = null; }
    if (!clip) {
      this.#say('Nothing to paste: select stickies and press Ctrl+C first.');
      return;
    }
    this.pastes = this.lastClip === clip.id ? this.pastes + 1 : 1;
    this.lastClip = clip.id;
    const at = pastePlace(clip, { stream: this.store.stream?.id, view: this.#visibleWorld(), count: this.pastes });
    await this.#create(clip, at, 'Pasted', 'paste');
  }

  /** Ctrl/Cmd+D: a copy of the selected stickies next to them (the clipboard is left alone). */
  async duplicate() {
    if (this.#refused('duplicate')) return;
    const clip = this.#clipOfSelection();
    if (!clip) {
      this.#say('Nothing to duplicate: select activities, wastes or notes first.');
      return;
    }
    await this.#create(clip, { x: clip.origin.x + OFFSET, y: clip.origin.y + OFFSET }, 'Duplicated', 'duplicate');
  }

  async #create(clip, at, verb, noun) {
    const { store, selection, canvas } = this;
    // Activities land on their lanes' rows, clear of the lane's others (the clip as one group).
    const ops = pastedOnLanes(pasteOps(clip, { stream: store.stream?.id, at, activityExists: (id) => Boolean(store.get('activity', id)) }), store.list('activity'));
    const stickyOps = ops.filter((op) => op.ref !== undefined);
    const frames = await this.perform(`${noun} of ${stickyCount(stickyOps.length)}`, ops);
    if (!frames) return;
    const keys = frames.filter((frame) => frame?.data?.id !== undefined && !String(frame.op).startsWith('link.'))
      .map((frame) => `${String(frame.op).split('.')[0]}:${frame.data.id}`);
    selection.set(keys);
    const first = keys[0]?.split(':');
    if (first) {
      const box = this.stickies.box(first[0], Number(first[1]));
      canvas.reveal(box.x, box.y, box.width, box.height);
    }
    this.#say(`${verb} ${stickyCount(keys.length)}.`);
  }

  /** Pasting changes the board: a viewer, or anyone but the facilitator on a locked board,
   * is told why not, and nothing is sent. */
  #refused(action) {
    if (!this.session.serverCanEdit) {
      this.#say(`You are a viewer on this board: you can copy from it, but not ${action} onto it. Ask the facilitator to make you a participant.`, 'error');
      return true;
    }
    if (!this.session.canEdit()) {
      this.#say(`The facilitator has locked the board: you can ${action} again once it is unlocked.`, 'error');
      return true;
    }
    return false;
  }

  #visibleWorld() {
    const { canvas } = this;
    const box = canvas.viewport.getBoundingClientRect();
    if (!box.width || !box.height) return null;
    const topLeft = canvas.toWorld(box.left, box.top);
    const bottomRight = canvas.toWorld(box.right, box.bottom);
    return { x: topLeft.x, y: topLeft.y, width: bottomRight.x - topLeft.x, height: bottomRight.y - topLeft.y };
  }

  #say(message, kind) {
    this.notify(message, kind);
    announce(message);
  }
}
