// The live board page: activities and free notes as positioned sticky notes, kept current
// from the board socket. Create a note, drag (or arrow-key) a sticky to move it; others'
// changes, presence and cursors appear live. All user text goes in with textContent.
import { BoardSocket } from './board-socket.js';

const root = document.getElementById('board');
const canvas = document.getElementById('board-canvas');
const stateLabel = document.getElementById('connection-state');
const presenceList = document.getElementById('presence');
const form = document.getElementById('note-form');
const message = document.getElementById('board-message');
const canEdit = root.dataset.canEdit === 'true';
const socket = new BoardSocket(root.dataset.wsPath);

const SHOWN = { activity: 'activities', note: 'notes' };
const objects = new Map(); // "kind:id" -> {kind, data}
const moving = new Map(); // "kind:id" -> {x, y} shown while our move is pending
const people = new Map(); // conn -> {user, editing}
const cursors = new Map(); // conn -> element

const keyOf = (kind, id) => `${kind}:${id}`;

function say(text) {
  message.textContent = text;
}

// Rendering -----------------------------------------------------------------------------

function stickyFor(kind, id) {
  const key = keyOf(kind, id);
  let element = canvas.querySelector(`[data-key="${key}"]`);
  if (!element) {
    element = document.createElement('div');
    element.className = `sticky board-${kind}`;
    element.dataset.key = key;
    element.dataset.kind = kind;
    element.dataset.id = String(id);
    element.tabIndex = 0;
    element.setAttribute('role', 'group');
    canvas.append(element);
  }
  return element;
}

function render(kind, id) {
  const key = keyOf(kind, id);
  const entry = objects.get(key);
  if (!entry) {
    canvas.querySelector(`[data-key="${key}"]`)?.remove();
    return;
  }
  const element = stickyFor(kind, id);
  const { data } = entry;
  const position = moving.get(key) ?? data;
  const text = kind === 'activity' ? data.title : data.text;
  element.textContent = text;
  element.setAttribute('aria-label', `${kind === 'activity' ? 'Activity' : 'Note'}: ${text}`);
  element.style.left = `${position.x}px`;
  element.style.top = `${position.y}px`;
  element.dataset.x = String(position.x);
  element.dataset.y = String(position.y);
  if (data.color) element.style.background = data.color;
  const editor = [...people.values()].find(
    (person) => person.editing?.kind === kind && person.editing?.id === id,
  );
  element.classList.toggle('being-edited', Boolean(editor));
  element.title = editor ? `${editor.user.name} is moving this` : '';
}

function renderAll() {
  for (const element of canvas.querySelectorAll('.sticky')) element.remove();
  for (const { kind, data } of objects.values()) render(kind, data.id);
}

function renderPresence() {
  presenceList.replaceChildren(
    ...[...people.values()].map((person) => {
      const item = document.createElement('li');
      item.textContent = person.user.name;
      return item;
    }),
  );
}

function renderState({ state, pending }) {
  const changes = `${pending} pending change${pending === 1 ? '' : 's'}`;
  const text = {
    connecting: 'Connecting…',
    connected: pending ? `Connected · saving ${changes}` : 'Connected',
    reconnecting: `Reconnecting… ${changes}`,
    offline: `Offline · ${changes}`,
    closed: 'Disconnected: reload the page or sign in again',
  }[state];
  stateLabel.textContent = text;
  stateLabel.dataset.state = state;
  root.setAttribute('aria-busy', state === 'connected' ? 'false' : 'true');
}

// Frames ---------------------------------------------------------------------------------

socket.addEventListener('snapshot', ({ detail: snapshot }) => {
  objects.clear();
  for (const [kind, plural] of Object.entries(SHOWN)) {
    for (const data of snapshot[plural]) objects.set(keyOf(kind, data.id), { kind, data });
  }
  renderAll();
});

socket.addEventListener('applied', ({ detail: frame }) => {
  if (frame.hidden) return;
  const [kind, action] = frame.op.split('.');
  if (!(kind in SHOWN)) return;
  const key = keyOf(kind, frame.data.id);
  if (action === 'delete') objects.delete(key);
  else objects.set(key, { kind, data: frame.data });
  render(kind, frame.data.id);
});

socket.addEventListener('rejected', ({ detail: frame }) => say(`Not saved: ${frame.detail}`));
socket.addEventListener('state', ({ detail }) => renderState(detail));

socket.addEventListener('presence', ({ detail: frame }) => {
  if (frame.action === 'join') {
    people.set(frame.conn, { user: frame.user, editing: frame.editing });
  } else if (frame.action === 'leave') {
    people.delete(frame.conn);
    cursors.get(frame.conn)?.remove();
    cursors.delete(frame.conn);
  } else if (frame.action === 'editing' && people.has(frame.conn)) {
    const previous = people.get(frame.conn).editing;
    people.get(frame.conn).editing = frame.target;
    for (const target of [previous, frame.target]) if (target) render(target.kind, target.id);
  } else if (frame.action === 'cursor') {
    let pointer = cursors.get(frame.conn);
    if (!pointer) {
      pointer = document.createElement('span');
      pointer.className = 'cursor';
      pointer.setAttribute('aria-hidden', 'true');
      pointer.textContent = frame.user.name;
      canvas.append(pointer);
      cursors.set(frame.conn, pointer);
    }
    pointer.style.left = `${frame.x}px`;
    pointer.style.top = `${frame.y}px`;
  }
  renderPresence();
});

// Editing --------------------------------------------------------------------------------

async function move(kind, id, x, y) {
  const key = keyOf(kind, id);
  moving.set(key, { x, y });
  render(kind, id);
  try {
    await socket.op(`${kind}.move`, { id, x, y });
  } catch (error) {
    say(`Not moved: ${error.message}`);
  } finally {
    moving.delete(key);
    render(kind, id);
  }
}

if (canEdit) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = form.elements.text;
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    const count = [...objects.values()].filter((entry) => entry.kind === 'note').length;
    const spot = { x: canvas.scrollLeft + 40 + ((count * 30) % 300), y: canvas.scrollTop + 40 + ((count * 24) % 240) };
    try {
      await socket.op('note.create', { text, ...spot });
      say('');
    } catch (error) {
      say(`Not added: ${error.message}`);
    }
  });

  let drag = null;
  canvas.addEventListener('pointerdown', (event) => {
    const element = event.target.closest('.sticky');
    if (!element || event.button !== 0) return;
    drag = {
      element,
      kind: element.dataset.kind,
      id: Number(element.dataset.id),
      dx: event.clientX - element.offsetLeft,
      dy: event.clientY - element.offsetTop,
      moved: false,
    };
    element.setPointerCapture(event.pointerId);
    socket.editing({ kind: drag.kind, id: drag.id });
  });
  canvas.addEventListener('pointermove', (event) => {
    const box = canvas.getBoundingClientRect();
    socket.cursor(event.clientX - box.left + canvas.scrollLeft, event.clientY - box.top + canvas.scrollTop);
    if (!drag) return;
    drag.moved = true;
    drag.element.style.left = `${Math.max(0, event.clientX - drag.dx)}px`;
    drag.element.style.top = `${Math.max(0, event.clientY - drag.dy)}px`;
  });
  const drop = () => {
    if (!drag) return;
    const { kind, id, element, moved } = drag;
    drag = null;
    socket.editing(null);
    if (moved) move(kind, id, parseFloat(element.style.left), parseFloat(element.style.top));
  };
  canvas.addEventListener('pointerup', drop);
  canvas.addEventListener('pointercancel', drop);

  canvas.addEventListener('keydown', (event) => {
    const element = event.target.closest('.sticky');
    const step = { ArrowLeft: [-10, 0], ArrowRight: [10, 0], ArrowUp: [0, -10], ArrowDown: [0, 10] }[event.key];
    if (!element || !step) return;
    event.preventDefault();
    const x = Math.max(0, Number(element.dataset.x) + step[0]);
    const y = Math.max(0, Number(element.dataset.y) + step[1]);
    move(element.dataset.kind, Number(element.dataset.id), x, y);
  });
} else {
  form?.remove();
}

socket.start();
