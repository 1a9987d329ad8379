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
    const changes = `${pending} ${pending === 1 ? 'change' : 'changes'}`;
    let text;
    let css = state;
    if (state === 'connected') {
      text = pending ? `Saving ${changes}…` : 'Connected';
      if (pending) css = 'saving';
    } else if (state === 'reconnecting') text = pending ? `Reconnecting… ${changes} waiting` : 'Reconnecting…';
    else if (state === 'offline') text = pending ? `Offline · ${changes} not saved yet` : 'Offline';
    else if (state === 'closed') text = 'Disconnected: sign in again';
    else text = 'Connecting…';
    this.pill.dataset.state = css;
    this.text.textContent = text;
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
