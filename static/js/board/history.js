// Undo and redo of this person's own changes, as inverse ops sent through the same socket
// (so everyone sees an undo like any other change). A change is a list of ops; its inverse
// is worked out from the store before sending. Re-creating a deleted object gives it a new
// id, so ids in the remaining history are remapped when that happens. The same remapping
// lets one change create objects that refer to each other: a create op may carry a
// `placeholder` id (negative), and references to it in the change's later ops (a link's
// source, a waste's activity) become the created object's id before they are sent. A tracker
// state is only ever updated (`state.update`, its activity on this map): its inverse is the
// same op with the activity it had.
//
// An edit may carry the `version` it was made against (the server refuses it with a
// `conflict` if someone else changed those fields since, docs/realtime.md). That is the
// edit's own claim: once applied, its redo and its undo are sent without a version, as every
// undo always was (last writer wins).

const READ_ONLY = new Set(['id', 'version', 'member', 'stream', 'created_at', 'updated_at']);
const REFERENCES = {
  activity: [['link', 'source'], ['link', 'target'], ['waste', 'activity'], ['state', 'activity']],
  waste: [['countermeasure', 'waste'], ['vote', 'waste']],
};

export class History extends EventTarget {
  constructor({ connection, store }) {
    super();
    this.connection = connection;
    this.store = store;
    this.done = [];
    this.undone = [];
    this.busy = false;
    this.running = new Set(); // changes being sent
  }

  get canUndo() { return this.done.length > 0 && !this.busy; }
  get canRedo() { return this.undone.length > 0 && !this.busy; }

  /** Sends the ops of one change in order and records it; resolves with the applied frames. */
  async change(label, ops, { record = true } = {}) {
    const steps = ops.map(({ op, data, placeholder }) => {
      const inverse = this.#inverse(op, data);
      if (placeholder !== undefined && op.endsWith('.create')) inverse.data = { id: placeholder };
      return { kind: op.split('.')[0], forward: { op, data }, inverse };
    });
    const entry = { label, steps };
    if (record) {
      this.done.push(entry);
      this.undone = [];
      this.#changed();
    }
    try {
      return await this.#run(entry, 'forward');
    } catch (error) {
      if (record) this.#drop(entry);
      throw error;
    } finally {
      for (const step of steps) {
        if (step.forward.data && 'version' in step.forward.data) {
          const { version, ...rest } = step.forward.data;
          step.forward.data = rest;
        }
      }
    }
  }

  async undo() { return this.#step(this.done, this.undone, 'inverse', 'Undid'); }
  async redo() { return this.#step(this.undone, this.done, 'forward', 'Redid'); }

  async #step(from, to, direction, verb) {
    if (this.busy || from.length === 0) return null;
    const entry = from.pop();
    this.busy = true;
    this.#changed();
    try {
      await this.#run(entry, direction);
      to.push(entry);
      return `${verb} ${entry.label}`;
    } catch (error) {
      // The board moved on (someone deleted the object, say): this change cannot be replayed.
      throw error;
    } finally {
      this.busy = false;
      this.#changed();
    }
  }

  async #run(entry, direction) {
    const steps = direction === 'inverse' ? [...entry.steps].reverse() : entry.steps;
    const frames = [];
    // While it runs an entry may be in neither list (undo and redo move it once done), yet
    // its own later steps must see the ids its creates got.
    this.running.add(entry);
    try {
      for (const step of steps) {
        const { op, data } = step[direction];
        const frame = await this.connection.op(op, data);
        frames.push(frame);
        const other = step[direction === 'forward' ? 'inverse' : 'forward'];
        if (op.endsWith('.create') && frame.data?.id !== undefined) {
          const previous = other.data?.id;
          if (previous === undefined) other.data = { id: frame.data.id };
          else if (previous !== frame.data.id) this.#remap(step.kind, previous, frame.data.id);
        }
      }
    } finally {
      this.running.delete(entry);
    }
    return frames;
  }

  #inverse(op, data) {
    const [kind, action] = op.split('.');
    const current = this.store.get(kind, data.id);
    if (action === 'create') return { op: `${kind}.delete`, data: {} }; // id known once applied
    if (action === 'delete') {
      const fields = Object.fromEntries(Object.entries(current || {}).filter(([name]) => !READ_ONLY.has(name)));
      return { op: `${kind}.create`, data: fields };
    }
    const previous = { id: data.id };
    for (const name of Object.keys(data)) if (!READ_ONLY.has(name) && current) previous[name] = current[name];
    return { op, data: previous };
  }

  #remap(kind, from, to) {
    for (const entry of new Set([...this.done, ...this.undone, ...this.running])) {
      for (const step of entry.steps) {
        for (const side of [step.forward, step.inverse]) {
          if (!side.data) continue;
          if (step.kind === kind && side.data.id === from) side.data = { ...side.data, id: to };
          for (const [dependent, field] of REFERENCES[kind] || []) {
            if (step.kind === dependent && side.data[field] === from) side.data = { ...side.data, [field]: to };
          }
        }
      }
    }
  }

  #drop(entry) {
    this.done = this.done.filter((other) => other !== entry);
    this.#changed();
  }

  #changed() {
    this.dispatchEvent(new CustomEvent('change'));
  }
}
