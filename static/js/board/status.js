// What the person should know about the connection and their changes: loading, connected,
// saving, reconnecting, offline with N pending; and short messages (toasts).

import { h } from './dom.js';

export class Status {
  constructor(root) {
    this.root = root;
    this.pill = root.querySelector('.connection');
    this.text = root.querySelector('.connection-text');
    this.toasts = root.querySelector('.toasts');
    this.loading = root.querySelector('.loading');
  }

  connection({ state, pending, code }) {
    const text = connectionText(state, pending, code);
    this.pill.dataset.state = state === 'connected' && pending ? 'saving' : state;
    // The live region speaks only when the words change (a count going up while typing
    // offline is said once per change, not once per frame).
    if (this.text.textContent !== text) this.text.textContent = text;
    this.root.dataset.connection = state;
  }

  loaded() {
    this.loading.hidden = true;
    this.root.removeAttribute('aria-busy');
  }

  notify(message, kind = 'info') {
    const toast = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : null }, message);
    this.toasts.append(toast);
    window.setTimeout(() => toast.remove(), kind === 'error' ? 6000 : 3000);
  }
}

/** Why the server closed the board for good, by close code (docs/realtime.md). */
const CLOSED_BECAUSE = {
  4401: 'Disconnected: sign in again',
  4404: 'Disconnected: the board is gone, or you are no longer in its workshop',
  4429: 'Disconnected: open in too many of your tabs — reload to use this one',
};

/** What the connection pill says: the state, and what happens to the person's changes;
 * for a board the server closed for good (`closed`), why, by the close `code`. */
export function connectionText(state, pending = 0, code = null) {
  const changes = `${pending} ${pending === 1 ? 'change' : 'changes'}`;
  if (state === 'connected') return pending ? `Saving ${changes}…` : 'Connected';
  if (state === 'reconnecting') return pending ? `Reconnecting… ${changes} waiting` : 'Reconnecting…';
  if (state === 'offline') {
    return pending
      ? `Offline — ${changes} will be sent when you are back`
      : 'Offline — changes you make will be sent when you are back';
  }
  if (state === 'closed') return CLOSED_BECAUSE[code] ?? CLOSED_BECAUSE[4401];
  return 'Connecting…';
}
