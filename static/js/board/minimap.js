// The minimap: the whole map in a corner of the board, each sticky a small box in its kind's
// colour (the critical path marked), and the part in view as a frame. Shown while the map
// does not fit in view. Click or drag in it to move the view there; focused, the arrow keys
// move the view a step and Enter (or F) shows the whole map.

import { h, s } from './dom.js';

const WIDTH = 220;
const HEIGHT = 130;
const PAD = 6;

export class Minimap {
  /** The minimap in `viewport` of `stickies`' boxes (the critical path from `store`'s summary);
   * moves the view through `canvas`; `fitAll()` shows the whole map. Told by dispatch.js when
   * the map changed (`stale`) or the view moved (`schedule`). */
  constructor(viewport, { store, stickies, canvas, fitAll }) {
    Object.assign(this, { store, stickies, canvas });
    this.viewport = viewport;
    this.fitAll = fitAll;
    this.svg = s('svg', { width: WIDTH, height: HEIGHT, viewBox: `0 0 ${WIDTH} ${HEIGHT}`, 'aria-hidden': 'true' });
    this.frame = s('rect', { class: 'minimap-view' });
    this.root = h('div', {
      class: 'minimap', hidden: true, tabindex: '0', role: 'group', 'aria-roledescription': 'minimap',
      'aria-label': 'Minimap of the whole map. Arrow keys move the view, Enter shows the whole map; click or drag to move the view there.',
    }, this.svg, h('p', { class: 'minimap-caption', 'aria-live': 'polite' }));
    viewport.append(this.root);
    this.scale = null;
    this.scheduled = false;
    this.#listen();
  }

  /** Redraws once per frame (the stickies, then the view's frame). */
  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => { this.scheduled = false; this.render(); });
  }

  #world() {
    const boxes = [];
    for (const key of this.stickies.elements.keys()) {
      const [kind, id] = key.split(':');
      boxes.push({ kind, id: Number(id), ...this.stickies.box(kind, Number(id)) });
    }
    return boxes;
  }

  /** The map's boxes changed (an op, a summary, a card's size): measured again at the next
   * render. A move of the view alone redraws only the view's frame. */
  stale() {
    this.boxes = null;
    this.schedule();
  }

  render() {
    this.boxes ??= this.#world();
    const boxes = this.boxes;
    const view = this.#visible();
    const outside = boxes.filter((box) => box.x < view.x || box.y < view.y || box.x + box.width > view.x + view.width || box.y + box.height > view.y + view.height);
    this.root.hidden = boxes.length === 0 || outside.length === 0;
    if (this.root.hidden) return;
    // The map and the part in view, so the view's frame is always whole in the minimap.
    const frames = [...boxes, view];
    const left = Math.min(...frames.map((box) => box.x));
    const top = Math.min(...frames.map((box) => box.y));
    const right = Math.max(...frames.map((box) => box.x + box.width));
    const bottom = Math.max(...frames.map((box) => box.y + box.height));
    const scale = Math.min((WIDTH - 2 * PAD) / (right - left || 1), (HEIGHT - 2 * PAD) / (bottom - top || 1));
    // A long, flat map gets a flat minimap (no empty band above and below it).
    const height = Math.max(40, Math.min(HEIGHT, (bottom - top) * scale + 2 * PAD + 24));
    const drawn = `${left},${top},${right},${bottom},${height}`;
    if (this.drawn === drawn && this.drawnBoxes === boxes) {
      this.#frameAndCaption(boxes, view);
      return;
    }
    this.drawn = drawn;
    this.drawnBoxes = boxes;
    this.svg.setAttribute('height', String(height));
    this.svg.setAttribute('viewBox', `0 0 ${WIDTH} ${height}`);
    this.scale = { left, top, scale, offsetX: PAD + ((WIDTH - 2 * PAD) - (right - left) * scale) / 2, offsetY: PAD + ((height - 2 * PAD) - (bottom - top) * scale) / 2 };
    const path = new Set(this.store.summary?.critical_path || []);
    while (this.svg.firstChild) this.svg.firstChild.remove();
    for (const box of boxes) {
      const at = this.#toMap(box.x, box.y);
      const critical = box.kind === 'activity' && path.has(box.id);
      this.svg.append(s('rect', {
        x: at.x, y: at.y, width: Math.max(1.5, box.width * scale), height: Math.max(1.5, box.height * scale),
        class: `minimap-${box.kind}${critical ? ' critical' : ''}`, 'data-minimap-key': `${box.kind}:${box.id}`,
      }));
    }
    this.svg.append(this.frame);
    this.#frameAndCaption(boxes, view);
  }

  #frameAndCaption(boxes, view) {
    const { scale } = this.scale;
    const corner = this.#toMap(view.x, view.y);
    Object.entries({ x: corner.x, y: corner.y, width: view.width * scale, height: view.height * scale })
      .forEach(([name, value]) => this.frame.setAttribute(name, String(value)));
    const activities = boxes.filter((box) => box.kind === 'activity');
    const seen = activities.filter((box) => box.x < view.x + view.width && box.x + box.width > view.x && box.y < view.y + view.height && box.y + box.height > view.y).length;
    this.root.querySelector('.minimap-caption').textContent = `${seen} of ${activities.length} activities in view`;
  }

  /** The world rectangle in view. */
  #visible() {
    const box = this.canvas.viewportRect();
    const { x, y, zoom } = this.canvas.view;
    return { x: -x / zoom, y: -y / zoom, width: box.width / zoom, height: box.height / zoom };
  }

  #toMap(x, y) {
    const { left, top, scale, offsetX, offsetY } = this.scale;
    return { x: offsetX + (x - left) * scale, y: offsetY + (y - top) * scale };
  }

  /** Centres the view on the world point under the minimap's (clientX, clientY). */
  #centreOn(clientX, clientY) {
    if (!this.scale) return;
    const rect = this.svg.getBoundingClientRect();
    const { left, top, scale, offsetX, offsetY } = this.scale;
    const worldX = left + (clientX - rect.left - offsetX) / scale;
    const worldY = top + (clientY - rect.top - offsetY) / scale;
    const box = this.viewport.getBoundingClientRect();
    const { zoom } = this.canvas.view;
    this.canvas.setView({ x: box.width / 2 - worldX * zoom, y: box.height / 2 - worldY * zoom, zoom });
  }

  #listen() {
    const canvas = this.canvas;
    new ResizeObserver(() => this.schedule()).observe(this.viewport);
    this.root.addEventListener('pointerdown', (event) => {
      event.stopPropagation();
      event.preventDefault();
      this.root.setPointerCapture(event.pointerId);
      this.dragging = true;
      this.#centreOn(event.clientX, event.clientY);
    });
    this.root.addEventListener('pointermove', (event) => { if (this.dragging) this.#centreOn(event.clientX, event.clientY); });
    const stop = () => { this.dragging = false; };
    this.root.addEventListener('pointerup', stop);
    this.root.addEventListener('pointercancel', stop);
    this.root.addEventListener('wheel', (event) => event.stopPropagation());
    this.root.addEventListener('keydown', (event) => {
      const box = this.viewport.getBoundingClientRect();
      const steps = { ArrowLeft: [1, 0], ArrowRight: [-1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
      if (steps[event.key]) {
        const [dx, dy] = steps[event.key];
        canvas.panBy(dx * box.width * 0.4, dy * box.height * 0.4);
      } else if (event.key === 'Enter' || event.key === 'f' || event.key === 'F') this.fitAll();
      else return;
      event.preventDefault();
      event.stopPropagation(); // not the board's own arrow keys (they move stickies)
    });
  }
}
