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

  /** Draws the store's links and connectors between the cards' boxes (`overrides`: keyed
   * provisional positions). Incremental: a link drawn before keeps its element and only the
   * attributes that changed are set (a board of hundreds of links redraws on every change to
   * an activity, a link, the selection or a card's size); a link gone is removed, a new one
   * added, all in the store's order. What it shows equals a drawing from scratch. */
  render(overrides = new Map()) {
    const focused = document.activeElement?.closest?.('[data-link]')?.dataset.link;
    const store = this.store;
    const links = store.list('link');
    const critical = criticalMarks(store.summary, store.list('activity'), links).links;
    const loopsAt = new Map(); // rework loops already drawn over an activity: lift the next
    this.loopTop = Infinity; // how high the loops reach (the fit keeps them in view)
    const before = this.drawn || new Map();
    this.drawn = new Map(); // link id -> its group, in the store's order
    for (const link of links) {
      const look = this.#look(link, overrides, critical, loopsAt);
      if (!look) continue;
      const group = before.get(link.id) || this.#group(link);
      before.delete(link.id);
      paint(group, look);
      this.drawn.set(link.id, group);
    }
    for (const group of before.values()) group.remove();
    let here = this.group.firstChild; // later links paint over earlier ones: keep the order
    for (const group of this.drawn.values()) {
      if (group === here) here = group.nextSibling;
      else this.group.insertBefore(group, here);
    }
    const again = focused !== undefined && this.drawn.get(Number(focused));
    if (again && document.activeElement !== again) again.focus({ preventScroll: true });
    this.#renderConnectors(overrides);
  }

  /** How `link` is drawn now, or null when one of its ends has no card. */
  #look(link, overrides, critical, loopsAt) {
    const store = this.store;
    const source = this.#box(link.source, overrides);
    const target = this.#box(link.target, overrides);
    if (!source || !target) return null;
    const sourceActivity = store.get('activity', link.source);
    const sourceTitle = sourceActivity?.title ?? '';
    const targetTitle = store.get('activity', link.target)?.title ?? '';
    const rework = isRework(link);
    const onPath = critical.has(link.id);
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
      label = { x: loop.labelX, y: loop.labelY, text: `${share}% back` };
      words = `Rework loop from ${sourceTitle} back to ${targetTitle}: ${share}% of the work is sent back ` +
        `(${sourceTitle} is ${Math.round(Number(sourceActivity?.pca ?? 100))}% complete and accurate) and runs again from ${targetTitle}`;
    } else {
      d = pathBetween(source, target);
      words = `Link from ${sourceTitle} to ${targetTitle}${onPath ? ', on the critical path' : ''}`;
    }
    const css = ['link', rework ? 'rework' : '', onPath ? 'critical' : '', this.selection.has(keyOf('link', link.id)) ? 'selected' : ''];
    return {
      class: css.filter(Boolean).join(' '),
      'aria-label': `${words}${removable ? '. Press Delete to remove it' : ''}`,
      'data-kind': link.kind || 'flow',
      d,
      marker: `url(#${rework ? 'board-arrow-rework' : onPath ? 'board-arrow-critical' : 'board-arrow'})`,
      label,
    };
  }

  /** A link's element, made once: focusable, selected by a click (shift adds). */
  #group(link) {
    const key = keyOf('link', link.id);
    const group = s('g', { tabindex: '0', role: 'button', 'data-link': String(link.id), 'data-key': key },
      s('path', { class: 'link-hit' }), s('path', { class: 'link-line' }));
    group.addEventListener('pointerdown', (event) => {
      event.stopPropagation();
      if (event.shiftKey) this.selection.toggle(key);
      else this.selection.set([key]);
      group.focus();
    });
    group.addEventListener('focus', () => { if (!this.selection.has(key)) this.selection.set([key]); });
    return group;
  }

  /** A waste's dashed line to the activity it is pinned to, a countermeasure's to its waste;
   * kept per waste or countermeasure and moved only when its ends did. */
  #renderConnectors(overrides) {
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
    const before = this.connected || new Map();
    this.connected = new Map(); // 'kind:id' -> {line, end}
    for (const [kind, id, ownerKind, ownerId] of pairs) {
      if (ownerId === null || ownerId === undefined) continue;
      const from = box(ownerKind, ownerId);
      const to = box(kind, id);
      if (!from || !to) continue;
      const [start, end] = [edgePoint(from, centre(to)), edgePoint(to, centre(from))];
      const key = keyOf(kind, id);
      let drawn = before.get(key);
      before.delete(key);
      if (!drawn) {
        drawn = {
          line: s('line', { class: `connector ${kind}`, 'data-connector': key }),
          end: s('circle', { r: 4, class: `connector-end ${kind}` }),
        };
        this.connectors.append(drawn.line, drawn.end);
      }
      paint(drawn.line, { x1: start.x, y1: start.y, x2: end.x, y2: end.y });
      paint(drawn.end, { cx: start.x, cy: start.y });
      this.connected.set(key, drawn);
    }
    for (const { line, end } of before.values()) {
      line.remove();
      end.remove();
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
      paint(this.drawn.get(link.id), { d: pathBetween(source, target) });
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

/** Sets on `element` those of `look`'s values that differ from what it was last given
 * (the value it holds is remembered on it; one DOM write per change, none otherwise). A link's
 * group takes `d`, `marker` and `label` into its paths and its share label. */
function paint(element, look) {
  const had = element.vsmLook || {};
  for (const [name, value] of Object.entries(look)) {
    if (name === 'label' ? JSON.stringify(had.label) === JSON.stringify(value) : had[name] === value) continue;
    if (name === 'd') for (const path of element.querySelectorAll('path')) path.setAttribute('d', value);
    else if (name === 'marker') element.querySelector('.link-line').setAttribute('marker-end', value);
    else if (name === 'label') {
      let text = element.querySelector('text.rework-share');
      if (!value) text?.remove();
      else {
        if (!text) element.append(text = s('text', { class: 'rework-share', 'text-anchor': 'middle' }));
        text.setAttribute('x', value.x);
        text.setAttribute('y', value.y);
        text.textContent = value.text;
      }
    } else element.setAttribute(name, value);
  }
  element.vsmLook = { ...had, ...look };
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
