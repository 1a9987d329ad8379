// The board's keys (the side panel lists them): undo and redo, copy, paste and duplicate,
// zoom, Escape, Delete, and the arrows (move the selection, or pan). Keys typed into a form
// are the form's; the browser's and the system's shortcuts are left alone.

const NUDGE = 10;
const NUDGE_FAST = 50;

/** Answers the keys pressed anywhere in `root`. */
export function listenToKeys(root, { session, selection, canvas, links, clipboard, commands }) {
  root.addEventListener('keydown', (event) => {
    const typing = event.target.closest('input, textarea, select, [contenteditable]');
    if (typing) return;
    const mod = event.ctrlKey || event.metaKey;
    const letter = event.key.length === 1 ? event.key.toLowerCase() : '';
    if (mod && letter === 'z') {
      event.preventDefault();
      commands.undoRedo(event.shiftKey ? 'redo' : 'undo');
    } else if (mod && letter === 'y') {
      event.preventDefault();
      commands.undoRedo('redo');
    } else if (mod && !event.shiftKey && !event.altKey && letter === 'c') {
      // Text the person selected on the page is theirs to copy; otherwise the stickies.
      if (String(window.getSelection?.() ?? '')) return;
      if (clipboard.copy()) event.preventDefault();
    } else if (mod && !event.shiftKey && !event.altKey && letter === 'v') {
      event.preventDefault();
      clipboard.paste();
    } else if (mod && !event.shiftKey && !event.altKey && letter === 'd') {
      event.preventDefault(); // not the browser's bookmark dialog
      clipboard.duplicate();
    } else if (mod || event.altKey) {
      return; // the browser's (and the system's) shortcuts
    } else if (event.key === '+' || event.key === '=') {
      event.preventDefault();
      canvas.zoomAt(1.2);
    } else if (event.key === '-' || event.key === '_') {
      event.preventDefault();
      canvas.zoomAt(1 / 1.2);
    } else if (event.key === '0') {
      event.preventDefault();
      canvas.reset();
    } else if (event.key === 'Escape') {
      if (links.active !== null) links.cancel();
      else selection.clear();
    } else if ((event.key === 'Delete' || event.key === 'Backspace') && selection.size) {
      event.preventDefault();
      commands.deleteSelection();
    } else if (event.key.startsWith('Arrow')) {
      const step = event.shiftKey ? NUDGE_FAST : NUDGE;
      const dx = event.key === 'ArrowLeft' ? -step : event.key === 'ArrowRight' ? step : 0;
      const dy = event.key === 'ArrowUp' ? -step : event.key === 'ArrowDown' ? step : 0;
      event.preventDefault();
      if (!(session.canEdit() && commands.nudgeSelection(dx, dy))) canvas.panBy(-dx * 4, -dy * 4);
    }
  });
}
