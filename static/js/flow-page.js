// The Flow page: listens on the workshop's flow socket, swaps in the server-rendered body
// when the measured flow changes (an import merged, the mapping or the type rules edited),
// and wires the upload form and the state-mapping editor. The server renders every figure
// and chart, so this stays small; user text only ever goes in as textContent.
import { setupUpload } from './flow/upload.js';
import { setupMapping } from './flow/state-mapping.js';
import { setupConnections } from './flow/connections.js';

const page = document.getElementById('flow-page');
const workshopId = page.dataset.workshop;
const csrfToken = page.dataset.csrf;
const liveState = document.getElementById('live-state');
const activity = document.getElementById('import-activity');

function setLive(text, css) {
  liveState.textContent = text;
  liveState.className = `live-state ${css}`;
}

// Refresh ---------------------------------------------------------------------------------

let refreshing = null;
let refreshAgain = false;
const swapListeners = [];

function partialUrl() {
  const params = new URLSearchParams(location.search);
  params.set('partial', '1');
  return `${location.pathname}?${params}`;
}

// Which control had the focus, so the same control of the fresh body gets it back.
function focusKey() {
  const active = document.activeElement;
  return active && active.closest('#flow-body') ? active.dataset.focus || null : null;
}

function restoreFocus(key) {
  if (!key) return;
  const target = document.querySelector(`#flow-body [data-focus="${CSS.escape(key)}"]`);
  if (target && !target.disabled) { target.focus(); return; }
  // A Move up button at the top is disabled: fall back to the state's flow-state select.
  const stateId = key.split('-').pop();
  document.querySelector(`#flow-body [data-focus="select-${CSS.escape(stateId)}"]`)?.focus();
}

async function swapBody() {
  const body = document.getElementById('flow-body');
  body.setAttribute('aria-busy', 'true');
  try {
    const response = await fetch(partialUrl(), { credentials: 'same-origin' });
    // An invalid window answers 400 with the default window's body: still a body to show.
    if (!response.ok && response.status !== 400) throw new Error(String(response.status));
    const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
    const fresh = doc.getElementById('flow-body');
    if (!fresh) throw new Error('no body');
    const key = focusKey();
    const open = new Set([...body.querySelectorAll('details[open][id]')].map((el) => el.id));
    const node = document.importNode(fresh, true);
    for (const id of open) node.querySelector(`details#${CSS.escape(id)}`)?.setAttribute('open', '');
    body.replaceWith(node);
    for (const listener of swapListeners) listener(node);
    restoreFocus(key); // after the listeners: they enable the editor's controls
    return true;
  } catch (error) {
    setLive('Live updates: could not refresh the figures, retrying…', 'offline');
    setTimeout(refresh, 3000);
    return false;
  } finally {
    body.removeAttribute('aria-busy');
  }
}

// One refresh at a time; a request during one runs once more after it.
export function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    let result;
    do {
      refreshAgain = false;
      result = await swapBody();
    } while (refreshAgain);
    refreshing = null;
    return result;
  })();
  return refreshing;
}

// Imports of anyone (another facilitator's too) ---------------------------------------------

function showActivity(record) {
  if (record.status === 'pending' || record.status === 'running') {
    activity.hidden = false;
    activity.textContent = `Importing ${record.filename || 'a file'}: ${Math.round((record.progress || 0) * 100)}%…`;
  } else {
    activity.hidden = true;
    activity.textContent = '';
  }
}

// Socket ----------------------------------------------------------------------------------

let delay = 500;
let connectedBefore = false;

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new WebSocket(`${scheme}://${location.host}/ws/workshops/${workshopId}/flow/`);
  let closedByServer = false;
  socket.addEventListener('message', (event) => {
    let data;
    try { data = JSON.parse(event.data); } catch { return; }
    for (const frame of Array.isArray(data) ? data : [data]) {
      if (frame?.type === 'welcome') {
        delay = 500;
        setLive('Live updates: on', 'online');
        // Whatever changed while this page was disconnected, it shows it now.
        if (connectedBefore) refresh();
        connectedBefore = true;
      } else if (frame?.type === 'import.progress' && frame.import) {
        showActivity(frame.import);
        upload?.onRecord(frame.import);
      } else if (frame?.type === 'sync.progress' && frame.sync) {
        connections?.onSync(frame.sync);
      } else if (frame?.type === 'flow.changed') {
        refresh();
      }
    }
  });
  socket.addEventListener('close', (event) => {
    if (event.code === 4401 || event.code === 4404) {
      closedByServer = true;
      setLive('Live updates: off (sign in again to follow changes)', 'offline');
      return;
    }
    if (closedByServer) return;
    setLive('Live updates: offline, reconnecting…', 'offline');
    delay = Math.min(delay * 2, 15000);
    setTimeout(connect, delay / 2 + Math.random() * delay / 2);
  });
}

// Wiring ----------------------------------------------------------------------------------

const form = document.getElementById('import-form');
const upload = form
  ? setupUpload({
    form,
    csrfToken,
    detailUrl: (id) => page.dataset.importDetailUrl.replace(/\/1\/$/, `/${id}/`),
    panel: document.getElementById('import-panel'),
    progress: document.getElementById('import-progress'),
    bar: document.getElementById('import-bar'),
    phase: document.getElementById('import-phase'),
    percent: document.getElementById('import-percent'),
    result: document.getElementById('import-result'),
    onFinished: (record) => { showActivity(record); return refresh(); },
  })
  : null;

const connectionsPanel = document.getElementById('connections-panel');
const connections = connectionsPanel ? setupConnections({ panel: connectionsPanel, csrfToken }) : null;

if (page.dataset.canEdit === 'true') {
  const mapping = setupMapping({
    container: page,
    url: page.dataset.statesUrl,
    csrfToken,
    refresh,
  });
  swapListeners.push(() => mapping.afterSwap());
}

// The map whose activities the state mapping shows: without a reload, and remembered in the
// address (the body is fetched again with it) and in the window picker.
page.addEventListener('submit', (event) => {
  const form = event.target.closest('#map-picker');
  if (!form) return;
  event.preventDefault();
  const map = form.querySelector('select[name=map]').value;
  const params = new URLSearchParams(location.search);
  params.set('map', map);
  history.replaceState(null, '', `${location.pathname}?${params}${location.hash}`);
  let hidden = document.querySelector('.window-picker input[name=map]');
  if (!hidden) {
    hidden = Object.assign(document.createElement('input'), { type: 'hidden', name: 'map' });
    document.querySelector('.window-picker .window-fields')?.append(hidden);
  }
  hidden.value = map;
  refresh();
});

window.addEventListener('online', () => refresh());
connect();
