// The board around the map: the root's classes for the person's role, the toolbar (its
// buttons and what they may do now), the hint for what to do next in this phase, and the
// side panels opened for the phase.

import { fill, h } from './dom.js';

export class Chrome {
  /** Draws on `root` for `session`, from `store`, `history` and `selection`; the toolbar's
   * and the hint's buttons call `commands`, `canvas` and `fit`. */
  constructor(root, { store, session, history, selection, stickies, canvas, commands, fit, dotBudget }) {
    Object.assign(this, { root, store, session, history, selection, stickies, canvas, commands, fit, dotBudget });
    this.toolbar = root.querySelector('.toolbar');
    this.emptyHint = root.querySelector('.empty-hint');
    for (const element of [this.toolbar, this.emptyHint]) {
      element.addEventListener('click', (event) => {
        const action = event.target.closest('[data-action]')?.dataset.action;
        if (action) this.run(action);
      });
    }
  }

  run(action) {
    if (action.startsWith('zoom-')) this.fit.stop();
    if (action === 'zoom-in') this.canvas.zoomAt(1.2);
    else if (action === 'zoom-out') this.canvas.zoomAt(1 / 1.2);
    else if (action === 'zoom-reset') this.canvas.reset();
    else if (action === 'zoom-fit') this.fit.fitAll();
    else if (action === 'undo') this.commands.undoRedo('undo');
    else if (action === 'redo') this.commands.undoRedo('redo');
    else if (action === 'delete') this.commands.deleteSelection();
    else if (action.startsWith('add-')) this.commands.add(action.slice(4));
  }

  /** The root's classes for what the person may do: read-only, viewer, is-facilitator. */
  renderRoles() {
    this.root.classList.toggle('read-only', !this.session.canEdit());
    this.root.classList.toggle('viewer', !this.session.serverCanEdit);
    this.root.classList.toggle('is-facilitator', this.session.facilitator);
  }

  renderToolbar() {
    const toolbar = this.toolbar;
    const editable = this.session.canEdit();
    const button = (action) => toolbar.querySelector(`[data-action=${action}]`);
    for (const tool of toolbar.querySelectorAll('.edit-tool')) tool.disabled = !editable;
    if (!button('undo')) return; // viewers have no editing tools
    const undo = this.history.done.at(-1);
    const redo = this.history.undone.at(-1);
    button('undo').disabled = !editable || !this.history.canUndo;
    button('redo').disabled = !editable || !this.history.canRedo;
    button('delete').disabled = !editable || this.selection.size === 0;
    button('undo').title = undo ? `Undo ${undo.label} (Ctrl+Z)` : 'Nothing to undo';
    button('redo').title = redo ? `Redo ${redo.label} (Ctrl+Shift+Z)` : 'Nothing to redo';
  }

  /** What to do next, when the map or the phase asks for something. */
  renderHint() {
    const store = this.store;
    if (!store.loaded) return;
    const phase = store.workshop?.phase;
    const editable = this.session.canEdit();
    let message = null;
    let action = null;
    if (!store.list('activity').length) {
      message = editable ? 'What starts this value stream? Add the first activity, then the next one to its right.' : 'No activities yet: the team is about to map the stream.';
      action = editable ? ['add-activity', 'Add the first activity'] : null;
    } else if ((phase === 'wastes' || phase === 'conversation') && !store.list('waste').length) {
      message = 'Where does work wait, bounce back or get stuck? Select an activity and add a waste under it.';
      action = editable ? ['add-waste', 'Add a waste'] : null;
    } else if (phase === 'prioritize' && this.session.canVote() && store.list('waste').length && !store.myVotes().length) {
      message = `Put your ${this.dotBudget} dots on the wastes that hurt most: “+ dot” on a waste (or focus it and press V).`;
    } else if (phase === 'countermeasures' && store.list('waste').length && !store.list('countermeasure').length) {
      message = 'Take the most annoying waste and press “Add countermeasure” on it: current condition, future condition, how we will measure it.';
    }
    const emptyHint = this.emptyHint;
    emptyHint.hidden = !message;
    emptyHint.classList.toggle('centered', this.stickies.elements.size === 0);
    if (message) fill(emptyHint, h('p', {}, message), action ? h('button', { type: 'button', class: 'primary', dataset: { action: action[0] } }, action[1]) : null);
  }

  /** Opens the side panels of the phase when it changes (the person may close them). */
  renderPanels() {
    const phase = this.store.workshop?.phase;
    const open = {
      'panel-voting': ['wastes', 'prioritize'].includes(phase),
      'panel-steps': ['countermeasures', 'baby_steps'].includes(phase),
      'panel-repeat': phase === 'repeat',
    };
    for (const [name, isOpen] of Object.entries(open)) {
      const panel = this.root.querySelector(`.${name}`);
      if (panel && panel.dataset.phase !== phase) { panel.open = isOpen; panel.dataset.phase = phase || ''; }
    }
    this.root.querySelector('.panel-repeat').hidden = phase !== 'repeat';
  }
}
