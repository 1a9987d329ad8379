// Who is on the board: avatars, live cursors with names, and who is editing which sticky.
// Ephemeral, from `presence` frames; our own cursor goes out at most 20 times a second.

import { fill, h } from './dom.js';

const CURSOR_INTERVAL = 50;

export function colourFor(userId) {
  const hue = (Number(userId) * 137.508) % 360;
  return `hsl(${hue.toFixed(0)} 65% 42%)`;
}

function initials(name) {
  const parts = String(name || '?').trim().split(/[\s._-]+/).filter(Boolean);
  return (parts.length > 1 ? parts[0][0] + parts[1][0] : String(name || '?').slice(0, 2)).toUpperCase();
}

export class Presence {
  /** Draws the people into `avatars` and their cursors into `cursors`; sends the person's
   * cursor on `connection`, redraws an edited sticky through `renderSticky(kind, id)`. */
  constructor({ avatars, cursors, session, connection, renderSticky }) {
    this.session = session;
    this.connection = connection;
    this.renderSticky = renderSticky;
    this.avatars = avatars;
    this.cursors = cursors;
    this.people = new Map(); // conn -> {user, role, editing, cursor element}
    this.lastSent = 0;
    this.timer = null;
    this.me = null;
  }

  welcome(frame) {
    this.me = frame.user;
    for (const conn of [...this.people.keys()]) this.#leave(conn);
    this.renderAvatars();
  }

  receive(frame) {
    const { action, conn } = frame;
    if (action === 'join') {
      const person = this.people.get(conn) || {};
      this.people.set(conn, { ...person, user: frame.user, role: frame.role, editing: frame.editing || null });
      this.renderAvatars();
      if (frame.editing) this.#refreshSticky(frame.editing);
    } else if (action === 'leave') this.#leave(conn);
    else if (action === 'cursors') for (const cursor of frame.cursors || []) this.#cursor(cursor.conn, cursor);
    else if (action === 'editing') {
      const person = this.people.get(conn) || { user: frame.user };
      const before = person.editing;
      person.editing = frame.target || null;
      this.people.set(conn, person);
      if (before) this.#refreshSticky(before);
      if (person.editing) this.#refreshSticky(person.editing);
    }
  }

  editorsOf(kind, id) {
    const names = [];
    for (const person of this.people.values()) {
      if (person.editing?.kind === kind && person.editing?.id === id) names.push(person.user?.name || 'Someone');
    }
    return names;
  }

  /** Our pointer moved to world point {x, y}: tell the others (coalesced). */
  moved(point) {
    this.pending = point;
    const now = performance.now();
    if (now - this.lastSent >= CURSOR_INTERVAL) this.#sendCursor();
    else if (!this.timer) this.timer = window.setTimeout(() => this.#sendCursor(), CURSOR_INTERVAL - (now - this.lastSent));
  }

  #sendCursor() {
    window.clearTimeout(this.timer);
    this.timer = null;
    this.lastSent = performance.now();
    const { x, y } = this.pending;
    if (Number.isFinite(x) && Number.isFinite(y)) this.connection.send({ type: 'cursor', x: Math.round(x), y: Math.round(y) });
  }

  #cursor(conn, frame) {
    const person = this.people.get(conn) || { user: frame.user };
    this.people.set(conn, person);
    if (!person.cursor) {
      person.cursor = h('div', { class: 'remote-cursor', 'aria-hidden': 'true' },
        h('span', { class: 'cursor-arrow' }), h('span', { class: 'cursor-name' }, frame.user?.name || 'Someone'));
      person.cursor.style.setProperty('--who', colourFor(frame.user?.id));
      this.cursors.append(person.cursor);
    }
    person.cursor.style.transform = `translate(${frame.x}px, ${frame.y}px)`;
  }

  #leave(conn) {
    const person = this.people.get(conn);
    if (!person) return;
    person.cursor?.remove();
    this.people.delete(conn);
    if (person.editing) this.#refreshSticky(person.editing);
    this.renderAvatars();
  }

  #refreshSticky(target) {
    this.renderSticky(target.kind, target.id);
  }

  renderAvatars() {
    const byUser = new Map();
    if (this.me) byUser.set(this.me.id, { user: this.me, role: this.session.role, me: true });
    for (const person of this.people.values()) if (person.user && !byUser.has(person.user.id)) byUser.set(person.user.id, person);
    const people = [...byUser.values()];
    fill(this.avatars, ...people.map((person) => {
      const label = `${person.user.name}${person.me ? ' (you)' : ''}${person.role ? `, ${person.role}` : ''}`;
      const avatar = h('li', { class: `avatar${person.me ? ' me' : ''}`, title: label },
        h('span', { 'aria-hidden': 'true' }, initials(person.user.name)), h('span', { class: 'visually-hidden' }, label));
      avatar.style.setProperty('--who', colourFor(person.user.id));
      return avatar;
    }));
    this.avatars.setAttribute('aria-label', `${people.length} ${people.length === 1 ? 'person' : 'people'} on the board`);
  }
}
