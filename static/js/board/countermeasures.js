// Countermeasures for a waste, and the baby-steps grid: effort x difficulty, bounded or
// broad, with the ranked backlog the server computes.

import { api } from './api.js';
import { fill, h } from './dom.js';
import { BREADTHS, SIZES } from './labels.js';
import { spotBelow } from './layout.js';
import { keyOf } from './stickies.js';

export class Countermeasures {
  /** The countermeasures panel in `panel`; adds and sizes through `perform`. */
  constructor(panel, { store, selection, session, stickies, perform }) {
    Object.assign(this, { store, selection, session, stickies, perform });
    this.panel = panel;
    this.grid = panel.querySelector('.size-grid');
    this.detail = panel.querySelector('.size-detail');
    this.backlog = panel.querySelector('.backlog');
    this.refreshTimer = null;
  }

  /** "Add countermeasure" on a waste: a card under it, opened for writing. It goes below the
   * waste's rendered box (however tall its text made it) and below what it would cover, so it
   * never hides the waste's buttons, nor another sticky. */
  async addFor(wasteId) {
    const waste = this.store.get('waste', wasteId);
    if (!waste || !this.session.canEdit()) return;
    const stickies = this.stickies;
    const obstacles = [...stickies.elements.keys()].filter((key) => key !== keyOf('waste', wasteId)).map((key) => {
      const [kind, id] = key.split(':');
      return stickies.box(kind, Number(id));
    });
    const spot = spotBelow(stickies.box('waste', wasteId), SIZES.countermeasure, obstacles);
    const frames = await this.perform('new countermeasure', [{
      op: 'countermeasure.create',
      data: { waste: wasteId, title: '', x: spot.x, y: spot.y },
    }]);
    const created = frames?.[0]?.data;
    if (created) {
      this.selection.set([keyOf('countermeasure', created.id)]);
      this.stickies.startEdit('countermeasure', created.id, 'title');
    }
  }

  selected() {
    const item = this.selection.items().find((entry) => entry.kind === 'countermeasure');
    return item ? this.store.get('countermeasure', item.id) : null;
  }

  render() {
    const countermeasures = this.store.list('countermeasure');
    const chosen = this.selected();
    const editable = this.session.canEdit();
    const cells = [];
    cells.push(h('span', { class: 'axis-corner', 'aria-hidden': 'true' }, 'D \\ E'));
    for (let effort = 1; effort <= 5; effort += 1) cells.push(h('span', { class: 'axis', 'aria-hidden': 'true' }, String(effort)));
    for (let difficulty = 5; difficulty >= 1; difficulty -= 1) {
      cells.push(h('span', { class: 'axis', 'aria-hidden': 'true' }, String(difficulty)));
      for (let effort = 1; effort <= 5; effort += 1) {
        const here = countermeasures.filter((item) => item.effort === effort && item.difficulty === difficulty);
        const size = effort + difficulty;
        const cell = h('div', {
          class: `size-cell heat-${Math.min(4, Math.floor((size - 2) / 2))}`,
          role: 'gridcell',
          'aria-label': `Effort ${effort}, difficulty ${difficulty}: ${here.length ? here.map((item) => item.title || 'untitled').join(', ') : 'empty'}`,
        });
        if (editable && chosen) {
          cell.append(h('button', {
            type: 'button', class: 'place', 'aria-label': `Size “${chosen.title || 'the countermeasure'}” as effort ${effort}, difficulty ${difficulty}`,
            onclick: () => this.size(chosen, { effort, difficulty }),
          }));
        }
        for (const item of here) {
          cell.append(h('button', {
            type: 'button',
            class: `size-chip ${item.breadth}${chosen?.id === item.id ? ' chosen' : ''}`,
            title: `${item.title || 'Untitled'} (${BREADTHS[item.breadth]})`,
            'aria-label': `${item.title || 'Untitled countermeasure'}, ${BREADTHS[item.breadth]}`,
            onclick: () => {
              this.selection.set([keyOf('countermeasure', item.id)]);
              this.stickies.focus('countermeasure', item.id);
            },
          }, initials(item.title)));
        }
        cells.push(cell);
      }
    }
    fill(this.grid, ...cells);
    this.grid.setAttribute('aria-label', 'Baby steps: effort from left (1) to right (5), difficulty from bottom (1) to top (5)');
    if (!countermeasures.length) {
      fill(this.detail, h('p', { class: 'muted' }, 'No countermeasures yet. Use “Add countermeasure” on a waste (or press C on a focused waste).'));
    } else if (!chosen) {
      fill(this.detail, h('p', { class: 'muted' }, 'Select a countermeasure, then click a cell to size it.'));
    } else {
      fill(this.detail,
        h('p', {}, h('strong', {}, chosen.title || 'Untitled countermeasure'), ` · effort ${chosen.effort}, difficulty ${chosen.difficulty}`),
        editable ? h('div', { class: 'segmented', role: 'group', 'aria-label': 'Breadth' },
          ...Object.entries(BREADTHS).map(([value, label]) => h('button', {
            type: 'button', 'aria-pressed': String(chosen.breadth === value), onclick: () => this.size(chosen, { breadth: value }),
          }, label))) : null);
    }
    this.scheduleRefresh();
  }

  size(countermeasure, changes) {
    this.perform('sizing', [{ op: 'countermeasure.update', data: { id: countermeasure.id, ...changes } }]);
  }

  scheduleRefresh() {
    window.clearTimeout(this.refreshTimer);
    this.refreshTimer = window.setTimeout(() => this.refresh(), 300);
  }

  async refresh() {
    if (!this.store.stream) return;
    let backlog;
    try {
      backlog = await api('GET', `/api/streams/${this.store.stream.id}/backlog/`);
    } catch {
      return;
    }
    if (!backlog.length) {
      fill(this.backlog, h('li', { class: 'muted' }, 'The ranked backlog appears here.'));
      return;
    }
    fill(this.backlog, ...backlog.map((item) => h('li', {},
      h('strong', {}, item.title || 'Untitled'), ' ',
      h('span', { class: 'muted' }, `for “${item.waste_text}” · size ${item.size} (${BREADTHS[item.breadth]}, E${item.effort} D${item.difficulty})${item.owner ? ` · ${item.owner}` : ''}`))));
  }
}

function initials(title) {
  const words = String(title || '?').trim().split(/\s+/).filter(Boolean);
  return (words.length > 1 ? words[0][0] + words[1][0] : String(title || '?').slice(0, 2)).toUpperCase();
}
