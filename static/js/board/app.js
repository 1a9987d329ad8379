// The board app's composition root: reads the page, builds the parts (each owns its own DOM
// and gets what it uses as constructor arguments), hands them to the switchboard
// (dispatch.js: which part hears of which frame and change) and starts the socket.

import { api, setCsrfToken } from './api.js';
import { Canvas } from './canvas.js';
import { Chrome } from './chrome.js';
import { Clipboard } from './clipboard.js';
import { Commands, performer } from './commands.js';
import { Conflicts } from './conflicts.js';
import { Connection } from './connection.js';
import { Countermeasures } from './countermeasures.js';
import { wire } from './dispatch.js';
import { Exports } from './exports.js';
import { Facilitation } from './facilitation.js';
import { Fit } from './fit.js';
import { FlowOverlay } from './flow-overlay.js';
import { History } from './history.js';
import { listenToKeys } from './keyboard.js';
import { Ladder } from './ladder.js';
import { LeaveGuard } from './leave-guard.js';
import { Links } from './links.js';
import { MeasuredFlow } from './measured.js';
import { Minimap } from './minimap.js';
import { PendingEdits } from './pending-edits.js';
import { Presence } from './presence.js';
import { Selection } from './selection.js';
import { Session } from './session.js';
import { Share } from './share.js';
import { TrackerStates } from './states.js';
import { Status } from './status.js';
import { Stickies } from './stickies.js';
import { BoardStore } from './store.js';
import { setHoursPerDay } from './units.js';
import { Voting } from './voting.js';

/** Starts the board in `root` (the page's `.board` element, its data attributes the config);
 * returns the parts the console and the end-to-end tests reach (window.boardApp). */
export function boot(root) {
  const data = root.dataset;
  const phasesElement = document.getElementById('board-phases');
  const streamId = Number(data.stream);
  const dotBudget = Number(data.dotBudget) || 5;
  const phases = phasesElement ? JSON.parse(phasesElement.textContent) : [];
  setHoursPerDay(data.hoursPerDay);
  setCsrfToken(data.csrf);

  // What every part may be given: the board's state and its ways out.
  const store = new BoardStore();
  const session = new Session({ store, role: data.role, serverCanEdit: data.canEdit === 'true' });
  const selection = new Selection();
  const connection = new Connection({ streamId });
  const history = new History({ connection, store });
  const measured = new MeasuredFlow({ streamId });
  const status = new Status(root);
  const notify = (message, kind) => status.notify(message, kind);
  const perform = performer({ history, connection, notify });
  const viewport = root.querySelector('.board-viewport');
  const focusCanvas = () => viewport.focus({ preventScroll: true });
  const canvas = new Canvas(viewport, root.querySelector('.board-world'));

  // The stickies and what draws on them. The parts built before the stickies redraw a card
  // through these callbacks, and the stickies' buttons reach the parts built after them.
  const renderSticky = (kind, id) => stickies.render(kind, id);
  const presence = new Presence({ avatars: root.querySelector('.avatars'), cursors: root.querySelector('.board-cursors'), session, connection, renderSticky });
  const pendingEdits = new PendingEdits({ connection, renderSticky, notify });
  const conflicts = new Conflicts({ store, history, renderSticky, focusSticky: (kind, id) => stickies.focus(kind, id), notify });
  const flowOverlay = new FlowOverlay({ store, renderActivity: (id) => stickies.render('activity', id), renderLinks: () => links.render() });
  const stickies = new Stickies(root.querySelector('.board-layer.stickies'), {
    store, selection, session, canvas, connection, history, measured, presence, pendingEdits, conflicts, flowOverlay, notify, focusCanvas,
    actions: {
      startLink: (id) => links.start(id),
      finishLink: (id) => links.finish(id),
      linkingFrom: () => links.active,
      dragLinks: (positions) => links.renderLive(positions),
      vote: (wasteId, delta) => voting.vote(wasteId, delta),
      addCountermeasure: (wasteId) => countermeasures.addFor(wasteId),
      move: (dx, dy, origins) => commands.moveSelection(dx, dy, origins),
    },
  });
  const links = new Links(root.querySelector('.board-links'), root.querySelector('.link-banner'), { root, store, selection, session, stickies, canvas, perform, notify });
  root.querySelector('.link-banner button').addEventListener('click', () => links.cancel());

  // The panels.
  const facilitation = new Facilitation(root.querySelector('.facilitation'), { root, store, session, canvas, connection, phases, notify });
  const voting = new Voting(root.querySelector('.panel-voting'), { root, store, session, perform, notify, dotBudget });
  const countermeasures = new Countermeasures(root.querySelector('.panel-steps'), { store, selection, session, stickies, perform });
  const states = new TrackerStates(root.querySelector('.panel-states'), { root, store, session, measured, perform });
  const ladder = new Ladder(root.querySelector('.ladder'));
  new Exports(root.querySelector('.panel-export'), { store });
  const share = new Share({ root, store, session, workshopUrl: data.workshopUrl });
  new LeaveGuard({ root, stickies, connection });

  // The board as a whole: commands, keys, the toolbar and hints, keeping the map in view.
  const clipboard = new Clipboard({ store, selection, session, canvas, stickies, perform, notify });
  const commands = new Commands({ store, selection, session, history, connection, canvas, stickies, links, perform, notify, focusCanvas });
  const fit = new Fit(viewport, { canvas, stickies, links });
  const chrome = new Chrome(root, { store, session, history, selection, stickies, canvas, commands, fit, dotBudget });
  listenToKeys(root, { session, selection, canvas, links, clipboard, commands });
  const minimap = new Minimap(viewport, { store, stickies, canvas, fitAll: () => { fit.stop(); fit.fitAll(); } });

  wire({ connection, store, measured, selection, history, canvas, stickies }, {
    session, store, status, presence, facilitation, measured, stickies, links, voting, countermeasures, states, ladder,
    flowOverlay, minimap, share, chrome, fit, selection,
  });

  api('GET', `/api/streams/${streamId}/summary/`).then((summary) => {
    // As a frame: whatever draws the summary (the ladder, the critical path) hears of it.
    if (!store.summary) store.apply({ type: 'summary', summary });
  }).catch(() => ladder.render(null));
  connection.start();
  const app = { store, session, connection, canvas, selection, history, stickies, links };
  window.boardApp = app; // for the console and end-to-end tests
  return app;
}
