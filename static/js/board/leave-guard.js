// Warns before the page is left (a reload, closing the tab, following a link) while
// something would be lost: a sticky form with typed text not saved yet, or changes the
// server has not confirmed (offline, or still on their way). The browser shows its own
// "Leave site?" question; the words are its own.

/** Whether leaving now loses something (pure): an open form the person typed in, or
 * changes not confirmed by the server. */
export function wouldLoseWork({ formTyped = false, pending = 0 } = {}) {
  return Boolean(formTyped) || pending > 0;
}

export class LeaveGuard {
  /** Watches typing in `root`'s sticky forms (`stickies.editing`) and `connection`'s pending ops. */
  constructor({ root, stickies, connection }) {
    this.stickies = stickies;
    this.connection = connection;
    this.typed = new WeakSet(); // sticky forms the person typed in
    const mark = (event) => {
      const form = event.target.closest?.('.sticky-form');
      if (form) this.typed.add(form);
    };
    root.addEventListener('input', mark);
    root.addEventListener('change', mark);
    window.addEventListener('beforeunload', (event) => {
      if (!this.wouldLoseWork()) return;
      event.preventDefault();
      event.returnValue = ''; // older browsers ask only when this is set
    });
  }

  wouldLoseWork() {
    const form = this.stickies.editing?.form;
    const formTyped = Boolean(form && form.isConnected && this.typed.has(form) && !this.stickies.editing.saving);
    return wouldLoseWork({ formTyped, pending: this.connection.pending });
  }
}
