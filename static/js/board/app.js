// The board app: boots from the page's data attributes, applies the socket's frames to the
// store and wires the parts together. Each part (stickies, links, ladder, facilitation,
// voting, countermeasures, exports, presence) owns its own DOM.

import { api, setCsrfToken } from './api.js';
import { Canvas } from './canvas.js';
import { Clipboard } from './clipboard.js';
import { Connection } from './connection.js';
import { Countermeasures } from './countermeasures.js';
import { announce, fill, h } from './dom.js';
import { Exports } from './exports.js';
import { Facilitation } from './facilitation.js';
import { History } from './history.js';
import { KIND_NAMES } from './labels.js';
import { Ladder } from './ladder.js';
import { Links } from './links.js';
import { MeasuredFlow } from './measured.js';
import { Presence } from './presence.js';
import { Selection } from './selection.js';
import { TrackerStates } from './states.js';
import { Status } from './status.js';
import { Stickies, keyOf } from './stickies.js';
import { BoardStore } from './store.js';
import { setHoursPerDay } from './units.js';
import { Voting } from './voting.js';
// The flow on the board: critical path, unlinked activities, level of detail, the minimap.
import { FlowOverlay } from './flow-overlay.js';
import { keepAttached, keyItem, withAttached } from './flowgraph.js';
import { READABLE_ZOOM } from './layout.js';
import { Minimap } from './minimap.js';
// Offline edits, conflicts, leaving with unsaved work, sharing the workshop.
import { Conflicts } from './conflicts.js';
import { LeaveGuard } from './leave-guard.js';
import { PendingEdits } from './pending-edits.js';
import { Share } from './share.js';
import { laneOf, laneTargets, laneY } from './lanes.js';

const NUDGE = 10;
const NUDGE_FAST = 50;

export function boot(root) {
  const data = root.dataset;
  const phasesElement = document.getElementById('board-phases');
  const config = {
    streamId: Number(data.stream),
    dotBudget: Number(data.dotBudget) || 5,
    phases: phasesElement ? JSON.parse(phasesElement.textContent) : [],
    workshopUrl: data.workshopUrl,
    summaryUrl: data.summaryUrl,
  };
  setHoursPerDay(data.hoursPerDay);
  setCsrfToken(data.csrf);

  const ctx = {
    root,
    config,
    role: data.role,
    me: null,
    limits: null, // the server's, from the welcome frame
    serverCanEdit: data.canEdit === 'true',
    store: new BoardStore(),
    selection: new Selection(),
    connection: new Connection({ streamId: config.streamId }),
    canEdit() {
      if (!this.serverCanEdit) return false;
      return !(this.store.stream?.locked && this.role !== 'facilitator');
    },
    canVote() { return this.canEdit(); },
    /** The most characters the server takes in `field` of `kind` (null: no text limit known). */
    maxLength(kind, field) { return this.limits?.max_length?.[kind]?.[field] ?? null; },
    focusCanvas() { canvasElement.focus({ preventScroll: true }); },
    notify: (message, kind) => status.notify(message, kind),
    /** Sends one change (a list of ops) through the undo history; null when rejected. */
    async perform(label, ops, options) {
      try {
        return await ctx.history.change(label, ops, options);
      } catch (frame) {
        const reason = frame?.detail || frame?.message || 'The change was refused.';
        status.notify(reason, 'error');
        announce(reason);
        ctx.connection.send({ type: 'sync' }); // undo any optimistic display
        return null;
      }
    },
    moveSelection: (dx, dy, origins) => moveSelection(dx, dy, origins),
  };
  ctx.history = new History({ connection: ctx.connection, store: ctx.store });
  ctx.measured = new MeasuredFlow({ streamId: config.streamId });

  const canvasElement = root.querySelector('.board-viewport');
  const status = new Status(root);
  ctx.canvas = new Canvas(canvasElement, root.querySelector('.board-world'));
  ctx.stickies = new Stickies(ctx, root.querySelector('.board-layer.stickies'));
  ctx.links = new Links(ctx, root.querySelector('.board-links'), root.querySelector('.link-banner'));
  ctx.presence = new Presence(ctx, { avatars: root.querySelector('.avatars'), cursors: root.querySelector('.board-cursors') });
  ctx.facilitation = new Facilitation(ctx, root.querySelector('.facilitation'));
  ctx.voting = new Voting(ctx, root.querySelector('.panel-voting'));
  ctx.countermeasures = new Countermeasures(ctx, root.querySelector('.panel-steps'));
  ctx.clipboard = new Clipboard(ctx);
  ctx.flowOverlay = new FlowOverlay(ctx); // before the store's listeners below: its marks go stale first
  ctx.states = new TrackerStates(ctx, root.querySelector('.panel-states'));
  const ladder = new Ladder(root.querySelector('.ladder'));
  new Exports(ctx, root.querySelector('.panel-export'));
  ctx.pendingEdits = new PendingEdits(ctx);
  ctx.conflicts = new Conflicts(ctx);
  ctx.leaveGuard = new LeaveGuard(ctx);
  ctx.share = new Share(ctx);
  const emptyHint = root.querySelector('.empty-hint');

  // Frames -> store -> views ------------------------------------------------------------------

  const store = ctx.store;
  ctx.connection.addEventListener('frame', (event) => {
    const frame = event.detail;
    if (frame.type === 'welcome') {
      ctx.role = frame.role;
      ctx.serverCanEdit = Boolean(frame.can_edit);
      ctx.me = frame.user;
      ctx.limits = frame.limits || null;
      ctx.presence.welcome(frame);
    } else if (frame.type === 'presence') ctx.presence.receive(frame);
    else if (frame.type === 'follow') ctx.facilitation.follow(frame);
    else if (frame.type === 'synced') status.loaded();
    else if (frame.type === 'rejected' && !frame.id) status.notify(frame.detail || 'Refused.', 'error');
    else if (frame.type === 'measured.changed') ctx.measured.schedule(0);
    else store.apply(frame);
  });
  ctx.connection.addEventListener('state', (event) => status.connection(event.detail));

  store.addEventListener('reset', () => {
    if (!store.me && ctx.me) store.me = ctx.me;
    renderEverything();
    status.loaded();
    if (autoFit) requestAnimationFrame(fitContent);
    ctx.measured.schedule(0); // (re)connected: whatever changed meanwhile
  });
  store.addEventListener('change', (event) => {
    const { kind, id } = event.detail;
    ctx.stickies.render(kind, id);
    if (kind === 'activity') {
      for (const activity of store.list('activity')) if (activity.id !== id) ctx.stickies.render('activity', activity.id);
      for (const waste of store.list('waste')) ctx.stickies.render('waste', waste.id); // aria labels name activities
    }
    if (kind === 'vote') {
      const waste = event.detail.object?.waste ?? event.detail.before?.waste;
      if (waste) ctx.stickies.render('waste', waste);
      ctx.voting.render();
    }
    if (kind === 'waste') ctx.voting.scheduleRefresh();
    if (kind === 'countermeasure' || kind === 'waste') ctx.countermeasures.render();
    if (kind === 'activity' || kind === 'link') ctx.links.render();
    if (kind === 'state') {
      // Which states map to a card decides what its measured row can show; the figures
      // themselves come from the server, asked once a burst of assignments is over.
      for (const activity of [event.detail.before?.activity, event.detail.object?.activity]) {
        if (activity !== null && activity !== undefined) ctx.stickies.render('activity', activity);
      }
      if (!event.detail.cascade) ctx.measured.schedule();
    }
    if (kind === 'state' || kind === 'activity') ctx.states.render();
    if (kind === 'activity' && event.detail.action === 'delete') ctx.measured.schedule();
    renderHint();
  });
  store.addEventListener('votes', () => ctx.voting.render());
  store.addEventListener('stream', () => renderEverything());
  store.addEventListener('workshop', () => { ctx.facilitation.render(); renderHint(); renderPanels(); });
  store.addEventListener('summary', () => ladder.render(store.summary));
  ctx.measured.addEventListener('change', () => {
    ctx.stickies.refreshKind('activity');
    ctx.states.render();
    requestAnimationFrame(() => { ctx.links.render(); fitContent(); }); // cards may have grown
  });

  ctx.selection.addEventListener('change', () => {
    ctx.stickies.refreshSelection();
    ctx.links.render();
    ctx.countermeasures.render();
    renderToolbar();
  });
  ctx.history.addEventListener('change', renderToolbar);

  function renderEverything() {
    root.classList.toggle('read-only', !ctx.canEdit());
    root.classList.toggle('viewer', !ctx.serverCanEdit);
    root.classList.toggle('is-facilitator', ctx.role === 'facilitator');
    ctx.stickies.renderAll();
    requestAnimationFrame(() => ctx.links.render());
    ctx.facilitation.render();
    ctx.voting.render();
    ctx.countermeasures.render();
    ctx.presence.renderAvatars();
    ctx.states.render();
    renderToolbar();
    renderHint();
    renderPanels();
  }

  // The toolbar -----------------------------------------------------------------------------

  const toolbar = root.querySelector('.toolbar');
  toolbar.addEventListener('click', (event) => {
    const action = event.target.closest('[data-action]')?.dataset.action;
    if (action) run(action);
  });
  emptyHint.addEventListener('click', (event) => {
    const action = event.target.closest('[data-action]')?.dataset.action;
    if (action) run(action);
  });

  function renderToolbar() {
    const editable = ctx.canEdit();
    const button = (action) => toolbar.querySelector(`[data-action=${action}]`);
    for (const tool of toolbar.querySelectorAll('.edit-tool')) tool.disabled = !editable;
    if (!button('undo')) return; // viewers have no editing tools
    const undo = ctx.history.done.at(-1);
    const redo = ctx.history.undone.at(-1);
    button('undo').disabled = !editable || !ctx.history.canUndo;
    button('redo').disabled = !editable || !ctx.history.canRedo;
    button('delete').disabled = !editable || ctx.selection.size === 0;
    button('undo').title = undo ? `Undo ${undo.label} (Ctrl+Z)` : 'Nothing to undo';
    button('redo').title = redo ? `Redo ${redo.label} (Ctrl+Shift+Z)` : 'Nothing to redo';
  }

  async function run(action) {
    if (action.startsWith('zoom-')) autoFit = false;
    if (action === 'zoom-in') ctx.canvas.zoomAt(1.2);
    else if (action === 'zoom-out') ctx.canvas.zoomAt(1 / 1.2);
    else if (action === 'zoom-reset') ctx.canvas.reset();
    else if (action === 'zoom-fit') fitAll();
    else if (action === 'undo') undoRedo('undo');
    else if (action === 'redo') undoRedo('redo');
    else if (action === 'delete') deleteSelection();
    else if (action.startsWith('add-')) add(action.slice(4));
  }

  async function undoRedo(which) {
    if (!ctx.canEdit()) return;
    try {
      const message = await ctx.history[which]();
      if (message) { announce(message); status.notify(message); }
    } catch (frame) {
      status.notify(`Could not ${which}: ${frame?.detail || 'the board has changed.'}`, 'error');
      ctx.connection.send({ type: 'sync' });
    }
  }

  async function add(kind) {
    if (!ctx.canEdit()) return;
    const center = ctx.canvas.center();
    let op;
    let data;
    if (kind === 'activity') {
      const activities = store.activities();
      const last = activities.at(-1);
      const lane = last ? laneOf(last.y) : 0; // on the lane of the last one, its row
      data = { title: 'New activity', x: last ? last.x + 240 : 40, y: laneY(lane), lane };
      op = 'activity.create';
    } else if (kind === 'waste') {
      const pinned = ctx.selection.items().find((item) => item.kind === 'activity');
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
    const frames = await ctx.perform(`new ${KIND_NAMES[kind].toLowerCase()}`, [{ op, data }]);
    const created = frames?.[0]?.data;
    if (!created) return;
    ctx.selection.set([keyOf(kind, created.id)]);
    const box = ctx.stickies.box(kind, created.id);
    ctx.canvas.reveal(box.x, box.y, box.width, box.height);
    ctx.stickies.startEdit(kind, created.id);
  }

  function deleteSelection() {
    if (!ctx.canEdit() || !ctx.selection.size) return;
    const ops = [];
    const seen = new Set();
    const push = (kind, id) => {
      const key = keyOf(kind, id);
      if (seen.has(key) || !store.get(kind, id)) return;
      seen.add(key);
      ops.push({ op: `${kind}.delete`, data: { id } });
    };
    const items = ctx.selection.items();
    // What the database would cascade is deleted first, one op each, so undo restores it.
    // Tracker states go off a deleted activity too; only a facilitator may say so (the
    // server takes the assignments off anyway), so only then can undo put them back.
    const facilitator = ctx.role === 'facilitator';
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
    ctx.selection.clear();
    ctx.perform(count === 1 ? `delete of ${KIND_NAMES[items[0].kind].toLowerCase()}` : `delete of ${count} items`, ops)
      .then((frames) => { if (frames) announce(`Deleted ${count === 1 ? KIND_NAMES[items[0].kind].toLowerCase() : `${count} items`}.`); });
    ctx.focusCanvas();
  }

  /** Moves the selected stickies by (dx, dy) from `origins`; keeps the activity lane's flow
   * order left to right. */
  function moveSelection(dx, dy, origins, { keyboard = false } = {}) {
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
    ctx.perform(label, ops);
    for (const { op, data } of ops) {
      const object = store.get(op.split('.')[0], data.id);
      if (object) Object.assign(object, data); // where it was dropped; the applied ops confirm
    }
    for (const { op, data } of ops) ctx.stickies.render(op.split('.')[0], data.id);
    ctx.links.render();
  }

  // Keyboard ------------------------------------------------------------------------------

  let nudge = null;
  function nudgeSelection(dx, dy) {
    // A moved activity takes its wastes (and their countermeasures) with it, in the same change.
    const items = withAttached(ctx.selection.items().filter((item) => item.kind !== 'link').map((item) => item.key), store.list('waste'), store.list('countermeasure')).map(keyItem);
    if (!items.length) return false;
    if (!nudge) {
      nudge = { dx: 0, dy: 0, origins: new Map(items.map((item) => {
        const object = store.get(item.kind, item.id);
        return [item.key, { x: object.x, y: object.y }];
      })) };
    }
    nudge.dx += dx;
    nudge.dy += dy;
    for (const [key, origin] of nudge.origins) {
      const element = ctx.stickies.elements.get(key);
      if (!element) continue;
      element.style.left = `${origin.x + nudge.dx}px`;
      element.style.top = `${origin.y + nudge.dy}px`;
    }
    ctx.links.renderLive(new Map([...nudge.origins].map(([key, origin]) => [key, { x: origin.x + nudge.dx, y: origin.y + nudge.dy }])));
    window.clearTimeout(nudge.timer);
    // Held arrow keys send one move when they stop, not one op per key repeat.
    nudge.timer = window.setTimeout(() => {
      const done = nudge;
      nudge = null;
      moveSelection(done.dx, done.dy, done.origins, { keyboard: true });
    }, 350);
    return true;
  }

  root.addEventListener('keydown', (event) => {
    const typing = event.target.closest('input, textarea, select, [contenteditable]');
    if (typing) return;
    const mod = event.ctrlKey || event.metaKey;
    const letter = event.key.length === 1 ? event.key.toLowerCase() : '';
    if (mod && letter === 'z') {
      event.preventDefault();
      undoRedo(event.shiftKey ? 'redo' : 'undo');
    } else if (mod && letter === 'y') {
      event.preventDefault();
      undoRedo('redo');
    } else if (mod && !event.shiftKey && !event.altKey && letter === 'c') {
      // Text the person selected on the page is theirs to copy; otherwise the stickies.
      if (String(window.getSelection?.() ?? '')) return;
      if (ctx.clipboard.copy()) event.preventDefault();
    } else if (mod && !event.shiftKey && !event.altKey && letter === 'v') {
      event.preventDefault();
      ctx.clipboard.paste();
    } else if (mod && !event.shiftKey && !event.altKey && letter === 'd') {
      event.preventDefault(); // not the browser's bookmark dialog
      ctx.clipboard.duplicate();
    } else if (mod || event.altKey) {
      return; // the browser's (and the system's) shortcuts
    } else if (event.key === '+' || event.key === '=') {
      event.preventDefault();
      ctx.canvas.zoomAt(1.2);
    } else if (event.key === '-' || event.key === '_') {
      event.preventDefault();
      ctx.canvas.zoomAt(1 / 1.2);
    } else if (event.key === '0') {
      event.preventDefault();
      ctx.canvas.reset();
    } else if (event.key === 'Escape') {
      if (ctx.links.active !== null) ctx.links.cancel();
      else ctx.selection.clear();
    } else if ((event.key === 'Delete' || event.key === 'Backspace') && ctx.selection.size) {
      event.preventDefault();
      deleteSelection();
    } else if (event.key.startsWith('Arrow')) {
      const step = event.shiftKey ? NUDGE_FAST : NUDGE;
      const dx = event.key === 'ArrowLeft' ? -step : event.key === 'ArrowRight' ? step : 0;
      const dy = event.key === 'ArrowUp' ? -step : event.key === 'ArrowDown' ? step : 0;
      event.preventDefault();
      if (!(ctx.canEdit() && nudgeSelection(dx, dy))) ctx.canvas.panBy(-dx * 4, -dy * 4);
    }
  });

  // Canvas gestures ---------------------------------------------------------------------------

  ctx.canvas.addEventListener('emptyclick', () => { ctx.links.cancel(); ctx.selection.clear(); });
  ctx.canvas.addEventListener('band', (event) => {
    const band = event.detail;
    const keys = [];
    for (const [key, element] of ctx.stickies.elements) {
      const [kind, id] = key.split(':');
      const box = ctx.stickies.box(kind, Number(id));
      if (box.x < band.x + band.width && box.x + box.width > band.x && box.y < band.y + band.height && box.y + box.height > band.y) keys.push(key);
      void element;
    }
    ctx.selection.set([...ctx.selection.keys, ...keys]);
    if (keys.length) announce(`${ctx.selection.size} selected.`);
  });
  ctx.canvas.addEventListener('pointer', (event) => ctx.presence.moved(event.detail));
  ctx.canvas.addEventListener('view', () => ctx.facilitation.sendView());
  // A card changed size (an edit, the level of detail, measured figures): its links' ends move.
  ctx.stickies.addEventListener('resized', () => ctx.links.render());
  ctx.minimap = new Minimap(ctx, canvasElement, { fitAll: () => { autoFit = false; fitAll(); } });
  root.querySelector('.link-banner button').addEventListener('click', () => ctx.links.cancel());

  // Hints and panels ---------------------------------------------------------------------

  function renderHint() {
    if (!store.loaded) return;
    const phase = store.workshop?.phase;
    const editable = ctx.canEdit();
    let message = null;
    let action = null;
    if (!store.list('activity').length) {
      message = editable ? 'What starts this value stream? Add the first activity, then the next one to its right.' : 'No activities yet: the team is about to map the stream.';
      action = editable ? ['add-activity', 'Add the first activity'] : null;
    } else if ((phase === 'wastes' || phase === 'conversation') && !store.list('waste').length) {
      message = 'Where does work wait, bounce back or get stuck? Select an activity and add a waste under it.';
      action = editable ? ['add-waste', 'Add a waste'] : null;
    } else if (phase === 'prioritize' && ctx.canVote() && store.list('waste').length && !store.myVotes().length) {
      message = `Put your ${config.dotBudget} dots on the wastes that hurt most: “+ dot” on a waste (or focus it and press V).`;
    } else if (phase === 'countermeasures' && store.list('waste').length && !store.list('countermeasure').length) {
      message = 'Take the most annoying waste and press “Add countermeasure” on it: current condition, future condition, how we will measure it.';
    }
    emptyHint.hidden = !message;
    emptyHint.classList.toggle('centered', ctx.stickies.elements.size === 0);
    if (message) fill(emptyHint, h('p', {}, message), action ? h('button', { type: 'button', class: 'primary', dataset: { action: action[0] } }, action[1]) : null);
  }

  function renderPanels() {
    const phase = store.workshop?.phase;
    const open = {
      'panel-voting': ['wastes', 'prioritize'].includes(phase),
      'panel-steps': ['countermeasures', 'baby_steps'].includes(phase),
      'panel-repeat': phase === 'repeat',
    };
    for (const [name, isOpen] of Object.entries(open)) {
      const panel = root.querySelector(`.${name}`);
      if (panel && panel.dataset.phase !== phase) { panel.open = isOpen; panel.dataset.phase = phase || ''; }
    }
    root.querySelector('.panel-repeat').hidden = phase !== 'repeat';
  }

  // Until the person pans or zooms, the map is kept whole in view (the layout settles late).
  let autoFit = true;
  function fitContent() {
    if (!autoFit) return;
    const rect = contentBox();
    if (rect) ctx.canvas.fit(rect, 40, { silent: true, minZoom: READABLE_ZOOM }); // a big map opens at its start
  }
  /** The whole map in view, however small (the Fit button; the minimap's Enter). */
  function fitAll() {
    ctx.canvas.fit(contentBox());
  }
  new ResizeObserver(() => fitContent()).observe(canvasElement);
  for (const type of ['pointerdown', 'wheel', 'keydown']) canvasElement.addEventListener(type, () => { autoFit = false; }, { once: true });
  function contentBox() {
    let left = Infinity; let top = Infinity; let right = -Infinity; let bottom = -Infinity;
    for (const key of ctx.stickies.elements.keys()) {
      const [kind, id] = key.split(':');
      const box = ctx.stickies.box(kind, Number(id));
      left = Math.min(left, box.x); top = Math.min(top, box.y);
      right = Math.max(right, box.x + box.width); bottom = Math.max(bottom, box.y + box.height);
    }
    if (Number.isFinite(left)) top = Math.min(top, ctx.links.loopTop ?? top); // rework loops arc above the cards
    return Number.isFinite(left) ? { x: left, y: top, width: right - left, height: bottom - top } : null;
  }

  function jitter() {
    return Math.round((Math.random() - 0.5) * 40);
  }

  // Start -------------------------------------------------------------------------------

  api('GET', `/api/streams/${config.streamId}/summary/`).then((summary) => {
    // As a frame: whatever draws the summary (the ladder, the critical path) hears of it.
    if (!store.summary) store.apply({ type: 'summary', summary });
  }).catch(() => ladder.render(null));
  ctx.connection.start();
  window.boardApp = ctx; // for the console and end-to-end tests
  return ctx;
}

