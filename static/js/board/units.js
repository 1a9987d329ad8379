// Durations in human units, the board's one place for them. Same convention as
// vsm_site/units.py: a day is `hoursPerDay` working hours (8 unless the page says otherwise),
// a week is five such days.

let hoursPerDay = 8;

export function setHoursPerDay(hours) {
  const value = Number(hours);
  if (Number.isFinite(value) && value > 0 && value <= 24) hoursPerDay = value;
}

function unitSeconds() {
  const day = hoursPerDay * 3600;
  return { w: 5 * day, d: day, h: 3600, m: 60, s: 1 };
}

const UNIT_WORDS = {
  s: 's', sec: 's', secs: 's', second: 's', seconds: 's',
  m: 'm', min: 'm', mins: 'm', minute: 'm', minutes: 'm',
  h: 'h', hr: 'h', hrs: 'h', hour: 'h', hours: 'h',
  d: 'd', day: 'd', days: 'd',
  w: 'w', wk: 'w', wks: 'w', week: 'w', weeks: 'w',
};

/**
 * "90m", "2h", "3d", "1w", "1h 30m", "1.5h", "2 days" -> seconds; "0" is 0. A bare number
 * (45) is not a duration: 45 minutes and 45 hours are both plausible, so it is refused
 * (durationProblem says how to write it). Returns null for anything else too (negative,
 * empty, unknown unit).
 */
export function parseDuration(text) {
  const source = String(text ?? '').trim().toLowerCase().replace(/,/g, '.');
  if (source === '') return null;
  if (/^\d+(\.\d+)?$/.test(source)) return Number(source) === 0 ? 0 : null;
  const part = /(\d+(?:\.\d+)?)\s*([a-z]+)\s*/y;
  const sizes = unitSeconds();
  let total = 0;
  let index = 0;
  while (index < source.length) {
    part.lastIndex = index;
    const match = part.exec(source);
    if (!match) return null;
    const unit = UNIT_WORDS[match[2]];
    if (!unit) return null;
    total += Number(match[1]) * sizes[unit];
    index = part.lastIndex;
  }
  return Number.isFinite(total) ? Math.round(total) : null;
}

/** Why `text` is not a duration, in words with a hint (null when it is one). */
export function durationProblem(text) {
  const source = String(text ?? '').trim().replace(/,/g, '.');
  if (parseDuration(source) !== null) return null;
  if (/^\d+(\.\d+)?$/.test(source)) return `${source} what? Try ${source}m or ${source}h.`;
  return 'Write a duration like 90m, 2h, 3d or 1w.';
}

/**
 * '0', '45m', '3h 30m', '2d 4h', '3w 2d': the `parts` largest non-zero units (as the summary);
 * `parts = null`: every unit down to minutes ('1w 2d 4h 30m'), as the summary's headline.
 */
export function formatDuration(seconds, parts = 2) {
  if (seconds === null || seconds === undefined || !Number.isFinite(Number(seconds))) return '—';
  const value = Math.max(0, Number(seconds));
  if (value < 60) return value === 0 ? '0' : `${Math.round(value)}s`;
  const sizes = unitSeconds();
  let remaining = Math.round(value / 60) * 60;
  const shown = [];
  for (const name of ['w', 'd', 'h', 'm']) {
    const count = Math.floor(remaining / sizes[name]);
    if (count) {
      shown.push(`${count}${name}`);
      remaining -= count * sizes[name];
    }
    if (parts !== null && shown.length === parts) break;
  }
  return shown.join(' ') || '0';
}

/** "1h 30m" read aloud: "1 hour 30 minutes". */
export function speakDuration(seconds) {
  const words = { w: 'week', d: 'day', h: 'hour', m: 'minute', s: 'second' };
  return formatDuration(seconds).replace(/(\d+)([wdhms])/g, (_, n, unit) => `${n} ${words[unit]}${n === '1' ? '' : 's'}`);
}
