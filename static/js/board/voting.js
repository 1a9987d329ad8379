// Dot voting on wastes: your own dots (the server keeps others' hidden until the reveal), the
// per-person budget, the facilitator's reveal, then the ranking and the award.

import { api } from './api.js';
import { announce, fill, h } from './dom.js';

export class Voting {
  /** The dots panel in `panel` (`dotBudget` dots per person); votes through `perform`. */
  constructor(panel, { root, store, session, perform, notify, dotBudget }) {
    Object.assign(this, { root, store, session, perform, notify, dotBudget });
    this.panel = panel;
    this.budgetText = panel.querySelector('.vote-budget');
    this.revealButton = panel.querySelector('[data-action=reveal]');
    this.results = panel.querySelector('.vote-results');
    this.ranking = null;
    this.refreshTimer = null;
    this.revealButton?.addEventListener('click', () => this.toggleReveal());
  }

  get budget() {
    return this.dotBudget;
  }

  async vote(wasteId, delta) {
    if (!this.session.canVote()) return;
    const waste = this.store.get('waste', wasteId);
    if (delta > 0) {
      if (this.store.myVotes().length >= this.budget) {
        this.notify(`You have used all ${this.budget} of your dots. Take one back to move it.`, 'error');
        return;
      }
      const frames = await this.perform('dot', [{ op: 'vote.create', data: { waste: wasteId } }]);
      if (frames) announce(`Dot added to ${waste?.text}. ${this.#left()} left.`);
    } else {
      const mine = this.store.myVotes(wasteId);
      if (!mine.length) return;
      const frames = await this.perform('dot', [{ op: 'vote.delete', data: { id: mine[mine.length - 1].id } }]);
      if (frames) announce(`Dot taken back from ${waste?.text}. ${this.#left()} left.`);
    }
  }

  #left() {
    return Math.max(0, this.budget - this.store.myVotes().length);
  }

  async toggleReveal() {
    try {
      await api('PATCH', `/api/streams/${this.store.stream.id}/`, { votes_revealed: !this.store.stream.votes_revealed });
    } catch (error) {
      this.notify(error.message, 'error');
    }
  }

  render() {
    const store = this.store;
    const revealed = Boolean(store.stream?.votes_revealed);
    const used = store.myVotes().length;
    this.budgetText.textContent = this.session.canVote()
      ? `You have ${Math.max(0, this.budget - used)} of ${this.budget} dots left.`
      : 'Viewers watch the vote.';
    if (this.revealButton) {
      this.revealButton.textContent = revealed ? 'Hide votes' : 'Reveal votes';
      this.revealButton.setAttribute('aria-pressed', String(revealed));
    }
    this.root.classList.toggle('votes-revealed', revealed);
    this.scheduleRefresh();
  }

  scheduleRefresh() {
    window.clearTimeout(this.refreshTimer);
    this.refreshTimer = window.setTimeout(() => this.refresh(), 250);
  }

  async refresh() {
    if (!this.store.stream) return;
    try {
      this.ranking = await api('GET', `/api/streams/${this.store.stream.id}/ranking/`);
    } catch {
      return;
    }
    this.#renderResults();
  }

  #renderResults() {
    const ranking = this.ranking;
    if (!ranking) return;
    if (!ranking.revealed) {
      fill(this.results, h('p', { class: 'muted' }, `${ranking.cast} ${ranking.cast === 1 ? 'dot' : 'dots'} cast so far. Votes stay hidden until the facilitator reveals them.`));
      return;
    }
    if (!ranking.ranking.length) {
      fill(this.results, h('p', { class: 'muted' }, 'No wastes to rank yet.'));
      return;
    }
    const award = new Set(ranking.award || []);
    const winners = ranking.ranking.filter((waste) => award.has(waste.id));
    fill(this.results,
      winners.length ? h('div', { class: 'award', role: 'note' },
        h('span', { class: 'award-title' }, winners.length > 1 ? 'Most annoying wastes (a tie)' : 'Most annoying waste'),
        ...winners.map((waste) => h('strong', { class: 'award-waste' }, `${waste.text} — ${waste.votes} dots`))) : null,
      h('ol', { class: 'ranking' }, ...ranking.ranking.map((waste) => h('li', { class: award.has(waste.id) ? 'winner' : null },
        h('span', { class: 'ranking-text' }, waste.text), ' ', h('span', { class: 'ranking-votes' }, `${waste.votes} ${waste.votes === 1 ? 'dot' : 'dots'}`)))));
  }
}
