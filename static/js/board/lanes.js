// The timeline's lanes: activities sit in rows, lane 0 the main flow and lane 1, 2… its
// parallel branches, each row LANE_HEIGHT below the one before, as the starter maps and the
// demo lay them out (streams/services/starters.py). An activity moved, pasted or duplicated
// lands on its lane's row and clear of the other activities of that lane, so lanes stay
// tidy; what moves with it (its wastes, notes in the same selection or clip) keeps its place
// relative to it.
//
// Pure functions (tests/js/lanes.test.mjs); app.js and clipboard.js apply them.

export const LANE_TOP = 80;
export const LANE_HEIGHT = 200;
export const LANE_GAP = 20; // between two activities of a lane
export const ACTIVITY_WIDTH = 200;
export const MAX_LANE = 100; // the server's rule (streams.kinds: lane 0..100)

const clampLane = (lane) => Math.min(MAX_LANE, Math.max(0, lane));

/** The lane whose row is nearest to `y`. */
export function laneOf(y) {
  return clampLane(Math.round((Number(y) - LANE_TOP) / LANE_HEIGHT));
}

/** The y of lane `lane`'s row. */
export function laneY(lane) {
  return LANE_TOP + clampLane(lane) * LANE_HEIGHT;
}

function overlaps(x, width, other, gap) {
  return x < other.x + other.width + gap && other.x < x + width + gap;
}

/**
 * Where a group of moved (or pasted) stickies lands.
 *
 * `items`: [{key, kind, x, y, width?, originY?}] the places they were dropped at (activities
 * `width` defaults to ACTIVITY_WIDTH; `originY` is where an activity was before a keyboard
 * move). `others`: [{x, lane, width?}] the activities that stay where they are.
 * `keyboardDy`: for a move by the arrow keys, how far up (<0) or down (>0) they went: the
 * activities go that many lanes (at least one), since a few pixels would snap back.
 *
 * The group moves as one: vertically so that its top activity is on its lane's row (each
 * other activity then on its own lane's row), and, when an activity would overlap one of
 * its lane, sideways by the least distance that clears every lane. Returns a Map key ->
 * {x, y} (and `lane` for activities).
 */
export function placeOnLanes(items, others = [], { keyboardDy = null, gap = LANE_GAP } = {}) {
  const places = new Map();
  const activities = items.filter((item) => item.kind === 'activity');
  if (!activities.length) {
    for (const item of items) places.set(item.key, { x: Math.round(item.x), y: Math.round(item.y) });
    return places;
  }
  const anchor = activities.reduce((top, item) => (item.y < top.y || (item.y === top.y && item.x < top.x) ? item : top));
  let lane;
  if (keyboardDy !== null && keyboardDy !== undefined) {
    const from = laneOf(anchor.originY ?? anchor.y);
    const steps = Math.max(1, Math.round(Math.abs(keyboardDy) / LANE_HEIGHT));
    lane = keyboardDy === 0 ? from : clampLane(from + Math.sign(keyboardDy) * steps);
  } else lane = laneOf(anchor.y);
  const dy = laneY(lane) - anchor.y;
  const placed = activities.map((item) => {
    const itemLane = laneOf(item.y + dy);
    return { item, lane: itemLane, y: laneY(itemLane), width: item.width ?? ACTIVITY_WIDTH };
  });
  const obstacles = others.map((other) => ({ ...other, width: other.width ?? ACTIVITY_WIDTH }));
  const clear = (dx) => placed.every(({ item, lane: itemLane, width }) =>
    obstacles.every((other) => other.lane !== itemLane || !overlaps(item.x + dx, width, other, gap)));
  let dx = 0;
  if (!clear(0)) {
    const candidates = [];
    for (const { item, lane: itemLane, width } of placed) {
      for (const other of obstacles) {
        if (other.lane !== itemLane) continue;
        candidates.push(other.x + other.width + gap - item.x, other.x - width - gap - item.x);
      }
    }
    candidates.sort((a, b) => Math.abs(a) - Math.abs(b) || b - a);
    dx = candidates.find(clear) ?? 0;
  }
  for (const { item, lane: itemLane, y } of placed) places.set(item.key, { x: Math.round(item.x + dx), y, lane: itemLane });
  for (const item of items) {
    if (item.kind !== 'activity') places.set(item.key, { x: Math.round(item.x + dx), y: Math.round(item.y + dy) });
  }
  return places;
}

/** The activities of the board that stay put, as obstacles in their lanes' rows. */
export function standingActivities(activities, moving = new Set()) {
  return activities.filter((activity) => !moving.has(`activity:${activity.id}`))
    .map((activity) => ({ x: activity.x, lane: laneOf(activity.y) }));
}

/** A move of the selection (Map key -> {x, y} where it was dropped; `origins` where it was)
 * put on the lanes: the same Map shape, activities with their `lane`. */
export function laneTargets(activities, targets, origins, keyboardDy = null) {
  const items = [...targets].map(([key, place]) => ({
    key, kind: key.split(':')[0], x: place.x, y: place.y, originY: origins?.get(key)?.y,
  }));
  if (!items.some((item) => item.kind === 'activity')) return targets;
  return placeOnLanes(items, standingActivities(activities, new Set(targets.keys())), { keyboardDy });
}

/** The create ops of a paste or a duplicate, their stickies put on the lanes as one group
 * (links and other position-less ops as they are). */
export function pastedOnLanes(ops, activities) {
  const items = ops.map((op, index) => ({ op, index })).filter(({ op }) => op.data && Number.isFinite(op.data.x) && Number.isFinite(op.data.y))
    .map(({ op, index }) => ({ key: String(index), kind: op.op.split('.')[0], x: op.data.x, y: op.data.y }));
  if (!items.some((item) => item.kind === 'activity')) return ops;
  const places = placeOnLanes(items, standingActivities(activities));
  return ops.map((op, index) => (places.has(String(index)) ? { ...op, data: { ...op.data, ...places.get(String(index)) } } : op));
}
