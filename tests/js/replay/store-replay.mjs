// Reads recorded board frames (JSON, an array) from the file named by argv[2], applies them
// in order to the browser's BoardStore and prints its objects, kind by kind, as JSON.
// tests/streams/test_store_replay.py records the frames from a live socket and compares.
import { readFileSync } from 'node:fs';
import { BoardStore, KINDS } from '../../../static/js/board/store.js';

const frames = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const store = new BoardStore();
const events = [];
for (const type of ['reset', 'change', 'votes', 'stream', 'workshop', 'summary']) {
  store.addEventListener(type, () => events.push(type));
}
for (const frame of frames) store.apply(frame);
const objects = Object.fromEntries(Object.entries(KINDS).map(([kind, plural]) => [
  plural, store.list(kind).sort((a, b) => a.id - b.id),
]));
process.stdout.write(JSON.stringify({
  seq: store.seq, stream: store.stream, objects, summary: store.summary !== null, hiddenVotes: store.hiddenVotes, events,
}));
