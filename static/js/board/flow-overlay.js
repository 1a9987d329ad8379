// What the flow says about each sticky, drawn on it: the summary's critical path (a red
// ring) and its bottleneck (a badge), activities a linked map leaves out of every path
// (dashed, a "not linked" badge saying what to do), the activity a waste belongs to (in its
// label), and the far-away view of every sticky (level of detail: at low zoom the title and
// the three figures large, the rest hidden by board.css). Stickies call `decorate` after each
// render; the marks are recomputed when the summary, an activity or a link changes. Screen
// readers hear the marks as each sticky's description (aria-describedby).

import { h } from './dom.js';
import { estimateText } from './detail.js';
import { criticalMarks, unlinkedActivities } from './flowgraph.js';
import { NOTE_KINDS, WASTE_CATEGORIES } from './labels.js';
import { softHyphens } from './layout.js';
import { formatDuration } from './units.js';

const UNLINKED_HELP = 'Not linked: this activity is on no path of the flow, so its time is left out of the lead time ' +
  '(its %C&A still counts in rolled %C&A). Link it from the activity before it and to the one after it (→ handle, or L).';
const BOTTLENECK_HELP = 'Bottleneck: the longest wait on the critical path. Shortening this wait shortens the lead time.';

export class FlowOverlay {
  /** Marks the activities of `store`; when marks change, redraws through `renderActivity(id)`
   * and `renderLinks()`. */
  constructor({ store, renderActivity, renderLinks }) {
    this.store = store;
    this.renderActivity = renderActivity;
    this.renderLinks = renderLinks;
    this.marks = null; // computed lazily after each change
    this.shown = new Map(); // activity id -> the marks its card shows
    this.scheduled = false;
  }

  /** The summary, an activity or a link changed (dispatch.js): the marks are computed again. */
  stale() {
    this.marks = null;
    this.schedule();
  }

  current() {
    if (!this.marks) {
      const store = this.store;
      const activities = store.list('activity');
      const links = store.list('link');
      this.marks = {
        critical: criticalMarks(store.summary, activities, links),
        unlinked: unlinkedActivities(activities, links),
      };
    }
    return this.marks;
  }

  /** Re-renders (once per frame) the activity cards whose marks changed, and the links. */
  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      for (const activity of this.store.list('activity')) {
        if (this.shown.get(activity.id) !== this.#signature(activity.id)) this.renderActivity(activity.id);
      }
      this.renderLinks();
    });
  }

  #signature(id) {
    const { critical, unlinked } = this.current();
    return `${critical.path.has(id)}${critical.bottleneck === id}${unlinked.has(id)}`;
  }

  /** Adds the flow's marks and the far-away view to a freshly rendered sticky. */
  decorate(element, kind, object) {
    if (kind === 'activity') this.#activity(element, object);
    else if (kind === 'waste') {
      const activity = object.activity !== null && object.activity !== undefined ? this.store.get('activity', object.activity) : null;
      element.classList.toggle('pinned', Boolean(activity));
      describe(element, activity ? [`On activity ${activity.title}.`] : []);
      element.append(farView(element, h('div', { class: 'lod-kind' }, WASTE_CATEGORIES[object.category] || object.category), h('div', { class: 'lod-text' }, softHyphens(object.text))));
    } else if (kind === 'countermeasure') {
      element.append(farView(element, h('div', { class: 'lod-text' }, softHyphens(object.title || 'Countermeasure'))));
    } else if (kind === 'note') {
      element.append(farView(element, h('div', { class: 'lod-kind' }, NOTE_KINDS[object.kind] || 'Note'), h('div', { class: 'lod-text' }, softHyphens(object.text))));
    }
  }

  #activity(element, activity) {
    const id = activity.id;
    const { critical, unlinked } = this.current();
    const onPath = critical.path.has(id);
    const bottleneck = critical.bottleneck === id;
    const loose = unlinked.has(id);
    this.shown.set(id, this.#signature(id));
    element.classList.toggle('on-critical-path', onPath);
    element.classList.toggle('bottleneck', bottleneck);
    element.classList.toggle('unlinked', loose);
    const said = [];
    const badges = [];
    if (bottleneck) {
      said.push(BOTTLENECK_HELP);
      badges.push(h('span', { class: 'flow-badge bottleneck-badge', title: BOTTLENECK_HELP, 'aria-hidden': 'true' }, 'Bottleneck'));
    } else if (onPath) said.push('On the critical path.');
    if (loose) {
      said.push(UNLINKED_HELP);
      badges.push(h('span', { class: 'flow-badge unlinked-badge', title: UNLINKED_HELP, 'aria-hidden': 'true' }, 'not linked'));
    }
    const estimate = estimateText(activity);
    if (estimate) said.push(`Its ${estimate.spoken}.`);
    if (String(activity.description || '').trim()) said.push(`Description: ${activity.description}`);
    describe(element, said);
    if (badges.length) element.append(h('div', { class: 'flow-badges' }, ...badges));
    element.append(farView(element,
      h('div', { class: 'lod-text lod-title' }, softHyphens(activity.title)),
      h('div', { class: 'lod-figures' },
        figure('PT', formatDuration(activity.process_time, 1), 'lod-process'),
        figure('WT', formatDuration(activity.wait_time, 1), 'lod-wait'),
        figure('%C&A', `${Math.round(activity.pca)}%`, 'lod-pca'))));
  }
}

/** What the flow says of a sticky, as its accessible description (read after its label):
 * a hidden element the sticky's aria-describedby names. */
function describe(element, sentences) {
  if (!sentences.length) {
    element.removeAttribute('aria-describedby');
    return;
  }
  const id = `flow-${element.dataset.key.replace(':', '-')}`;
  element.append(h('span', { id, class: 'flow-description', hidden: true }, sentences.join(' ')));
  element.setAttribute('aria-describedby', id);
}

/** The sticky as it reads from afar (shown by board.css below LOD_ZOOM); its words are
 * already in the sticky's label, so it is hidden from screen readers. */
function farView(element, ...children) {
  return h('div', { class: 'lod', 'aria-hidden': 'true', title: element.getAttribute('aria-label') }, ...children);
}

function figure(label, value, css) {
  return h('span', { class: `lod-figure ${css}` }, h('span', { class: 'lod-label' }, label), h('span', { class: 'lod-value' }, value));
}
