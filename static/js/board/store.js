// The board as this client knows it: a snapshot, then `applied` frames in seq order (the
// socket client guarantees the order). Listeners hear what changed; nothing here touches DOM.

export const KINDS = {
  activity: 'activities',
  link: 'links',
  waste: 'wastes',
  countermeasure: 'countermeasures',
  note: 'notes',
  vote: 'votes',
  state: 'work_states', // the workshop's tracker states, each with its activity on this map
};

export class BoardStore extends EventTarget {
  constructor() {
    super();
    this.loaded = false;
    this.seq = 0;
    this.stream = null;
    this.workshop = null;
    this.me = null;
    this.summary = null;
    this.hiddenVotes = 0; // others' dots cast while hidden (we only see that they happened)
    this.objects = Object.fromEntries(Object.keys(KINDS).map((kind) => [kind, new Map()]));
  }

  get(kind, id) {
    return this.objects[kind]?.get(id);
  }

  list(kind) {
    return [...this.objects[kind].values()];
  }

  /** Activities in flow order (the lane, left to right). */
  activities() {
    return this.list('activity').sort((a, b) => a.order - b.order || a.x - b.x || a.id - b.id);
  }

  myVotes(wasteId) {
    return this.list('vote').filter((vote) => vote.member === this.me?.member && (wasteId === undefined || vote.waste === wasteId));
  }

  votesOn(wasteId) {
    return this.list('vote').filter((vote) => vote.waste === wasteId).length;
  }

  /** Applies a board frame; returns true when it was one the store understands. */
  apply(frame) {
    if (frame.type === 'snapshot') this.#snapshot(frame);
    else if (frame.type === 'applied') this.#applied(frame);
    else if (frame.type === 'summary') {
      this.summary = frame.summary;
      this.#emit('summary', {});
    } else return false;
    return true;
  }

  #snapshot(frame) {
    this.seq = frame.seq;
    this.stream = frame.stream;
    this.workshop = frame.workshop;
    if (frame.me) this.me = frame.me;
    this.hiddenVotes = 0;
    for (const [kind, plural] of Object.entries(KINDS)) {
      this.objects[kind] = new Map((frame[plural] || []).map((obj) => [obj.id, obj]));
    }
    this.loaded = true;
    this.#emit('reset', {});
  }

  #applied(frame) {
    if (typeof frame.seq === 'number') this.seq = Math.max(this.seq, frame.seq);
    const [kind, action] = String(frame.op).split('.');
    if (frame.hidden) {
      if (kind === 'vote') this.hiddenVotes += action === 'create' ? 1 : action === 'delete' ? -1 : 0;
      this.#emit('votes', { frame });
      return;
    }
    const data = frame.data;
    if (kind === 'stream') {
      this.stream = { ...this.stream, ...data };
      this.#emit('stream', { frame });
      return;
    }
    if (kind === 'workshop') {
      this.workshop = { ...this.workshop, ...data };
      this.#emit('workshop', { frame });
      return;
    }
    const objects = this.objects[kind];
    if (!objects || !data) return;
    if (action === 'delete') {
      const before = objects.get(data.id);
      objects.delete(data.id);
      this.#cascade(kind, data.id);
      this.#emit('change', { kind, id: data.id, action, before, frame });
    } else {
      const before = objects.get(data.id);
      objects.set(data.id, data);
      this.#emit('change', { kind, id: data.id, action, before, object: data, frame });
    }
  }

  /** Tracker states in workflow order. */
  states() {
    return this.list('state').sort((a, b) => a.order - b.order || a.id - b.id);
  }

  /** What the database does on delete: links go with their activities, a waste's dots and
   * countermeasures with it, a waste and a tracker state forget a deleted activity. */
  #cascade(kind, id) {
    const drop = (dependent, test) => {
      for (const obj of this.list(dependent)) {
        if (test(obj)) {
          this.objects[dependent].delete(obj.id);
          this.#emit('change', { kind: dependent, id: obj.id, action: 'delete', before: obj, cascade: true });
        }
      }
    };
    if (kind === 'activity') {
      drop('link', (link) => link.source === id || link.target === id);
      for (const dependent of ['waste', 'state']) {
        for (const object of this.list(dependent)) {
          if (object.activity !== id) continue;
          const after = { ...object, activity: null };
          this.objects[dependent].set(object.id, after);
          this.#emit('change', { kind: dependent, id: object.id, action: 'update', before: object, object: after, cascade: true });
        }
      }
    } else if (kind === 'waste') {
      drop('countermeasure', (countermeasure) => countermeasure.waste === id);
      drop('vote', (vote) => vote.waste === id);
    }
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
