// Which stickies and links are selected, as keys "<kind>:<id>".

export class Selection extends EventTarget {
  constructor() {
    super();
    this.keys = new Set();
  }

  has(key) { return this.keys.has(key); }
  get size() { return this.keys.size; }

  items() {
    return [...this.keys].map((key) => {
      const [kind, id] = key.split(':');
      return { kind, id: Number(id), key };
    });
  }

  set(keys) {
    this.keys = new Set(keys);
    this.#changed();
  }

  toggle(key) {
    if (this.keys.has(key)) this.keys.delete(key);
    else this.keys.add(key);
    this.#changed();
  }

  forget(key) {
    if (this.keys.delete(key)) this.#changed();
  }

  clear() {
    if (this.keys.size) this.set([]);
  }

  #changed() {
    this.dispatchEvent(new CustomEvent('change'));
  }
}
