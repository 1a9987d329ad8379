// The board app's view of the live socket, over ../board-socket.js (which owns it): ops as
// promises (an `applied` frame resolves, a rejection rejects with OpRejected: .reason,
// .frame), one `frame` event for every frame in order, and the connection state.

import { BoardSocket } from '../board-socket.js';

export class Connection extends EventTarget {
  constructor({ streamId }) {
    super();
    this.socket = new BoardSocket(`/ws/streams/${streamId}/`);
    for (const type of ['welcome', 'snapshot', 'applied', 'synced', 'rejected', 'presence', 'frame']) {
      this.socket.addEventListener(type, (event) => this.dispatchEvent(new CustomEvent('frame', { detail: event.detail })));
    }
    this.socket.addEventListener('state', (event) => this.dispatchEvent(new CustomEvent('state', { detail: event.detail })));
  }

  get state() { return this.socket.state; }
  get pending() { return this.socket.pending; }

  start() { this.socket.start(); }

  op(op, data) {
    return this.socket.op(op, data).catch((error) => {
      if (error?.frame) error.detail = error.frame.detail || error.message;
      throw error;
    });
  }

  /** Ephemeral frames: cursor, editing, sync, follow. */
  send(frame) {
    if (frame.type === 'cursor') this.socket.cursor(frame.x, frame.y);
    else if (frame.type === 'editing') this.socket.editing(frame.target);
    else if (frame.type === 'sync') this.socket.sync();
    else if (frame.type === 'follow') this.socket.follow(frame.viewport);
  }
}
