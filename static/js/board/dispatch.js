// The board's switchboard: the one place that says which part hears of what. Socket frames go
// to the person's session, presence, the facilitation, the status line or the store; the
// store's events, the measured figures, the selection, the undo history, the canvas' gestures
// and the cards' sizes then go to the parts that draw them. No part listens to another on its
// own, so the order in which they hear of a change is written here, once.
//
// Nothing here touches the DOM: `wire` takes the event sources and the parts as arguments
// (tests/js/dispatch.test.mjs drives it under node with recorded frames and fake parts).
//
// Frames (docs/realtime.md)          go to
//   welcome                          session.welcome, presence.welcome
//   presence (joins, cursors, edits) presence.receive
//   follow                           facilitation.follow
//   synced                           status.loaded
//   rejected without an op id        status.notify (an op's own rejection rejects its promise)
//   measured.changed                 measured.schedule(0)
//   snapshot, applied, summary, ...  store.apply (it ignores what it does not know)
//
// Store events                      go to
//   reset (a snapshot)               everything, the share dialog, the fit, measured figures
//   change {kind, id, ...}           routeChange below: the cards, links, panels that show it
//   votes (hidden dots)              voting
//   stream (lock, reveal, name)      everything
//   workshop (phase, timer)          facilitation, the hint, the phase's panels
//   summary                          the flow marks, the ladder, the minimap

/** The parts `wire` routes to (each one's methods named in the tables above and below). */
export const PARTS = [
  'session', 'store', 'status', 'presence', 'facilitation', 'measured', 'stickies', 'links', 'voting',
  'countermeasures', 'states', 'ladder', 'flowOverlay', 'minimap', 'share', 'chrome', 'fit', 'selection',
];

/** Hands one socket frame to the part it is for. */
export function routeFrame(frame, to) {
  switch (frame.type) {
    case 'welcome':
      to.session.welcome(frame);
      to.presence.welcome(frame);
      break;
    case 'presence':
      to.presence.receive(frame);
      break;
    case 'follow':
      to.facilitation.follow(frame);
      break;
    case 'synced':
      to.status.loaded();
      break;
    case 'rejected':
      if (!frame.id) to.status.notify(frame.detail || 'Refused.', 'error');
      break;
    case 'measured.changed':
      to.measured.schedule(0);
      break;
    default:
      to.store.apply(frame);
  }
}

/** Redraws what one changed object shows up in: `change` is the store's `change` detail
 * ({kind, id, action, before, object, cascade}). */
export function routeChange(change, to) {
  const { kind, id } = change;
  const store = to.store;
  if (kind === 'activity' || kind === 'link') to.flowOverlay.stale(); // its marks go stale first
  to.stickies.render(kind, id);
  if (kind === 'activity') {
    // Cards show their position in the flow, and wastes' labels name their activity.
    for (const activity of store.list('activity')) if (activity.id !== id) to.stickies.render('activity', activity.id);
    for (const waste of store.list('waste')) to.stickies.render('waste', waste.id);
  }
  if (kind === 'vote') {
    const waste = change.object?.waste ?? change.before?.waste;
    if (waste) to.stickies.render('waste', waste);
    to.voting.render();
  }
  if (kind === 'waste') to.voting.scheduleRefresh();
  if (kind === 'countermeasure' || kind === 'waste') to.countermeasures.render();
  if (kind === 'activity' || kind === 'link') to.links.render();
  if (kind === 'state') {
    // Which states map to a card decides what its measured row can show; the figures
    // themselves come from the server, asked once a burst of assignments is over.
    for (const activity of [change.before?.activity, change.object?.activity]) {
      if (activity !== null && activity !== undefined) to.stickies.render('activity', activity);
    }
    if (!change.cascade) to.measured.schedule();
  }
  if (kind === 'state' || kind === 'activity') to.states.render();
  if (kind === 'activity' && change.action === 'delete') to.measured.schedule();
  to.chrome.renderHint();
  to.minimap.stale();
}

/** Redraws the whole board: a snapshot, or the stream's own fields (a lock, the reveal). */
export function renderEverything(to, nextFrame) {
  to.chrome.renderRoles();
  to.stickies.renderAll();
  nextFrame(() => to.links.render()); // once the cards have their sizes
  to.facilitation.render();
  to.voting.render();
  to.countermeasures.render();
  to.presence.renderAvatars();
  to.states.render();
  to.chrome.renderToolbar();
  to.chrome.renderHint();
  to.chrome.renderPanels();
}

/**
 * Routes every event the board's parts react to, from these sources:
 *   connection  `frame` (each socket frame, in order) and `state`
 *   store       reset, change, votes, stream, workshop, summary
 *   measured    change (new measured figures)
 *   selection   change;  history  change (what undo and redo would do)
 *   canvas      emptyclick, band, pointer, view, moved
 *   stickies    resized (a card's size changed: its links' ends move)
 * to the parts in `to` (PARTS). `nextFrame` defers to the next animation frame (the
 * browser's requestAnimationFrame). Call once, after every part is built.
 */
export function wire({ connection, store, measured, selection, history, canvas, stickies }, to, nextFrame = requestAnimationFrame) {
  connection.addEventListener('frame', (event) => routeFrame(event.detail, to));
  connection.addEventListener('state', (event) => to.status.connection(event.detail));

  store.addEventListener('reset', () => {
    to.flowOverlay.stale();
    to.share.loaded();
    if (!store.me && to.session.me) store.me = to.session.me;
    renderEverything(to, nextFrame);
    to.status.loaded();
    to.fit.fitSoon();
    to.measured.schedule(0); // (re)connected: whatever changed meanwhile
    to.minimap.stale();
  });
  store.addEventListener('change', (event) => routeChange(event.detail, to));
  store.addEventListener('votes', () => to.voting.render());
  store.addEventListener('stream', () => renderEverything(to, nextFrame));
  store.addEventListener('workshop', () => {
    to.facilitation.render();
    to.chrome.renderHint();
    to.chrome.renderPanels();
  });
  store.addEventListener('summary', () => {
    to.flowOverlay.stale();
    to.ladder.render(store.summary);
    to.minimap.stale();
  });

  measured.addEventListener('change', () => {
    to.stickies.refreshKind('activity');
    to.states.render();
    nextFrame(() => { to.links.render(); to.fit.fitContent(); }); // cards may have grown
  });
  selection.addEventListener('change', () => {
    to.stickies.refreshSelection();
    to.links.render();
    to.countermeasures.render();
    to.chrome.renderToolbar();
  });
  history.addEventListener('change', () => to.chrome.renderToolbar());

  canvas.addEventListener('emptyclick', () => { to.links.cancel(); to.selection.clear(); });
  canvas.addEventListener('band', (event) => to.stickies.selectWithin(event.detail));
  canvas.addEventListener('pointer', (event) => to.presence.moved(event.detail));
  canvas.addEventListener('view', () => to.facilitation.sendView());
  canvas.addEventListener('moved', () => to.minimap.schedule());
  stickies.addEventListener('resized', () => { to.links.render(); to.minimap.stale(); });
}
