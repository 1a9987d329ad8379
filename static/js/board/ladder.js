// The timeline ladder under the activities: for each step of the critical path its wait
// (upper rung) then its process time (lower rung), to scale, from the server's `summary`
// frames (the flow maths stays on the server).

import { fill, h, s } from './dom.js';
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
    fill(this.figures,
      // Every unit, as the summary's headline: '1w 2d' would hide the 4h 30m of work.
      figure('Lead time', formatDuration(summary.lead_time, null)),
      figure('Process time', formatDuration(summary.process_time, null)),
      figure('Flow efficiency', `${Math.round((summary.flow_efficiency || 0) * 1000) / 10}%`),
      figure('Rolled %C&A', `${Math.round(summary.rolled_pca ?? 100)}%`),
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
    for (const step of steps) {
      const wait = step.wait_time * scale;
      const process = step.process_time * scale;
      if (previous !== null) svg.append(s('line', { x1: x, y1: previous, x2: x, y2: TOP, class: 'rung' }));
      svg.append(s('line', { x1: x, y1: TOP, x2: x + wait, y2: TOP, class: 'wait-line' }));
      if (wait > 34) svg.append(s('text', { x: x + wait / 2, y: TOP - 6, class: 'value', 'text-anchor': 'middle' }, formatDuration(step.wait_time)));
      x += wait;
      svg.append(s('line', { x1: x, y1: TOP, x2: x, y2: BOTTOM, class: 'rung' }));
      svg.append(s('line', { x1: x, y1: BOTTOM, x2: x + Math.max(process, 1), y2: BOTTOM, class: 'process-line' }));
      const label = s('text', { x: x + Math.max(process, 1) / 2, y: BOTTOM + 14, class: 'value', 'text-anchor': 'middle' }, formatDuration(step.process_time));
      label.append(s('title', {}, `${step.title}${step.team ? ` (${step.team})` : ''}: waits ${formatDuration(step.wait_time)}, takes ${formatDuration(step.process_time)}`));
      svg.append(label);
      x += process;
      previous = BOTTOM;
    }
    fill(this.chart, svg);
  }
}

function figure(label, value) {
  return h('span', { class: 'ladder-figure' }, h('span', { class: 'label' }, label), ' ', h('strong', {}, value));
}
