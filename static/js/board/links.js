// Links between activities (the flow, including parallel paths): drawn as SVG arrows under
// the stickies, focusable and deletable; drawn by "link mode" from an activity's handle
// (or the L key) to the next activity (click it, or focus it and press Enter). A link back
// to an earlier activity is a rework loop (facilitators): dashed, over the cards, with the
// share of work it sends back. The summary's critical path is drawn bold; dashed connectors
// tie each waste to its activity and each countermeasure to its waste.

import { announce, s } from './dom.js';
import { REWORK, criticalMarks, flowLeads, isRework, reworkShare } from './flowgraph.js';
import { keyOf } from './stickies.js';

export class Links {
  /** Draws `store`'s links into `svg` between `stickies`' boxes, `banner` while one is drawn. */
  constructor(svg, banner, { root, store, selection, session, stickies, canvas, perform, notify }) {
    Object.assign(this, { root, store, selection, session, stickies, canvas, perform, notify });
    this.svg = svg;
    this.banner = banner;
    this.active = null; // the source activity id while drawing
    this.group = s('g', { class: 'link-paths' });
    svg.append(
      s('defs', {}, s('marker', { id: 'board-arrow', viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' },
        s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' })),
      s('marker', { id: 'board-arrow-critical', viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '4.5', markerHeight: '4.5', orient: 'auto-start-reverse' },
        s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head critical' })),
      s('marker', { id: 'board-arrow-rework', viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' },
        s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head rework' }))),
      this.connectors = s('g', { class: 'connectors', 'aria-hidden': 'true' }),
      this.group,
    );
  }

  render(overrides = new Map()) {
    const focused = document.activeElement?.closest?.('[data-link]')?.dataset.link;
    while (this.group.firstChild) this.group.firstChild.remove();
    this.drawn = new Map(); // link id -> its group, for renderLive
    const store = this.store;
    const links = store.list('link');
    const critical = criticalMarks(store.summary, store.list('activity'), links).links;
    const loopsAt = new Map(); // rework loops already drawn over an activity: lift the next
    this.loopTop = Infinity; // how high the loops reach (the fit keeps them in view)
    for (const link of links) {
      const source = this.#box(link.source, overrides);
      const target = this.#box(link.target, overrides);
      if (!source || !target) continue;
      const sourceActivity = store.get('activity', link.source);
      const sourceTitle = sourceActivity?.title ?? '';
      const targetTitle = store.get('activity', link.target)?.title ?? '';
      const key = keyOf('link', link.id);
      const rework = isRework(link);
      const removable = this.session.canEdit() && (!rework || this.session.facilitator);
      let d;
      let label = null;
      let words;
      if (rework) {
        const lift = 18 * (loopsAt.get(link.source) || 0);
        loopsAt.set(link.source, (loopsAt.get(link.source) || 0) + 1);
        const loop = loopBetween(source, target, lift);
        d = loop.d;
        this.loopTop = Math.min(this.loopTop, loop.labelY - 16);
        const share = Math.round(reworkShare(sourceActivity));
        label = s('text', { x: loop.labelX, y: loop.labelY, class: 'rework-share', 'text-anchor': 'middle' }, `${share}% back`);
        words = `Rework loop from ${sourceTitle} back to ${targetTitle}: ${share}% of the work is sent back ` +
          `(${sourceTitle} is ${Math.round(Number(sourceActivity?.pca ?? 100))}% complete and accurate) and runs again from ${targetTitle}`;
      } else {
        d = pathBetween(source, target);
        words = `Link from ${sourceTitle} to ${targetTitle}${critical.has(link.id) ? ', on the critical path' : ''}`;
      }
      const css = ['link', rework ? 'rework' : '', critical.has(link.id) ? 'critical' : '', this.selection.has(key) ? 'selected' : ''];
      const group = s('g', {
        class: css.filter(Boolean).join(' '),
        tabindex: '0',
        role: 'button',
        'aria-label': `${words}${removable ? '. Press Delete to remove it' : ''}`,
        'data-link': String(link.id),
        'data-key': key,
        'data-kind': link.kind || 'flow',
      }, s('path', { d, class: 'link-hit' }), s('path', { d, class: 'link-line', 'marker-end': `url(#${rework ? 'board-arrow-rework' : critical.has(link.id) ? 'board-arrow-critical' : 'board-arrow'})` }), label);
      group.addEventListener('pointerdown', (event) => {
        event.stopPropagation();
        if (event.shiftKey) this.selection.toggle(key);
        else this.selection.set([key]);
        group.focus();
      });
      group.addEventListener('focus', () => { if (!this.selection.has(key)) this.selection.set([key]); });
      this.group.append(group);
      this.drawn.set(link.id, group);
      if (focused === String(link.id)) group.focus({ preventScroll: true });
    }
    this.#renderConnectors(overrides);
  }

  /** A waste's dashed line to the activity it is pinned to, a countermeasure's to its waste. */
  #renderConnectors(overrides) {
    while (this.connectors.firstChild) this.connectors.firstChild.remove();
    const store = this.store;
    const box = (kind, id) => {
      if (!store.get(kind, id) || !this.stickies.element(kind, id)) return null;
      const position = overrides.get(keyOf(kind, id));
      const found = this.stickies.box(kind, id);
      return position ? { ...found, ...position } : found;
    };
    const pairs = [
      ...store.list('waste').map((waste) => ['waste', waste.id, 'activity', waste.activity]),
      ...store.list('countermeasure').map((countermeasure) => ['countermeasure', countermeasure.id, 'waste', countermeasure.waste]),
    ];
    for (const [kind, id, ownerKind, ownerId] of pairs) {
      if (ownerId === null || ownerId === undefined) continue;
      const from = box(ownerKind, ownerId);
      const to = box(kind, id);
      if (!from || !to) continue;
      const [start, end] = [edgePoint(from, centre(to)), edgePoint(to, centre(from))];
      this.connectors.append(
        s('line', { x1: start.x, y1: start.y, x2: end.x, y2: end.y, class: `connector ${kind}`, 'data-connector': keyOf(kind, id) }),
        s('circle', { cx: start.x, cy: start.y, r: 4, class: `connector-end ${kind}` }));
    }
  }

  /** While stickies are dragged: their provisional positions. Only the flow links of the
   * moved activities are redrawn, in place (a big board has hundreds of others); a rework
   * loop among them (its arc depends on the loops beside it) redraws everything. */
  renderLive(positions) {
    const moved = (id) => positions.has(keyOf('activity', id));
    const changed = this.store.list('link').filter((link) => moved(link.source) || moved(link.target));
    if (!this.drawn || changed.some((link) => isRework(link) || !this.drawn.has(link.id))) {
      this.render(positions);
      return;
    }
    for (const link of changed) {
      const source = this.#box(link.source, positions);
      const target = this.#box(link.target, positions);
      if (!source || !target) continue;
      const d = pathBetween(source, target);
      for (const path of this.drawn.get(link.id).querySelectorAll('path')) path.setAttribute('d', d);
    }
    this.#renderConnectors(positions);
  }

  start(sourceId) {
    if (!this.session.canEdit()) return;
    const source = this.store.get('activity', sourceId);
    if (!source) return;
    this.active = sourceId;
    this.root.classList.add('linking');
    this.banner.hidden = false;
    const back = this.session.facilitator ? ' An earlier activity gets a rework loop: the work sent back.' : '';
    this.banner.querySelector('.banner-text').textContent =
      `Drawing a link from “${source.title}”: click the activity that comes next, or focus it and press Enter.${back} Esc cancels.`;
    announce(`Link mode from ${source.title}. Choose the next activity.`);
    const next = this.store.activities().find((activity) => activity.id !== sourceId && activity.x > source.x) ||
      this.store.activities().find((activity) => activity.id !== sourceId);
    if (next) this.stickies.focus('activity', next.id);
  }

  cancel() {
    if (this.active === null) return;
    this.active = null;
    this.root.classList.remove('linking');
    this.banner.hidden = true;
  }

  async finish(targetId) {
    const source = this.active;
    this.cancel();
    if (source === null || source === targetId) return;
    const store = this.store;
    // Back to an activity the flow leads from: a rework loop, not a loop in the flow.
    if (flowLeads(store.list('activity'), store.list('link'), targetId, source)) {
      if (!this.session.facilitator) {
        const message = 'That activity comes earlier in the flow: only a facilitator can draw a rework loop back to it.';
        this.notify(message, 'error');
        announce(message);
        return;
      }
      const frames = await this.perform('rework loop', [{ op: 'link.create', data: { source, target: targetId, kind: REWORK } }]);
      if (!frames) return;
      announce(`Rework loop drawn: ${Math.round(reworkShare(store.get('activity', source)))}% of the work goes back.`);
      requestAnimationFrame(() => { // the loop and its share in view: it arcs above the cards
        const [from, to] = [this.#box(source, new Map()), this.#box(targetId, new Map())];
        if (!from || !to || !Number.isFinite(this.loopTop)) return;
        const left = Math.min(from.x, to.x);
        this.canvas.reveal(left, this.loopTop, Math.max(from.x + from.width, to.x + to.width) - left, Math.max(from.y, to.y) - this.loopTop + 40);
      });
      return;
    }
    const frames = await this.perform('link', [{ op: 'link.create', data: { source, target: targetId } }]);
    if (frames) announce('Linked.');
  }

  #box(activityId, overrides) {
    const key = keyOf('activity', activityId);
    const box = this.stickies.box('activity', activityId);
    if (!this.store.get('activity', activityId)) return null;
    const position = overrides.get(key);
    return position ? { ...box, ...position } : box;
  }
}

/** Over the cards: up from the source's top, back and down onto the target's top. */
function loopBetween(source, target, lift) {
  const sx = source.x + source.width / 2;
  const sy = source.y;
  const tx = target.x + target.width / 2;
  const ty = target.y;
  const top = Math.min(sy, ty) - 56 - lift;
  return {
    d: `M${sx},${sy} C${sx},${top} ${tx},${top} ${tx},${ty}`,
    labelX: (sx + tx) / 2,
    labelY: 0.125 * sy + 0.75 * top + 0.125 * ty - 6,
  };
}

function centre(box) {
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Where the line from the box's centre towards `point` leaves the box. */
function edgePoint(box, point) {
  const c = centre(box);
  const dx = point.x - c.x;
  const dy = point.y - c.y;
  if (!dx && !dy) return c;
  const scale = Math.min(dx ? (box.width / 2) / Math.abs(dx) : Infinity, dy ? (box.height / 2) / Math.abs(dy) : Infinity);
  return { x: c.x + dx * scale, y: c.y + dy * scale };
}

function pathBetween(source, target) {
  const sx = source.x + source.width;
  const sy = source.y + source.height / 2;
  const tx = target.x;
  const ty = target.y + target.height / 2;
  const bend = Math.max(40, Math.abs(tx - sx) / 2);
  return `M${sx},${sy} C${sx + bend},${sy} ${tx - bend},${ty} ${tx},${ty}`;
}
