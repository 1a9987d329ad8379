// The board's live socket (protocol: docs/realtime.md). Owns the WebSocket: connects,
// reconnects with jittered exponential backoff, resyncs with `?since=<seq>`, tracks pending
// ops by client uuid (re-sent after a reconnect; the server acks duplicates), delivers op
// frames in seq order, and reports the connection state for the UI.
//
//   const socket = new BoardSocket('/ws/streams/7/');
//   socket.addEventListener('snapshot', (e) => render(e.detail));
//   socket.addEventListener('applied', (e) => apply(e.detail));
//   socket.addEventListener('state', (e) => show(e.detail.state, e.detail.pending));
//   socket.start();
//   await socket.op('note.create', { text: 'Why?' });   // resolves with the `applied` frame
//
// Events (CustomEvent, frame in `detail`): welcome, snapshot, applied (in seq order, hidden
// vote frames included), synced, rejected, presence, frame (anything else, e.g. `summary`),
// state ({state, pending, attempt}). States: connecting, connected, reconnecting (an attempt to
// get back is under way), offline (the network is gone: the browser says so, or the link went
// silent; between attempts, changes wait and are sent when it is back), closed (the server
// refused us: 4401 signed out, 4404 no such board; no retry).
//
// A link can die without a close (Wi-Fi gone, a laptop lid): it is declared dead when no frame
// came for a heartbeat and a half (the server sends one every `welcome.heartbeat` seconds),
// or, sooner, when an op waits for its answer: after `probeAfter` ms of silence the client
// pings, and if nothing comes back within `probeAfter` ms more, it is offline.

// 4429: the person opened the board in too many tabs and this one, the oldest, was closed;
// reconnecting would close the next oldest (docs/realtime.md).
export const TERMINAL_CLOSE_CODES = new Set([4401, 4404, 4429]);

export class OpRejected extends Error {
  constructor(frame) {
    super(frame.detail || frame.reason);
    this.name = 'OpRejected';
    this.frame = frame;
    this.reason = frame.reason;
  }
}

function uuid() {
  if (globalThis.crypto?.randomUUID) return globalThis.crypto.randomUUID();
  return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (c) => {
    const r = (Math.random() * 16) | 0;
    return (c === 'x' ? r : (r & 0x3) | 0x8).toString(16);
  });
}

export class BoardSocket extends EventTarget {
  /**
   * @param {string} path  e.g. '/ws/streams/7/' (made absolute against location) or a ws(s) URL
   * @param {object} [options]
   */
  constructor(path, options = {}) {
    super();
    this.url = /^wss?:/.test(path)
      ? path
      : `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
    this.minDelay = options.minDelay ?? 500;
    this.maxDelay = options.maxDelay ?? 15000;
    this.offlineAfter = options.offlineAfter ?? 3; // failed attempts before "offline"
    this.probeAfter = options.probeAfter ?? 3000; // an op unanswered this long: ping
    this.WebSocketImpl = options.WebSocketImpl ?? globalThis.WebSocket;
    this.state = 'connecting';
    this.seq = null; // last op seq applied; null until the first snapshot
    this.welcome = null;
    this.attempt = 0;
    this.socket = null;
    this.generation = 0; // one per socket, to know which pending ops went out on this one
    this.pendingOps = new Map(); // id -> {op, data, resolve, reject, sentOn}
    this.heartbeatMs = 20000;
    this.watchdog = null;
    this.liveness = null; // the timer that checks the link while connected
    this.lastFrameAt = 0;
    this.probeSentAt = 0;
    this.networkLost = false; // the last drop was the network's (silence, the browser offline)
    this.retryTimer = null;
    this.cursorTimer = null;
    this.cursorLatest = null;
    this.cursorSentAt = 0;
    this.stopped = false;
    this.onOnline = () => this.#retryNow();
    this.onOffline = () => this.#linkLost();
  }

  get pending() {
    return this.pendingOps.size;
  }

  start() {
    this.stopped = false;
    globalThis.addEventListener?.('online', this.onOnline);
    globalThis.addEventListener?.('offline', this.onOffline);
    this.#open();
  }

  stop() {
    this.stopped = true;
    globalThis.removeEventListener?.('online', this.onOnline);
    globalThis.removeEventListener?.('offline', this.onOffline);
    clearTimeout(this.retryTimer);
    clearTimeout(this.watchdog);
    clearInterval(this.liveness);
    if (this.socket) this.socket.close(1000);
    this.#setState('closed');
  }

  /** Sends an op; resolves with its `applied` (or `ack`) frame, rejects with OpRejected. */
  op(op, data) {
    const id = uuid();
    return new Promise((resolve, reject) => {
      const entry = { op, data, resolve, reject, sentOn: 0 };
      this.pendingOps.set(id, entry);
      if (this.state === 'connected') this.#sendOp(id, entry);
      this.#announce();
    });
  }

  /** Shares the pointer position; at most 20 a second, the latest wins. */
  cursor(x, y) {
    this.cursorLatest = { x, y };
    const wait = 50 - (Date.now() - this.cursorSentAt);
    if (wait <= 0) this.#flushCursor();
    else if (!this.cursorTimer) this.cursorTimer = setTimeout(() => this.#flushCursor(), wait);
  }

  /** Tells the others which object you are editing ({kind, id}), or null when done. */
  editing(target) {
    this.#send({ type: 'editing', target });
  }

  /** Facilitators: everyone's view follows this viewport {x, y, zoom}; null stops. */
  follow(viewport) {
    this.#send({ type: 'follow', viewport });
  }

  /** Asks for a fresh snapshot (e.g. after a seq gap, which should never happen). */
  sync() {
    this.#send({ type: 'sync' });
  }

  // Internals ---------------------------------------------------------------------------

  #open() {
    clearTimeout(this.retryTimer);
    if (this.stopped) return;
    const url = this.seq === null ? this.url : `${this.url}?since=${this.seq}`;
    if (this.state === 'offline') this.#setState('reconnecting');
    const socket = new this.WebSocketImpl(url);
    this.socket = socket;
    this.generation += 1;
    this.#armWatchdog(); // an attempt that never opens nor closes counts as silence too
    socket.addEventListener('message', (event) => {
      if (socket !== this.socket) return;
      this.lastFrameAt = Date.now();
      this.probeSentAt = 0;
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        data = null;
      }
      // A message is one frame, or an array of frames that were queued together.
      for (const frame of Array.isArray(data) ? data : [data]) {
        if (frame && typeof frame === 'object') this.#receive(frame);
      }
      if (socket === this.socket) this.#armWatchdog(); // after a welcome's heartbeat is known
    });
    socket.addEventListener('close', (event) => {
      if (socket !== this.socket) return;
      this.#closed(event.code);
    });
    socket.addEventListener('open', () => this.#armWatchdog());
  }

  #receive(frame) {
    switch (frame.type) {
      case 'welcome':
        this.welcome = frame;
        this.heartbeatMs = (frame.heartbeat || 20) * 1000;
        this.#emit('welcome', frame);
        break;
      case 'snapshot':
        this.seq = frame.seq;
        this.#emit('snapshot', frame);
        break;
      case 'applied':
        this.#applied(frame);
        break;
      case 'synced':
        this.attempt = 0;
        this.networkLost = false;
        this.#setState('connected');
        this.#watchLiveness();
        this.#emit('synced', frame);
        // Whatever is still pending was not applied before we got here: (re)send it. An op
        // that did reach the server before the drop is answered with an `ack`, not applied twice.
        for (const [id, entry] of this.pendingOps) {
          if (entry.sentOn !== this.generation) this.#sendOp(id, entry);
        }
        break;
      case 'ack':
        this.#settle(frame.id, frame);
        break;
      case 'rejected': {
        const entry = frame.id ? this.pendingOps.get(frame.id) : null;
        if (entry) {
          this.pendingOps.delete(frame.id);
          entry.reject(new OpRejected(frame));
          this.#announce();
        }
        this.#emit('rejected', frame);
        break;
      }
      case 'heartbeat':
        if (this.seq !== null && frame.seq > this.seq) this.sync();
        break;
      case 'presence':
        this.#emit('presence', frame);
        break;
      default:
        this.#emit('frame', frame);
    }
  }

  #applied(frame) {
    if (this.seq !== null && frame.seq <= this.seq) {
      this.#settle(frame.id, frame); // already applied (e.g. in a snapshot): an ack only
      return;
    }
    if (this.seq === null || frame.seq !== this.seq + 1) {
      this.sync(); // a gap: never expected (the server orders frames), but recoverable
      return;
    }
    this.seq = frame.seq;
    const own = Boolean(frame.id && this.pendingOps.has(frame.id));
    this.#emit('applied', { ...frame, own });
    this.#settle(frame.id, frame);
  }

  #settle(id, frame) {
    const entry = id ? this.pendingOps.get(id) : null;
    if (!entry) return;
    this.pendingOps.delete(id);
    entry.resolve(frame);
    this.#announce();
  }

  #sendOp(id, entry) {
    if (this.#send({ type: 'op', id, op: entry.op, data: entry.data })) {
      entry.sentOn = this.generation;
      entry.sentAt = Date.now();
    }
  }

  #send(frame) {
    if (!this.socket || this.socket.readyState !== 1) return false;
    try {
      this.socket.send(JSON.stringify(frame));
      return true;
    } catch {
      return false; // the close handler reconnects; pending ops are re-sent after `synced`
    }
  }

  #flushCursor() {
    clearTimeout(this.cursorTimer);
    this.cursorTimer = null;
    if (!this.cursorLatest || this.state !== 'connected') return;
    this.cursorSentAt = Date.now();
    this.#send({ type: 'cursor', ...this.cursorLatest });
    this.cursorLatest = null;
  }

  #closed(code, { silent = false } = {}) {
    clearTimeout(this.watchdog);
    clearInterval(this.liveness);
    this.socket = null;
    if (this.stopped) return;
    if (TERMINAL_CLOSE_CODES.has(code)) {
      this.#setState('closed', code);
      return;
    }
    this.attempt += 1;
    // A link that went silent, or a browser without network, is offline at once (and between
    // the attempts that follow); a close from the server (a restart, say) is first worth a
    // few quick attempts.
    if (silent) this.networkLost = true;
    const offline = this.networkLost || globalThis.navigator?.onLine === false
      || this.attempt > this.offlineAfter;
    this.#setState(offline ? 'offline' : 'reconnecting');
    if (globalThis.navigator?.onLine === false) return; // the `online` event brings us back
    const ceiling = Math.min(this.maxDelay, this.minDelay * 2 ** (this.attempt - 1));
    const delay = ceiling / 2 + Math.random() * (ceiling / 2); // jitter: no thundering herd
    this.retryTimer = setTimeout(() => this.#open(), delay);
  }

  /** The link is gone without a close we could wait for (no network, or silence): drop the
   * socket, say offline, and try again (at once when the browser is back online). */
  #linkLost() {
    if (this.stopped || this.state === 'closed') return;
    const socket = this.socket;
    if (socket) {
      this.socket = null; // its close event, whenever it comes, is no longer ours
      try { socket.close(4000); } catch { /* already closing */ }
    } else if (this.state === 'offline') return;
    clearTimeout(this.retryTimer);
    this.#closed(4000, { silent: true });
  }

  #retryNow() {
    if (this.stopped || this.state === 'connected' || this.state === 'closed') return;
    if (globalThis.navigator?.onLine === false) {
      this.#setState('offline');
      return;
    }
    if (!this.socket) {
      this.#setState('reconnecting');
      this.#open();
    }
  }

  #armWatchdog() {
    // No frame at all (heartbeats included) for a heartbeat and a half: the link is dead.
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.#linkLost(), this.heartbeatMs * 1.5);
  }

  /** While connected: an op waiting for its answer in silence gets a ping after
   * `probeAfter`; no frame within `probeAfter` more and the link is dead. */
  #watchLiveness() {
    clearInterval(this.liveness);
    const socket = this.socket;
    this.liveness = setInterval(() => {
      if (socket !== this.socket || this.state !== 'connected') {
        clearInterval(this.liveness);
        return;
      }
      const now = Date.now();
      if (this.probeSentAt) {
        if (now - this.probeSentAt >= this.probeAfter) this.#linkLost();
        return;
      }
      let waiting = false;
      for (const entry of this.pendingOps.values()) {
        if (entry.sentOn === this.generation && now - entry.sentAt >= this.probeAfter) waiting = true;
      }
      if (waiting && now - this.lastFrameAt >= this.probeAfter && this.#send({ type: 'ping' })) {
        this.probeSentAt = now;
      }
    }, Math.min(1000, this.probeAfter / 2));
  }

  #setState(state, code = null) {
    this.state = state;
    this.#emit('state', { state, pending: this.pending, attempt: this.attempt, code });
  }

  #announce() {
    this.#emit('state', { state: this.state, pending: this.pending, attempt: this.attempt });
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
