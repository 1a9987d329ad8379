// Where things go, in pure functions (no DOM): a free spot for a new sticky, which of the
// ladder's labels fit, how much detail the cards show at a zoom.

/** Below this zoom the cards show only what reads from afar (level of detail): the title
 * and the three figures large, the rest hidden. At 0.7 the full card's text is ~9 px. */
export const LOD_ZOOM = 0.7;

/** The automatic fit of the map never zooms out further than this: a bigger map opens at
 * its start, readable, with the minimap to find the rest (the Fit button still shows all). */
export const READABLE_ZOOM = 0.4;

export function detailAt(zoom) {
  return zoom < LOD_ZOOM ? 'low' : 'full';
}

function overlaps(a, b) {
  return a.x < b.x + b.width && a.x + a.width > b.x && a.y < b.y + b.height && a.y + a.height > b.y;
}

/** The first spot under `anchor` where a sticky of `size` covers none of `obstacles` (each
 * {x, y, width, height}): indented by `indent`, `gap` below the anchor and below whatever it
 * would cover. A countermeasure placed so never hides its waste's buttons. */
export function spotBelow(anchor, size, obstacles, { gap = 16, indent = 12 } = {}) {
  const spot = { x: anchor.x + indent, y: anchor.y + anchor.height + gap, width: size.width, height: size.height };
  for (let tries = 0; tries <= obstacles.length; tries += 1) {
    const hit = obstacles.filter((box) => overlaps(spot, box));
    if (!hit.length) break;
    spot.y = Math.max(...hit.map((box) => box.y + box.height)) + gap;
  }
  return { x: Math.round(spot.x), y: Math.round(spot.y) };
}

/** Of labels [{center, width}] on one line, the indices of those that fit without touching
 * the one kept before them (at least `gap` apart), left to right; the others are left to
 * the hover text. */
export function thinLabels(labels, { gap = 6, left = 0, right = Infinity } = {}) {
  const kept = [];
  let edge = left - gap;
  labels.forEach((label, index) => {
    const start = label.center - label.width / 2;
    const end = label.center + label.width / 2;
    if (start >= edge + gap && end <= right) {
      kept.push(index);
      edge = end;
    }
  });
  return new Set(kept);
}

/** The width of `text` in the ladder's 11 px labels, near enough to keep them apart. */
export function labelWidth(text) {
  return String(text).length * 6.6 + 2;
}

/** `text` with soft hyphens in its long words (every `every` letters, never leaving fewer than
 * three on either side), so a big title in a narrow card breaks as 'Prioriti-sation', with a
 * hyphen, rather than anywhere or not at all. Unbroken, soft hyphens do not show. */
export function softHyphens(text, { longer = 9, every = 5 } = {}) {
  return String(text).replace(/[\p{L}\p{N}]+/gu, (word) => {
    if (word.length <= longer) return word;
    let out = '';
    for (let index = 0; index < word.length; index += 1) {
      out += word[index];
      const done = index + 1;
      if (done % every === 0 && done >= 3 && word.length - done >= 3) out += '\u00AD';
    }
    return out;
  });
}
