// The board app's view of the live socket: ops as promises (resolved by their `applied`
// frame, rejected by their `rejected` frame), ephemeral frames, and the connection state.
// PROVISIONAL: a minimal socket until static/js/board-socket.js lands; then this wraps it.

export class Connection extends EventTarget {
  constructor({ streamId }) {
    super();
    this.streamId = streamId;
    this.state = 'connecting';
    this.seq = null;
    this.waiting = new Map(); // op id -> {frame, resolve, reject}
    this.socket = null;
    this.delay = 500;
  }

  get pending() {
    return this.waiting.size;
  }

  start() {
    this.#open();
  }

  op(op, data) {
    const id = crypto.randomUUID();
    const frame = { type: 'op', id, op, data };
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { frame, resolve, reject });
      if (this.state === 'connected') this.#send(frame);
      this.#announce();
    });
  }

  send(frame) {
    if (this.state === 'connected') this.#send(frame);
  }

  #send(frame) {
    try { this.socket.send(JSON.stringify(frame)); } catch { /* reconnect resends ops */ }
  }

  #open() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const since = this.seq === null ? '' : `?since=${this.seq}`;
    const socket = new WebSocket(`${scheme}://${location.host}/ws/streams/${this.streamId}/${since}`);
    this.socket = socket;
    socket.addEventListener('message', (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      this.#receive(frame);
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      if (event.code === 4401 || event.code === 4404) {
        this.#setState('offline');
        return;
      }
      this.#setState(navigator.onLine === false ? 'offline' : 'reconnecting');
      this.delay = Math.min(this.delay * 2, 15000);
      window.setTimeout(() => this.#open(), this.delay / 2 + Math.random() * this.delay / 2);
    });
  }

  #receive(frame) {
    if (typeof frame.seq === 'number' && (frame.type === 'applied' || frame.type === 'snapshot')) this.seq = frame.seq;
    if (frame.type === 'synced') {
      this.delay = 500;
      this.#setState('connected');
      for (const { frame: op } of this.waiting.values()) this.#send(op);
    }
    this.dispatchEvent(new CustomEvent('frame', { detail: frame }));
    if ((frame.type === 'applied' || frame.type === 'ack' || frame.type === 'rejected') && frame.id && this.waiting.has(frame.id)) {
      const entry = this.waiting.get(frame.id);
      this.waiting.delete(frame.id);
      if (frame.type === 'rejected') entry.reject(frame);
      else entry.resolve(frame);
      this.#announce();
    }
  }

  #setState(state) {
    this.state = state;
    this.#announce();
  }

  #announce() {
    this.dispatchEvent(new CustomEvent('state', { detail: { state: this.state, pending: this.pending } }));
  }
}
