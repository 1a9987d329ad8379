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

  connection({ state, pending }) {
    const text = connectionText(state, pending);
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

/** What the connection pill says: the state, and what happens to the person's changes. */
export function connectionText(state, pending = 0) {
  const changes = `${pending} ${pending === 1 ? 'change' : 'changes'}`;
  if (state === 'connected') return pending ? `Saving ${changes}…` : 'Connected';
  if (state === 'reconnecting') return pending ? `Reconnecting… ${changes} waiting` : 'Reconnecting…';
  if (state === 'offline') {
    return pending
      ? `Offline — ${changes} will be sent when you are back`
      : 'Offline — changes you make will be sent when you are back';
  }
  if (state === 'closed') return 'Disconnected: sign in again';
  return 'Connecting…';
}
