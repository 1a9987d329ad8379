// Keeping the map in view: until the person pans or zooms, the whole map is kept in view
// (the layout settles late, measured figures make cards grow), a big map at its start at a
// readable zoom; the Fit button and the minimap show the whole map however small.

import { READABLE_ZOOM } from './layout.js';

export class Fit {
  /** Fits `canvas` (over the `viewport` element) to `stickies`' boxes and `links`' loops. */
  constructor(viewport, { canvas, stickies, links }) {
    Object.assign(this, { canvas, stickies, links });
    this.auto = true;
    new ResizeObserver(() => this.fitContent()).observe(viewport);
    for (const type of ['pointerdown', 'wheel', 'keydown']) viewport.addEventListener(type, () => this.stop(), { once: true });
  }

  /** The person moved the view themselves: the map is no longer kept in view. */
  stop() {
    this.auto = false;
  }

  /** Keeps the map in view, unless the person took over. */
  fitContent() {
    if (!this.auto) return;
    const rect = this.contentBox();
    if (rect) this.canvas.fit(rect, 40, { silent: true, minZoom: READABLE_ZOOM }); // a big map opens at its start
  }

  /** fitContent at the next frame (after a snapshot is drawn). */
  fitSoon() {
    if (this.auto) requestAnimationFrame(() => this.fitContent());
  }

  /** The whole map in view, however small (the Fit button; the minimap's Enter). */
  fitAll() {
    this.canvas.fit(this.contentBox());
  }

  contentBox() {
    let left = Infinity; let top = Infinity; let right = -Infinity; let bottom = -Infinity;
    for (const key of this.stickies.elements.keys()) {
      const [kind, id] = key.split(':');
      const box = this.stickies.box(kind, Number(id));
      left = Math.min(left, box.x); top = Math.min(top, box.y);
      right = Math.max(right, box.x + box.width); bottom = Math.max(bottom, box.y + box.height);
    }
    if (Number.isFinite(left)) top = Math.min(top, this.links.loopTop ?? top); // rework loops arc above the cards
    return Number.isFinite(left) ? { x: left, y: top, width: right - left, height: bottom - top } : null;
  }
}
