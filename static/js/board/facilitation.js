// Facilitation: the nine-step phase stepper with its prompt, the shared countdown, locking
// the board and "bring everyone to me". Facilitators act through the REST API; everyone
// (them too) sees the result from the `workshop.update` / `stream.update` ops.

import { api } from './api.js';
import { announce, fill, h } from './dom.js';
import { promptFor } from './future.js';
import { timerFace } from './timer.js';

export class Facilitation {
  /** The facilitation bar in `element` (`phases`: the workshop's steps, from the page);
   * marks the phase and the lock on the board's `root`; follows through `canvas` and `connection`. */
  constructor(element, { root, store, session, canvas, connection, phases, notify }) {
    Object.assign(this, { root, store, session, canvas, connection, phases, notify });
    this.stepper = element.querySelector('.phase-steps');
    this.prompt = element.querySelector('.phase-prompt');
    this.timerText = element.querySelector('.timer-display');
    this.timerControls = element.querySelector('.timer-controls');
    this.lockButton = element.querySelector('[data-action=lock]');
    this.followButton = element.querySelector('[data-action=lead]');
    this.followBanner = document.querySelector('.follow-banner');
    this.leading = false;
    this.following = true; // participants follow the facilitator unless they opt out
    this.tick = null;
    this.lastPhase = null;
    this.#listen();
  }

  get facilitator() {
    return this.session.facilitator;
  }

  render() {
    const workshop = this.store.workshop;
    if (!workshop) return;
    const phases = this.phases;
    const current = phases.findIndex((phase) => phase.value === workshop.phase);
    fill(this.stepper, ...phases.map((phase, index) => {
      const label = `${phase.label}${index === current ? ' (current step)' : ''}`;
      const button = h('button', {
        type: 'button',
        class: `phase-step${index === current ? ' current' : ''}${index < current ? ' done' : ''}`,
        'aria-current': index === current ? 'step' : null,
        'aria-label': label,
        title: phase.label,
        disabled: !this.facilitator && index !== current ? true : null,
        dataset: { phase: phase.value },
      }, h('span', { class: 'phase-number' }, String(index + 1)), h('span', { class: 'phase-name' }, phase.short));
      return h('li', {}, button);
    }));
    const prompt = promptFor(workshop, phases[current], this.store.stream); // a future state's own
    fill(this.prompt, h('strong', {}, workshop.phase_label), ' ', prompt);
    this.root.dataset.phase = workshop.phase;
    if (this.lastPhase !== null && this.lastPhase !== workshop.phase) announce(`Now: ${workshop.phase_label}. ${prompt}`);
    this.lastPhase = workshop.phase;
    this.#startTicking();
    this.renderLock();
  }

  renderLock() {
    const locked = Boolean(this.store.stream?.locked);
    this.root.classList.toggle('locked', locked);
    if (this.lockButton) {
      this.lockButton.setAttribute('aria-pressed', String(locked));
      this.lockButton.textContent = locked ? 'Unlock board' : 'Lock board';
    }
    const banner = document.querySelector('.lock-banner');
    banner.hidden = !locked;
    banner.textContent = this.facilitator ? 'The board is locked: only facilitators can change it.' : 'The facilitator has locked the board: you can look, not change.';
  }

  #startTicking() {
    window.clearInterval(this.tick);
    const update = () => {
      const face = timerFace(this.store.workshop?.timer_ends_at, Date.now());
      const before = this.timerText.dataset.state;
      this.timerText.textContent = face.text;
      this.timerText.setAttribute('aria-label', face.label);
      this.timerText.dataset.state = face.state;
      this.timerText.classList.toggle('running', face.state === 'running' || face.state === 'ending');
      this.timerText.classList.toggle('ending', face.state === 'ending');
      this.timerText.classList.toggle('over', face.state === 'over');
      if (face.left === 60) announce('One minute left.');
      if (face.state === 'over' && before !== 'over' && before !== undefined) announce('Time’s up.');
      if (face.state === 'idle') window.clearInterval(this.tick); // until the next timer_ends_at
    };
    update();
    if (this.timerText.dataset.state !== 'idle') this.tick = window.setInterval(update, 1000);
  }

  // Facilitator actions --------------------------------------------------------------------

  async setPhase(phase) {
    await this.#call(() => api('PATCH', `/api/workshops/${this.store.workshop.id}/`, { phase }));
  }

  async setTimer(seconds) {
    await this.#call(() => api('POST', `/api/workshops/${this.store.workshop.id}/timer/`, { seconds }));
  }

  async toggleLock() {
    await this.#call(() => api('PATCH', `/api/streams/${this.store.stream.id}/`, { locked: !this.store.stream.locked }));
  }

  async #call(request) {
    try {
      await request();
    } catch (error) {
      this.notify(error.message, 'error');
    }
  }

  // Bring everyone to me -------------------------------------------------------------------

  toggleLead() {
    this.leading = !this.leading;
    this.followButton.setAttribute('aria-pressed', String(this.leading));
    this.followButton.textContent = this.leading ? 'Stop bringing everyone' : 'Bring everyone to me';
    this.sendView(true);
    announce(this.leading ? 'Everyone now follows your view.' : 'People may look around on their own again.');
  }

  /** The facilitator's view changed: participants follow (coalesced to 10 a second). */
  sendView(now = false) {
    if (!this.facilitator) return;
    if (!this.leading && !now) return;
    window.clearTimeout(this.viewTimer);
    const send = () => {
      const center = this.canvas.center();
      const viewport = this.leading ? { x: center.x, y: center.y, zoom: this.canvas.view.zoom } : null;
      this.connection.send({ type: 'follow', viewport });
    };
    if (now) send();
    else this.viewTimer = window.setTimeout(send, 100);
  }

  /** A `follow` frame from a facilitator. */
  follow(frame) {
    if (this.facilitator && frame.by?.id === this.session.me?.id) return;
    const banner = this.followBanner;
    if (!frame.viewport) {
      banner.hidden = true;
      this.following = true;
      return;
    }
    banner.hidden = false;
    banner.querySelector('.banner-text').textContent = this.following
      ? `Following ${frame.by?.name || 'the facilitator'}’s view.`
      : `${frame.by?.name || 'The facilitator'} is showing something.`;
    banner.querySelector('button').textContent = this.following ? 'Look around on my own' : 'Follow';
    if (!this.following) return;
    const { x, y, zoom } = frame.viewport;
    const box = this.canvas.viewport.getBoundingClientRect();
    this.canvas.setView({ x: box.width / 2 - x * zoom, y: box.height / 2 - y * zoom, zoom }, { silent: true });
  }

  #listen() {
    this.stepper.addEventListener('click', (event) => {
      const button = event.target.closest('[data-phase]');
      if (button && this.facilitator) this.setPhase(button.dataset.phase);
    });
    this.timerControls?.addEventListener('submit', (event) => {
      event.preventDefault();
      const minutes = Number(this.timerControls.elements.minutes.value);
      if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 240) {
        this.notify('Set the timer to 1–240 minutes.', 'error');
        return;
      }
      this.setTimer(Math.round(minutes * 60));
    });
    this.timerControls?.querySelector('[data-action=timer-stop]').addEventListener('click', () => this.setTimer(0));
    this.lockButton?.addEventListener('click', () => this.toggleLock());
    this.followButton?.addEventListener('click', () => this.toggleLead());
    this.followBanner.querySelector('button').addEventListener('click', () => {
      this.following = !this.following;
      this.followBanner.querySelector('button').textContent = this.following ? 'Look around on my own' : 'Follow';
      this.followBanner.querySelector('.banner-text').textContent = this.following ? 'Following the facilitator’s view.' : 'Looking around on your own.';
    });
  }
}
