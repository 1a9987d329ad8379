// The person's standing on this board: their role, who they are, what the server lets them
// change and the server's limits. The page says what it knows at load; the socket's `welcome`
// frame says it again (a role changed meanwhile) and adds the person and the limits. Panels
// ask here, never keep a copy, so a `welcome` after a reconnection reaches all of them.

export class Session {
  /** `store` answers whether the board is locked; `role` and `serverCanEdit` are the page's. */
  constructor({ store, role, serverCanEdit }) {
    this.store = store;
    this.role = role;
    this.serverCanEdit = Boolean(serverCanEdit);
    this.me = null; // {id, name, member, ...}, from the welcome frame
    this.limits = null; // the server's, from the welcome frame
  }

  /** Takes the socket's word on the person (a `welcome` frame). */
  welcome(frame) {
    this.role = frame.role;
    this.serverCanEdit = Boolean(frame.can_edit);
    this.me = frame.user;
    this.limits = frame.limits || null;
  }

  get facilitator() {
    return this.role === 'facilitator';
  }

  /** Whether the person may change the map now: their role allows it and, unless they lead
   * the workshop, the board is not locked. */
  canEdit() {
    if (!this.serverCanEdit) return false;
    return !(this.store.stream?.locked && !this.facilitator);
  }

  canVote() {
    return this.canEdit();
  }

  /** The most characters the server takes in `field` of `kind` (null: no text limit known). */
  maxLength(kind, field) {
    return this.limits?.max_length?.[kind]?.[field] ?? null;
  }
}
