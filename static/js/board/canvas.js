// The pan-and-zoom surface: a viewport element and a world layer transformed by
// {x, y, zoom} (screen = world * zoom + offset). Wheel or pinch zooms around the pointer,
// dragging empty space pans, Shift+drag draws a rubber band. The viewport's `data-detail`
// says how much the cards show at this zoom (layout.js); every change of the view, silent or
// not, is a `moved` event (the minimap follows it), a change of detail a `detail` event.

import { detailAt } from './layout.js';

const MIN_ZOOM = 0.2;
const MAX_ZOOM = 3;
const SETTLE_MS = 150; // a wheel zoom rests this long before the cards follow it

export class Canvas extends EventTarget {
  constructor(viewport, world) {
    super();
    this.viewport = viewport;
    this.world = world;
    this.view = { x: 40, y: 40, zoom: 1 };
    this.pointers = new Map();
    this.band = viewport.querySelector('.rubber-band');
    this.#listen();
    this.#apply();
  }

  /** The viewport's client rectangle, read once a frame: a pointer move after a write to
   * the board (a drag redraws links) would otherwise force a layout of every card. */
  viewportRect() {
    if (!this.viewportBox) {
      this.viewportBox = this.viewport.getBoundingClientRect();
      requestAnimationFrame(() => { this.viewportBox = null; });
    }
    return this.viewportBox;
  }

  /** Client (screen) coordinates -> world coordinates. */
  toWorld(clientX, clientY) {
    const box = this.viewportRect();
    return {
      x: (clientX - box.left - this.view.x) / this.view.zoom,
      y: (clientY - box.top - this.view.y) / this.view.zoom,
    };
  }

  /** The world point at the middle of the visible area. */
  center() {
    const box = this.viewport.getBoundingClientRect();
    return this.toWorld(box.left + box.width / 2, box.top + box.height / 2);
  }

  /** `settle`: a step of a continuous zoom (the wheel); the cards' level of detail follows
   * once the zoom rests for SETTLE_MS, not at every step (a big board re-lays out every card
   * when it changes). */
  setView(view, { silent = false, settle = false } = {}) {
    const zoom = clamp(Number(view.zoom) || 1, MIN_ZOOM, MAX_ZOOM);
    this.view = { x: Number(view.x) || 0, y: Number(view.y) || 0, zoom };
    this.#apply(settle);
    if (!silent) this.dispatchEvent(new CustomEvent('view', { detail: this.view }));
  }

  /** Zooms by `factor` keeping the point under (clientX, clientY) still. */
  zoomAt(factor, clientX, clientY, { settle = false } = {}) {
    const box = this.viewport.getBoundingClientRect();
    const sx = (clientX ?? box.left + box.width / 2) - box.left;
    const sy = (clientY ?? box.top + box.height / 2) - box.top;
    const zoom = clamp(this.view.zoom * factor, MIN_ZOOM, MAX_ZOOM);
    const ratio = zoom / this.view.zoom;
    this.setView({ x: sx - (sx - this.view.x) * ratio, y: sy - (sy - this.view.y) * ratio, zoom }, { settle });
  }

  panBy(dx, dy) {
    this.setView({ ...this.view, x: this.view.x + dx, y: this.view.y + dy });
  }

  /** Shows the world rectangle {x, y, width, height} whole (at most 1:1). With `minZoom`,
   * a rectangle too big to read whole is shown from its top left corner at that zoom. */
  fit(rect, margin = 40, options = {}) {
    const box = this.viewport.getBoundingClientRect();
    if (!rect || rect.width <= 0 || box.width <= 0) return;
    const { minZoom = MIN_ZOOM, ...rest } = options;
    const whole = clamp(Math.min((box.width - 2 * margin) / rect.width, (box.height - 2 * margin) / rect.height, 1), MIN_ZOOM, MAX_ZOOM);
    const zoom = Math.max(whole, minZoom);
    const start = (size, length, offset) => (length * zoom <= size - 2 * margin ? (size - length * zoom) / 2 : margin) - offset * zoom;
    this.setView({ x: start(box.width, rect.width, rect.x), y: start(box.height, rect.height, rect.y), zoom }, rest);
  }

  reset() {
    this.setView({ x: 40, y: 40, zoom: 1 });
  }

  /** Brings a world rectangle into view (keyboard focus on a sticky off-screen). */
  reveal(x, y, width, height) {
    const box = this.viewport.getBoundingClientRect();
    const { zoom } = this.view;
    const left = x * zoom + this.view.x;
    const top = y * zoom + this.view.y;
    let dx = 0;
    let dy = 0;
    if (left < 10) dx = 10 - left;
    else if (left + width * zoom > box.width - 10) dx = box.width - 10 - (left + width * zoom);
    if (top < 10) dy = 10 - top;
    else if (top + height * zoom > box.height - 10) dy = box.height - 10 - (top + height * zoom);
    if (dx || dy) this.panBy(dx, dy);
  }

  #apply(settle = false) {
    const { x, y, zoom } = this.view;
    this.world.style.transform = `translate(${x}px, ${y}px) scale(${zoom})`;
    this.viewport.style.backgroundPosition = `${x}px ${y}px`;
    this.viewport.style.backgroundSize = `${24 * zoom}px ${24 * zoom}px`;
    clearTimeout(this.settling);
    // While a wheel zoom goes on, the world is scaled as a picture (will-change: transform,
    // board.css) and the cards keep their detail; once it rests they are drawn sharp again.
    this.viewport.classList.toggle('zooming', settle);
    if (settle) {
      this.settling = setTimeout(() => {
        this.viewport.classList.remove('zooming');
        this.#applyDetail();
      }, SETTLE_MS);
    } else this.#applyDetail();
    this.dispatchEvent(new CustomEvent('moved', { detail: this.view }));
  }

  /** The zoom the cards' sizes follow (`--zoom`) and their level of detail. */
  #applyDetail() {
    const { zoom } = this.view;
    this.viewport.style.setProperty('--zoom', String(zoom));
    const detail = detailAt(zoom);
    if (this.viewport.dataset.detail !== detail) {
      this.viewport.dataset.detail = detail;
      this.dispatchEvent(new CustomEvent('detail', { detail }));
    }
  }

  #isEmptySpace(target) {
    return target === this.viewport || target === this.world || target.classList?.contains('board-links') || target.classList?.contains('board-layer');
  }

  #listen() {
    const viewport = this.viewport;
    viewport.addEventListener('wheel', (event) => {
      event.preventDefault();
      // Trackpad pinch arrives as ctrl+wheel; a plain wheel zooms too (a board, not a page).
      const factor = Math.exp(-event.deltaY * (event.ctrlKey ? 0.01 : 0.0015));
      this.zoomAt(factor, event.clientX, event.clientY, { settle: true });
    }, { passive: false });

    viewport.addEventListener('pointerdown', (event) => {
      if (!this.#isEmptySpace(event.target) || event.button > 0) return;
      this.pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      viewport.setPointerCapture(event.pointerId);
      if (this.pointers.size === 2) {
        this.pinch = this.#pinchState();
        this.gesture = null;
        return;
      }
      const mode = event.shiftKey ? 'band' : 'pan';
      this.gesture = { mode, startX: event.clientX, startY: event.clientY, moved: false };
      this.dispatchEvent(new CustomEvent('emptydown', { detail: { shiftKey: event.shiftKey } }));
    });

    viewport.addEventListener('pointermove', (event) => {
      this.dispatchEvent(new CustomEvent('pointer', { detail: this.toWorld(event.clientX, event.clientY) }));
      const last = this.pointers.get(event.pointerId);
      if (!last) return;
      this.pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (this.pinch && this.pointers.size === 2) {
        const now = this.#pinchState();
        this.zoomAt(now.distance / this.pinch.distance, now.x, now.y);
        this.panBy(now.x - this.pinch.x, now.y - this.pinch.y);
        this.pinch = now;
        return;
      }
      const gesture = this.gesture;
      if (!gesture) return;
      gesture.moved = gesture.moved || Math.hypot(event.clientX - gesture.startX, event.clientY - gesture.startY) > 3;
      if (gesture.mode === 'pan') {
        this.panBy(event.clientX - last.x, event.clientY - last.y);
        viewport.classList.add('panning');
      } else {
        this.#drawBand(gesture, event);
      }
    });

    const end = (event) => {
      if (!this.pointers.has(event.pointerId)) return;
      this.pointers.delete(event.pointerId);
      if (this.pointers.size < 2) this.pinch = null;
      const gesture = this.gesture;
      this.gesture = null;
      viewport.classList.remove('panning');
      if (gesture?.mode === 'band') {
        this.band.hidden = true;
        const a = this.toWorld(gesture.startX, gesture.startY);
        const b = this.toWorld(event.clientX, event.clientY);
        this.dispatchEvent(new CustomEvent('band', {
          detail: { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), width: Math.abs(a.x - b.x), height: Math.abs(a.y - b.y) },
        }));
      } else if (gesture && !gesture.moved) {
        this.dispatchEvent(new CustomEvent('emptyclick', { detail: this.toWorld(event.clientX, event.clientY) }));
      }
    };
    viewport.addEventListener('pointerup', end);
    viewport.addEventListener('pointercancel', end);
  }

  #drawBand(gesture, event) {
    const box = this.viewport.getBoundingClientRect();
    Object.assign(this.band.style, {
      left: `${Math.min(gesture.startX, event.clientX) - box.left}px`,
      top: `${Math.min(gesture.startY, event.clientY) - box.top}px`,
      width: `${Math.abs(event.clientX - gesture.startX)}px`,
      height: `${Math.abs(event.clientY - gesture.startY)}px`,
    });
    this.band.hidden = false;
  }

  #pinchState() {
    const [a, b] = [...this.pointers.values()];
    return { distance: Math.hypot(a.x - b.x, a.y - b.y) || 1, x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  }
}

function clamp(value, low, high) {
  return Math.min(high, Math.max(low, value));
}
