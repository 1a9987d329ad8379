// The shared countdown's face (pure; tests/js/timer.test.mjs). The timer is the workshop's
// (server) state: when it ends at `timer_ends_at`, every board says "Time's up" for
// TIMES_UP_SECONDS and then shows no timer, the same for everyone whenever they look (a
// board opened later shows none).

export const TIMES_UP_SECONDS = 5;

/** What the timer shows at `now` (ms) for a countdown ending at `endsAt` (ISO text or null):
 * {state: 'idle' | 'running' | 'ending' | 'over', text, label, left}. */
export function timerFace(endsAt, now) {
  const idle = { state: 'idle', text: '–:––', label: 'No timer running', left: null };
  const end = endsAt ? Date.parse(endsAt) : NaN;
  if (Number.isNaN(end)) return idle;
  const left = Math.round((end - now) / 1000);
  if (left > 0) {
    const minutes = Math.floor(left / 60);
    const seconds = left % 60;
    return {
      state: left <= 60 ? 'ending' : 'running',
      text: `${minutes}:${String(seconds).padStart(2, '0')}`,
      label: `${minutes} minutes ${seconds} seconds left`,
      left,
    };
  }
  if (left > -TIMES_UP_SECONDS) return { state: 'over', text: 'Time’s up', label: 'Time’s up', left };
  return idle;
}
