// Live flow summary: listens on the board's socket for `summary` and `measured.changed`
// frames and swaps in the freshly rendered body. The server renders every chart (SVG), so
// this stays small.
const script = document.currentScript || document.querySelector('script[data-stream]');
const streamId = script.dataset.stream;
// Start from the page's seq, so the socket replays nothing older than what was rendered.
let since = Number(script.dataset.since || 0);
const state = document.getElementById('live-state');
let delay = 500;

function setState(text, css) {
  state.textContent = text;
  state.className = `live-state ${css}`;
}

// One fetch at a time: frames that arrive during a fetch ask for one more afterwards.
let fetching = false;
let again = false;

async function refresh() {
  if (fetching) { again = true; return; }
  fetching = true;
  const body = document.getElementById('summary-body');
  body.setAttribute('aria-busy', 'true');
  try {
    // The page's own query (the measured figures' window) and partial=1: only the body.
    const url = new URL(location.href);
    url.hash = '';
    url.searchParams.set('partial', '1');
    const response = await fetch(url, { credentials: 'same-origin' });
    if (!response.ok) throw new Error(String(response.status));
    const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
    const fresh = doc.getElementById('summary-body');
    if (fresh) swap(body, document.importNode(fresh, true));
  } catch (error) {
    setState('Live updates: could not refresh, retrying…', 'offline');
    setTimeout(refresh, 2000);
  } finally {
    body.removeAttribute('aria-busy');
    fetching = false;
    if (again) { again = false; refresh(); }
  }
}

// Swaps in the fresh body without taking away what the reader is doing: a date being typed
// into the window picker keeps its value, and the focused control keeps the focus.
function swap(body, fresh) {
  const focused = body.contains(document.activeElement) ? document.activeElement.id : '';
  for (const field of body.querySelectorAll('input[id], select[id]')) {
    const twin = fresh.querySelector(`#${CSS.escape(field.id)}`);
    if (twin && field.type !== 'hidden' && field.value !== field.defaultValue) twin.value = field.value;
  }
  body.replaceWith(fresh);
  if (focused) document.getElementById(focused)?.focus();
}

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new WebSocket(`${scheme}://${location.host}/ws/streams/${streamId}/?since=${since}`);
  socket.addEventListener('open', () => {
    delay = 500;
    setState('Live updates: on', 'online');
  });
  socket.addEventListener('message', (event) => {
    let data;
    try { data = JSON.parse(event.data); } catch { return; }
    // A message is one frame, or an array of frames that were queued together.
    for (const frame of Array.isArray(data) ? data : [data]) {
      if (typeof frame?.seq === 'number') since = Math.max(since, frame.seq);
      // The figures changed: the map (`summary`) or the measured flow of the workshop's work
      // items (`measured.changed`: an import, a state's flow state, the type rules).
      if (frame?.type === 'summary' || frame?.type === 'measured.changed') refresh();
      // A summary pushed after this page was rendered but before the socket joined the board
      // never reaches it: once joined, a page that shows a stale summary fetches it again.
      else if (frame?.type === 'synced' && document.getElementById('summary-body')?.dataset.stale === 'true') refresh();
    }
  });
  socket.addEventListener('close', () => {
    setState('Live updates: reconnecting…', 'offline');
    delay = Math.min(delay * 2, 15000);
    setTimeout(connect, delay / 2 + Math.random() * delay / 2);
  });
}

connect();
