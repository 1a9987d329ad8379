// Links between activities (the flow, including parallel paths): drawn as SVG arrows under
// the stickies, focusable and deletable; drawn by "link mode" from an activity's handle
// (or the L key) to the next activity (click it, or focus it and press Enter).

import { announce, s } from './dom.js';
import { keyOf } from './stickies.js';

export class Links {
  constructor(ctx, svg, banner) {
    this.ctx = ctx;
    this.svg = svg;
    this.banner = banner;
    this.active = null; // the source activity id while drawing
    this.group = s('g', { class: 'link-paths' });
    svg.append(
      s('defs', {}, s('marker', { id: 'board-arrow', viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' },
        s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' }))),
      this.group,
    );
  }

  render(overrides = new Map()) {
    const focused = document.activeElement?.closest?.('[data-link]')?.dataset.link;
    while (this.group.firstChild) this.group.firstChild.remove();
    for (const link of this.ctx.store.list('link')) {
      const source = this.#box(link.source, overrides);
      const target = this.#box(link.target, overrides);
      if (!source || !target) continue;
      const sourceTitle = this.ctx.store.get('activity', link.source)?.title ?? '';
      const targetTitle = this.ctx.store.get('activity', link.target)?.title ?? '';
      const key = keyOf('link', link.id);
      const d = pathBetween(source, target);
      const group = s('g', {
        class: `link${this.ctx.selection.has(key) ? ' selected' : ''}`,
        tabindex: '0',
        role: 'button',
        'aria-label': `Link from ${sourceTitle} to ${targetTitle}${this.ctx.canEdit() ? '. Press Delete to remove it' : ''}`,
        'data-link': String(link.id),
        'data-key': key,
      }, s('path', { d, class: 'link-hit' }), s('path', { d, class: 'link-line', 'marker-end': 'url(#board-arrow)' }));
      group.addEventListener('pointerdown', (event) => {
        event.stopPropagation();
        if (event.shiftKey) this.ctx.selection.toggle(key);
        else this.ctx.selection.set([key]);
        group.focus();
      });
      group.addEventListener('focus', () => { if (!this.ctx.selection.has(key)) this.ctx.selection.set([key]); });
      this.group.append(group);
      if (focused === String(link.id)) group.focus({ preventScroll: true });
    }
  }

  /** While stickies are dragged: their provisional positions. */
  renderLive(positions) {
    this.render(positions);
  }

  start(sourceId) {
    if (!this.ctx.canEdit()) return;
    const source = this.ctx.store.get('activity', sourceId);
    if (!source) return;
    this.active = sourceId;
    this.ctx.root.classList.add('linking');
    this.banner.hidden = false;
    this.banner.querySelector('.banner-text').textContent =
      `Drawing a link from “${source.title}”: click the activity that comes next, or focus it and press Enter. Esc cancels.`;
    announce(`Link mode from ${source.title}. Choose the next activity.`);
    const next = this.ctx.store.activities().find((activity) => activity.id !== sourceId && activity.x > source.x) ||
      this.ctx.store.activities().find((activity) => activity.id !== sourceId);
    if (next) this.ctx.stickies.focus('activity', next.id);
  }

  cancel() {
    if (this.active === null) return;
    this.active = null;
    this.ctx.root.classList.remove('linking');
    this.banner.hidden = true;
  }

  async finish(targetId) {
    const source = this.active;
    this.cancel();
    if (source === null || source === targetId) return;
    const frames = await this.ctx.perform('link', [{ op: 'link.create', data: { source, target: targetId } }]);
    if (frames) announce('Linked.');
  }

  #box(activityId, overrides) {
    const key = keyOf('activity', activityId);
    const box = this.ctx.stickies.box('activity', activityId);
    if (!this.ctx.store.get('activity', activityId)) return null;
    const position = overrides.get(key);
    return position ? { ...box, ...position } : box;
  }
}

function pathBetween(source, target) {
  const sx = source.x + source.width;
  const sy = source.y + source.height / 2;
  const tx = target.x;
  const ty = target.y + target.height / 2;
  const bend = Math.max(40, Math.abs(tx - sx) / 2);
  return `M${sx},${sy} C${sx + bend},${sy} ${tx - bend},${ty} ${tx},${ty}`;
}
