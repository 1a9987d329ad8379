// A future state's board says what it is for: its own prompt for each of the workshop's steps
// (the board config's `future_prompt`, streams/views.py) instead of the current state's, since
// it is a new mapping with its own votes; the page says what it is based on (_board_app.html)
// and the ladder compares its figures with that map's (compare.js).

/** The prompt the board shows for the workshop's step: the workshop's own, or on a future
 * state the future-state prompt of that step. */
export function promptFor(workshop, phase, stream) {
  if (stream?.state === 'future' && phase?.future_prompt) return phase.future_prompt;
  return workshop?.prompt ?? '';
}
