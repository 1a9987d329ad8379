// The timeline ladder under the activities: for each step of the critical path its wait
// (upper rung) then its process time (lower rung), to scale, from the server's `summary`
// frames (the flow maths stays on the server). Labels that would run into each other are
// left out (each rung says its figures on hover). A map based on another (a future state)
// shows its figures beside that map's, with the change (compare.js).

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
    new ResizeObserver(() => this.render(this.summary)).observe(this.chart);
  }

  render(summary) {
    this.summary = summary;
    if (!summary) {
      fill(this.figures, h('span', { class: 'muted' }, 'The timeline appears once the flow is computed…'));
      fill(this.chart);
      return;
    }
    const steps = summary.steps || [];
    const total = steps.reduce((sum, step) => sum + step.wait_time + step.process_time, 0);
    const forecast = summary.forecast;
    fill(this.figures,
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
      fill(this.chart, h('p', { class: 'ladder-empty' }, 'Give the activities process and wait times ("2h", "3d") to see where the time goes.'));
      return;
    }
    const width = Math.max(320, this.chart.clientWidth || 800);
    const scale = (width - 20) / total;
    const svg = s('svg', {
      class: 'ladder-svg', width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, role: 'img',
      'aria-label': `Timeline of the critical path: ${steps.map((step) => `${step.title} waits ${formatDuration(step.wait_time)} then takes ${formatDuration(step.process_time)}`).join('; ')}`,
    });
    svg.append(s('text', { x: 2, y: TOP - 8, class: 'rung-label' }, 'wait'), s('text', { x: 2, y: BOTTOM + 26, class: 'rung-label' }, 'process'));
    let x = 10;
    let previous = null;
    const waits = [];
    const processes = [];
    for (const step of steps) {
      const wait = step.wait_time * scale;
      const process = step.process_time * scale;
      const words = `${step.title}${step.team ? ` (${step.team})` : ''}: waits ${formatDuration(step.wait_time)}, takes ${formatDuration(step.process_time)}`;
      if (previous !== null) svg.append(s('line', { x1: x, y1: previous, x2: x, y2: TOP, class: 'rung' }));
      svg.append(s('line', { x1: x, y1: TOP, x2: x + wait, y2: TOP, class: 'wait-line' }, s('title', {}, words)));
      if (wait > 0) waits.push({ center: x + wait / 2, text: formatDuration(step.wait_time), words });
      x += wait;
      svg.append(s('line', { x1: x, y1: TOP, x2: x, y2: BOTTOM, class: 'rung' }));
      svg.append(s('line', { x1: x, y1: BOTTOM, x2: x + Math.max(process, 1), y2: BOTTOM, class: 'process-line' }, s('title', {}, words)));
      processes.push({ center: x + Math.max(process, 1) / 2, text: formatDuration(step.process_time), words });
      x += process;
      previous = BOTTOM;
    }
    // A label only where it fits beside the previous one on its rung (and inside the chart).
    for (const [labels, y, left] of [[waits, TOP - 6, 34], [processes, BOTTOM + 14, 0]]) { // 'wait' is written at the left
      const kept = thinLabels(labels.map((label) => ({ center: label.center, width: labelWidth(label.text) })), { left, right: width });
      labels.forEach((label, index) => {
        if (!kept.has(index)) return;
        svg.append(s('text', { x: label.center, y, class: 'value', 'text-anchor': 'middle' }, label.text, s('title', {}, label.words)));
      });
    }
    fill(this.chart, svg);
  }
}

function figure(label, value) {
  return h('span', { class: 'ladder-figure' }, h('span', { class: 'label' }, label), ' ', h('strong', {}, value));
}
