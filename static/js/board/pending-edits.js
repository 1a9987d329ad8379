// Edits saved while the board is offline (or that lose the connection while saving): the
// form closes instead of waiting on "Saving…", the card shows what was typed with a marker
// "Not sent yet: it will be sent when you are back", and once the server answers the marker
// goes. A refusal is said in words; a conflict (someone else changed the same field since,
// docs/realtime.md) goes to the card's conflict box (conflicts.js).

import { announce, h } from './dom.js';
import { KIND_NAMES } from './labels.js';

/** The object as the card shows it: the store's, with the edits still waiting on top, in
 * the order they were made (pure). */
export function withPending(object, edits = []) {
  if (!object || !edits.length) return object;
  return edits.reduce((shown, edit) => ({ ...shown, ...edit.changes }), object);
}

const keyOf = (kind, id) => `${kind}:${id}`;

export class PendingEdits {
  /** Edits waiting on `connection`; shown through `renderSticky(kind, id)`. */
  constructor({ connection, renderSticky, notify }) {
    Object.assign(this, { connection, renderSticky, notify });
    this.edits = new Map(); // sticky key -> [{changes, sending}]
  }

  /** Resolves with 'queued' once the connection is not up while `sending` still waits (at
   * once if it is down already); never settles otherwise. The sticky form races it against
   * its save, and closes on 'queued'. */
  whenOffline(sending) {
    const connection = this.connection;
    return new Promise((resolve) => {
      if (connection.state !== 'connected') {
        resolve('queued');
        return;
      }
      const listener = (event) => {
        if (event.detail.state !== 'connected') {
          connection.removeEventListener('state', listener);
          resolve('queued');
        }
      };
      connection.addEventListener('state', listener);
      sending.then(() => connection.removeEventListener('state', listener), () => connection.removeEventListener('state', listener));
    });
  }

  /** The edit `changes` of (kind, id), sent as `sending`, waits for the network: show it,
   * and follow it to its answer. `onConflict(rejection)` takes a conflict. */
  track(kind, id, changes, sending, { onConflict } = {}) {
    const key = keyOf(kind, id);
    const edit = { changes, sending };
    this.edits.set(key, [...(this.edits.get(key) || []), edit]);
    this.renderSticky(kind, id);
    const name = KIND_NAMES[kind].toLowerCase();
    announce(`Offline: your edit of this ${name} will be sent when you are back.`);
    const done = () => {
      const left = (this.edits.get(key) || []).filter((other) => other !== edit);
      if (left.length) this.edits.set(key, left);
      else this.edits.delete(key);
      this.renderSticky(kind, id);
    };
    sending.then(done, (rejection) => {
      done();
      const frame = rejection?.frame || rejection || {};
      if (frame.reason === 'conflict' && onConflict) onConflict(rejection);
      else {
        const reason = frame.detail || rejection?.message || 'the server refused it.';
        this.notify(`Your edit of a ${name} was not saved: ${reason}`, 'error');
        announce(`Your edit was not saved: ${reason}`);
      }
    });
  }

  /** The object of (kind, id) as its card shows it. */
  shown(kind, id, object) {
    return withPending(object, this.edits.get(keyOf(kind, id)));
  }

  /** Marks a card whose edit waits to be sent. */
  decorate(element, kind, id) {
    if (!this.edits.has(keyOf(kind, id))) {
      element.classList.remove('edit-pending');
      return;
    }
    element.classList.add('edit-pending');
    element.append(h('p', { class: 'pending-marker' }, 'Not sent yet: it will be sent when you are back.'));
  }
}
