// Inviting people from the board (facilitators): the header's "Invite people" link (to the
// workshop page, without script) becomes a Share button that opens a dialog with an
// invitation link per role, each with a Copy button, and the members with the team or area
// each one speaks for (step 2's prompt). A usable link of each role is reused; a
// participant's and a viewer's are made when there is none (POST .../invitations/); a
// facilitator's only when asked, since it makes a co-leader. The board opens the dialog by
// itself when loaded with ?share=1 (where a new workshop lands).
//
// The functions above the class are pure (tests/js/share.test.mjs).

import { api } from './api.js';
import { announce, fill, h } from './dom.js';

export const ROLES = [
  { role: 'participant', name: 'Participant', does: 'edits the map', auto: true },
  { role: 'viewer', name: 'Viewer', does: 'reads the map and the flow', auto: true },
  { role: 'facilitator', name: 'Facilitator', does: 'co-leads: steps, timer, locking, invitations', auto: false },
];

/** The link to hand out for each role: the newest usable invitation of it, or null. */
export function usableLinks(invitations) {
  const links = {};
  for (const { role } of ROLES) {
    links[role] = (invitations || []).find((invitation) => invitation.role === role && invitation.usable) || null;
  }
  return links;
}

/** The workshop's id from the board: the snapshot's stream, or the workshop page's URL. */
export function workshopIdOf(stream, workshopUrl) {
  if (stream?.workshop) return Number(stream.workshop);
  const match = /\/workshops\/(\d+)\//.exec(workshopUrl || '');
  return match ? Number(match[1]) : null;
}

/** "until 14 Dec, 3 of 50 uses" */
export function linkFacts(invitation, locale = undefined) {
  const until = new Date(invitation.expires_at);
  const date = Number.isNaN(until.getTime()) ? '' : `until ${until.toLocaleDateString(locale, { day: 'numeric', month: 'short' })}, `;
  return `${date}${invitation.uses} of ${invitation.max_uses} uses`;
}

export class Share {
  /** The Share button in place of `root`'s share link (facilitators only), for the workshop
   * of `store`'s stream (or of `workshopUrl`); `session` says which member is the person. */
  constructor({ root, store, session, workshopUrl }) {
    Object.assign(this, { root, store, session, workshopUrl });
    this.dialog = null;
    this.openOnLoad = false;
    const link = root.querySelector('a[data-share]');
    if (!link) return; // facilitators only
    this.button = h('button', { type: 'button', class: 'share-button', 'aria-haspopup': 'dialog', dataset: { share: '' } }, 'Share');
    link.replaceWith(this.button);
    this.button.addEventListener('click', () => this.open());
    const params = new URLSearchParams(window.location.search);
    if (params.get('share') === '1') {
      // Once: a reload (or the back button) should not open it again.
      params.delete('share');
      const query = params.toString();
      window.history.replaceState(window.history.state, '', `${window.location.pathname}${query ? `?${query}` : ''}${window.location.hash}`);
      this.openOnLoad = true;
    }
  }

  /** The board is loaded (a snapshot): opens the dialog if the page asked for it, once. */
  loaded() {
    if (!this.openOnLoad) return;
    this.openOnLoad = false;
    this.open();
  }

  get workshopId() {
    return workshopIdOf(this.store.stream, this.workshopUrl);
  }

  async open() {
    if (!this.dialog) this.#build();
    if (!this.dialog.open) this.dialog.showModal();
    if (!this.inFlight) {
      // One load at a time: two at once could each make a link of a role that had none.
      this.#say('Loading the links…');
      this.loading = this.#loadLinks();
      this.inFlight = Promise.all([this.loading, this.#loadMembers()]).finally(() => { this.inFlight = null; });
    }
    await this.inFlight;
    this.dialog.querySelector('.share-links button, .share-links input')?.focus();
  }

  close() {
    this.dialog?.close();
  }

  #build() {
    this.dialog = h('dialog', { class: 'share-dialog', 'aria-labelledby': 'share-title', 'aria-describedby': 'share-intro' },
      h('div', { class: 'dialog-head' },
        h('h2', { id: 'share-title' }, 'Invite people'),
        h('button', { type: 'button', class: 'dialog-close', 'aria-label': 'Close', dataset: { close: '' } }, '×')),
      h('p', { id: 'share-intro', class: 'muted' }, 'Send each person the link of their role. Whoever opens it signs up or in, and lands on this board.'),
      h('h3', { id: 'share-links-h' }, 'Invitation links'),
      h('ul', { class: 'share-links', 'aria-labelledby': 'share-links-h' }),
      h('p', { class: 'share-status', role: 'status', 'aria-live': 'polite' }),
      h('h3', { id: 'share-members-h' }, 'People and their teams'),
      h('p', { class: 'muted', id: 'share-members-help' }, 'Note the team or area each one speaks for. A team is saved when you leave its field or press Enter.'),
      h('ul', { class: 'share-members', 'aria-labelledby': 'share-members-h', 'aria-describedby': 'share-members-help' }),
      h('p', { class: 'dialog-foot' },
        h('a', { href: `${this.workshopUrl}#invite-h` }, 'All links of the workshop (revoke, limits)'),
        h('button', { type: 'button', dataset: { close: '' } }, 'Done')));
    this.dialog.addEventListener('click', (event) => {
      if (event.target.closest('[data-close]')) this.close();
    });
    this.dialog.addEventListener('keydown', (event) => event.stopPropagation()); // not the board's shortcuts
    this.dialog.addEventListener('close', () => this.button?.focus());
    this.root.append(this.dialog);
  }

  #say(text) {
    this.dialog.querySelector('.share-status').textContent = text;
  }

  // Links -------------------------------------------------------------------------------

  async #loadLinks() {
    const workshop = this.workshopId;
    try {
      const invitations = await api('GET', `/api/workshops/${workshop}/invitations/`);
      const links = usableLinks(invitations);
      for (const { role, auto } of ROLES) {
        if (!links[role] && auto) links[role] = await api('POST', `/api/workshops/${workshop}/invitations/`, { role });
      }
      this.links = links;
      this.#renderLinks();
      this.#say('');
    } catch (error) {
      this.#say(`Could not load the links: ${error.message}`);
    }
  }

  #renderLinks() {
    const list = this.dialog.querySelector('.share-links');
    fill(list, ...ROLES.map(({ role, name, does }) => {
      const invitation = this.links[role];
      const head = h('p', { class: 'share-role' }, h('strong', {}, name), ' ', h('span', { class: 'muted' }, does));
      if (!invitation) {
        return h('li', { dataset: { role } }, head,
          h('button', { type: 'button', dataset: { create: role } }, `Create a ${role} link`));
      }
      const url = new URL(invitation.url, window.location.origin).href;
      const inputId = `share-link-${role}`;
      const input = h('input', { id: inputId, type: 'text', readonly: true, value: url, 'aria-label': `Invitation link for a ${role}` });
      input.addEventListener('focus', () => input.select());
      const copy = h('button', { type: 'button', dataset: { copy: role }, 'aria-describedby': inputId }, 'Copy');
      copy.addEventListener('click', () => this.#copy(role, url, input));
      return h('li', { dataset: { role } }, head,
        h('div', { class: 'share-link-row' }, input, copy),
        h('p', { class: 'share-facts muted' }, linkFacts(invitation)));
    }));
    for (const button of list.querySelectorAll('[data-create]')) {
      button.addEventListener('click', () => this.#create(button.dataset.create));
    }
  }

  async #create(role) {
    try {
      await this.loading; // a reload under way would otherwise hide the new link again
      if (!this.links[role]) this.links[role] = await api('POST', `/api/workshops/${this.workshopId}/invitations/`, { role });
      this.#renderLinks();
      this.dialog.querySelector(`[data-copy=${role}]`)?.focus();
      this.#say(`A new ${role} link is ready to copy.`);
    } catch (error) {
      this.#say(`Could not create the link: ${error.message}`);
    }
  }

  async #copy(role, url, input) {
    let copied = false;
    try {
      await navigator.clipboard.writeText(url);
      copied = true;
    } catch {
      input.focus();
      input.select();
      try { copied = document.execCommand('copy'); } catch { copied = false; }
    }
    const text = copied ? `Copied the ${role} link.` : 'Could not copy: the link is selected, press Ctrl+C.';
    this.#say(text);
    announce(text);
  }

  // Members and their teams ------------------------------------------------------------------

  async #loadMembers() {
    const list = this.dialog.querySelector('.share-members');
    try {
      const members = await api('GET', `/api/workshops/${this.workshopId}/members/`);
      fill(list, ...members.map((member) => this.#memberRow(member)));
    } catch (error) {
      fill(list, h('li', {}, `Could not load the people: ${error.message}`));
    }
  }

  #memberRow(member) {
    const inputId = `share-team-${member.id}`;
    const input = h('input', { id: inputId, type: 'text', value: member.team || '', autocomplete: 'off', placeholder: 'e.g. Ops, Security' });
    const status = h('span', { class: 'member-status', role: 'status', id: `${inputId}-status` });
    input.setAttribute('aria-describedby', status.id);
    let saved = member.team || '';
    const save = async () => {
      const team = input.value.trim();
      if (team === saved) return;
      status.textContent = 'Saving…';
      input.removeAttribute('aria-invalid');
      try {
        const answer = await api('PATCH', `/api/workshops/${this.workshopId}/members/${member.id}/`, { team });
        saved = answer.team;
        input.value = answer.team;
        status.textContent = 'Saved';
      } catch (error) {
        input.setAttribute('aria-invalid', 'true');
        status.textContent = `Not saved: ${error.message}`;
      }
    };
    input.addEventListener('change', save);
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') { event.preventDefault(); save(); }
    });
    const me = this.session.me?.id === member.user ? ' (you)' : '';
    return h('li', { dataset: { member: String(member.id) } },
      h('label', { for: inputId }, h('strong', {}, `${member.name}${me}`), ' ', h('span', { class: 'muted' }, member.role), h('span', { class: 'visually-hidden' }, ': team')),
      input, status);
  }
}
