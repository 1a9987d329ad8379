// The timeline ladder under the activities: for each step of the critical path its wait
// (upper rung) then its process time (lower rung), to scale, from the server's `summary`
// frames (the flow maths stays on the server). Labels that would run into each other are
// left out (each rung says its figures on hover). A map based on another (a future state)
// shows its figures beside that map's, with the change (compare.js).
//
// A summary comes after every change to the flow, so the ladder is drawn once and then
// updated: each step of the path keeps its elements (keyed by its activity's id), and a new
// summary sets only the attributes and words that changed, adds the steps that joined the
// path and removes those that left it. The figures are replaced only when they read
// differently.

import { compareTable } from './compare.js';
import { fill, h, s } from './dom.js';
import { labelWidth, thinLabels } from './layout.js';
import { formatDuration } from './units.js';

const HEIGHT = 96;
const TOP = 22;
const BOTTOM = 62;

export class Ladder {
  constructor(container) {
    this.container = container;
    this.figures = container.querySelector('.ladder-figures');
    this.chart = container.querySelector('.ladder-chart');
    this.summary = null;
    this.svg = null; // the chart while it shows steps
    this.steps = new Map(); // activity id -> that step's elements
    new ResizeObserver(() => this.render(this.summary)).observe(this.chart);
  }

  render(summary) {
    this.summary = summary;
    if (!summary) {
      this.#figures(h('span', { class: 'muted' }, 'The timeline appears once the flow is computed…'));
      this.#message(null);
      return;
    }
    const steps = summary.steps || [];
    const total = steps.reduce((sum, step) => sum + step.wait_time + step.process_time, 0);
    const forecast = summary.forecast;
    this.#figures(
      // Every unit, as the summary's headline: '1w 2d' would hide the 4h 30m of work.
      compareTable(summary) || [
        figure('Lead time', formatDuration(summary.lead_time, null)),
        figure('Process time', formatDuration(summary.process_time, null)),
        figure('Flow efficiency', `${Math.round((summary.flow_efficiency || 0) * 1000) / 10}%`),
        figure('Rolled %C&A', `${Math.round(summary.rolled_pca ?? 100)}%`),
      ],
      forecast ? h('span', { class: 'ladder-figure forecast', title: `Monte Carlo forecast from the min/max estimates (${forecast.runs} runs)` },
        h('span', { class: 'label' }, 'Forecast'), ' ', h('strong', {}, `p50 ${formatDuration(forecast.p50)} · p85 ${formatDuration(forecast.p85)}`)) : null,
      h('span', { class: 'ladder-legend' }, h('span', { class: 'legend-critical', 'aria-hidden': 'true' }), ' critical path ',
        h('span', { class: 'legend-unlinked', 'aria-hidden': 'true' }), ' not linked'),
      summary.stale ? h('span', { class: 'stale' }, 'updating…') : null);
    if (!steps.length || total <= 0) {
      this.#message('Give the activities process and wait times ("2h", "3d") to see where the time goes.');
      return;
    }
    this.#chart(steps, total);
  }

  /** The figures beside the chart, replaced only when they would read differently. */
  #figures(...children) {
    const next = h('div', {}, ...children);
    const now = this.figures.childNodes;
    const same = now.length === next.childNodes.length && [...now].every((node, index) => node.isEqualNode(next.childNodes[index]));
    if (!same) fill(this.figures, ...next.childNodes);
  }

  /** A sentence in place of the chart (null: nothing). */
  #message(text) {
    this.svg = null;
    this.steps.clear();
    const shown = this.chart.firstChild;
    if (text === null ? this.chart.childNodes.length === 0 : shown?.classList?.contains('ladder-empty') && shown.textContent === text) return;
    fill(this.chart, text === null ? null : h('p', { class: 'ladder-empty' }, text));
  }

  #chart(steps, total) {
    const width = Math.max(320, this.chart.clientWidth || 800);
    const scale = (width - 20) / total;
    if (!this.svg) {
      this.lines = s('g', { class: 'ladder-steps' });
      this.values = s('g', { class: 'ladder-values' }); // after the lines: drawn over them
      this.svg = s('svg', { class: 'ladder-svg', height: HEIGHT, role: 'img' },
        s('text', { x: 2, y: TOP - 8, class: 'rung-label' }, 'wait'), s('text', { x: 2, y: BOTTOM + 26, class: 'rung-label' }, 'process'),
        this.lines, this.values);
      fill(this.chart, this.svg);
    }
    set(this.svg, {
      width, viewBox: `0 0 ${width} ${HEIGHT}`,
      'aria-label': `Timeline of the critical path: ${steps.map((step) => `${step.title} waits ${formatDuration(step.wait_time)} then takes ${formatDuration(step.process_time)}`).join('; ')}`,
    });
    let x = 10;
    const waits = [];
    const processes = [];
    const kept = new Set();
    steps.forEach((step, index) => {
      const drawn = this.#step(step.id);
      kept.add(step.id);
      place(this.lines, drawn.group, index);
      place(this.values, drawn.labels, index);
      const wait = step.wait_time * scale;
      const process = Math.max(step.process_time * scale, 1);
      const words = `${step.title}${step.team ? ` (${step.team})` : ''}: waits ${formatDuration(step.wait_time)}, takes ${formatDuration(step.process_time)}`;
      // From the previous step's process rung up to this one's wait; none before the first.
      if (index === 0) drawn.rise.remove();
      else {
        if (drawn.rise.parentNode !== drawn.group) drawn.group.prepend(drawn.rise);
        set(drawn.rise, { x1: x, y1: BOTTOM, x2: x, y2: TOP });
      }
      set(drawn.wait, { x1: x, y1: TOP, x2: x + wait, y2: TOP });
      say(drawn.wait.firstChild, words);
      waits.push({ center: x + wait / 2, text: formatDuration(step.wait_time), words, element: drawn.waitLabel, group: drawn.labels, first: drawn.waitLabel, shown: wait > 0 });
      x += wait;
      set(drawn.drop, { x1: x, y1: TOP, x2: x, y2: BOTTOM });
      set(drawn.process, { x1: x, y1: BOTTOM, x2: x + process, y2: BOTTOM });
      say(drawn.process.firstChild, words);
      processes.push({ center: x + process / 2, text: formatDuration(step.process_time), words, element: drawn.processLabel, group: drawn.labels, first: drawn.waitLabel, shown: true });
      x += process;
    });
    for (const [id, drawn] of this.steps) {
      if (kept.has(id)) continue;
      drawn.group.remove();
      drawn.labels.remove();
      this.steps.delete(id);
    }
    // A label only where it fits beside the previous one on its rung (and inside the chart).
    for (const [labels, y, left] of [[waits, TOP - 6, 34], [processes, BOTTOM + 14, 0]]) { // 'wait' is written at the left
      const candidates = labels.filter((label) => label.shown);
      const fits = thinLabels(candidates.map((label) => ({ center: label.center, width: labelWidth(label.text) })), { left, right: width });
      const visible = new Set(candidates.filter((label, index) => fits.has(index)));
      for (const label of labels) {
        const { element, group } = label;
        if (!visible.has(label)) {
          element.remove(); // kept for when it fits again
          continue;
        }
        set(element, { x: label.center, y });
        say(element.firstChild, label.text);
        say(element.lastChild, label.words);
        if (element.parentNode !== group) {
          if (element === label.first) group.prepend(element); // the wait's label before the process'
          else group.append(element);
        }
      }
    }
  }

  /** The elements of the step of activity `id`, made the first time it is on the path. */
  #step(id) {
    let drawn = this.steps.get(id);
    if (drawn) return drawn;
    const label = () => s('text', { class: 'value', 'text-anchor': 'middle' }, '', s('title', {}, ''));
    drawn = {
      rise: s('line', { class: 'rung' }),
      wait: s('line', { class: 'wait-line' }, s('title', {}, '')),
      drop: s('line', { class: 'rung' }),
      process: s('line', { class: 'process-line' }, s('title', {}, '')),
      waitLabel: label(),
      processLabel: label(),
    };
    drawn.group = s('g', { 'data-step': id }, drawn.rise, drawn.wait, drawn.drop, drawn.process);
    drawn.labels = s('g', { 'data-step': id }); // the labels that fit, over every step's lines
    this.steps.set(id, drawn);
    return drawn;
  }
}

/** Sets the attributes of `element` that differ from `attributes`. */
function set(element, attributes) {
  for (const [name, value] of Object.entries(attributes)) {
    const text = String(value);
    if (element.getAttribute(name) !== text) element.setAttribute(name, text);
  }
}

/** Sets the words of a text node, or the text of an element, when they differ. */
function say(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/** Puts `element` at `index` among `parent`'s children, unless it is there already. */
function place(parent, element, index) {
  const at = parent.children[index] ?? null;
  if (at !== element) parent.insertBefore(element, at);
}

function figure(label, value) {
  return h('span', { class: 'ladder-figure' }, h('span', { class: 'label' }, label), ' ', h('strong', {}, value));
}
