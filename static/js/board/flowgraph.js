// The flow as the board sees it, in pure functions of the store's plain objects (no DOM):
// which links carry the flow and which are rework loops, which activities are on no path,
// what the summary's critical path marks, which stickies travel with a moved activity.
// The flow maths itself (lead time, the critical path, rework) stays on the server
// (metrics/flow.py); these only read it or mirror its graph rules.

export const REWORK = 'rework';

export function isRework(link) {
  return link?.kind === REWORK;
}

/** The links that carry the work forward (everything but rework loops). */
export function flowLinks(links) {
  return links.filter((link) => !isRework(link));
}

/** Activities sorted as the flow runs without links: (order, id), as metrics/flow.py. */
function byFlowOrder(activities) {
  return [...activities].sort((a, b) => a.order - b.order || a.id - b.id);
}

/** Whether the flow leads from activity `from` to activity `to`: along the flow links, or,
 * on a map without any, by flow order (one chain). The rule a rework loop `to -> from` must
 * meet on the server (streams/services/board.py `_check_link`). */
export function flowLeads(activities, links, from, to) {
  if (from === to) return false;
  const flow = flowLinks(links);
  if (!flow.length) {
    const order = byFlowOrder(activities).map((activity) => activity.id);
    const start = order.indexOf(from);
    return start >= 0 && order.indexOf(to) > start;
  }
  const next = new Map();
  for (const link of flow) {
    if (!next.has(link.source)) next.set(link.source, []);
    next.get(link.source).push(link.target);
  }
  const seen = new Set([from]);
  const frontier = [from];
  while (frontier.length) {
    const node = frontier.pop();
    if (node === to) return true;
    for (const target of next.get(node) || []) {
      if (!seen.has(target)) { seen.add(target); frontier.push(target); }
    }
  }
  return false;
}

/** Ids of the activities on no path of a linked map: it has flow links, they have none (so
 * their time is left out of the lead time, while their %C&A still counts in rolled %C&A). A
 * map without flow links is one chain: nothing is left out. */
export function unlinkedActivities(activities, links) {
  const flow = flowLinks(links);
  if (!flow.length) return new Set();
  const linked = new Set();
  for (const link of flow) { linked.add(link.source); linked.add(link.target); }
  return new Set(activities.filter((activity) => !linked.has(activity.id)).map((activity) => activity.id));
}

/** What the summary says of the map, limited to what is on the board now: the activities of
 * the critical path, its flow links (between consecutive path activities), its bottleneck. */
export function criticalMarks(summary, activities, links) {
  const known = new Set(activities.map((activity) => activity.id));
  const path = (summary?.critical_path || []).filter((id) => known.has(id));
  const pairs = new Set();
  for (let index = 1; index < path.length; index += 1) pairs.add(`${path[index - 1]}>${path[index]}`);
  const pathLinks = new Set(flowLinks(links).filter((link) => pairs.has(`${link.source}>${link.target}`)).map((link) => link.id));
  const bottleneck = known.has(summary?.bottleneck) ? summary.bottleneck : null;
  return { path: new Set(path), links: pathLinks, bottleneck };
}

/** The share of work a rework loop sends back, in percent: what its source does not get
 * complete & accurate (100 − its %C&A). */
export function reworkShare(source) {
  const pca = Number(source?.pca);
  return Number.isFinite(pca) ? Math.max(0, Math.min(100, 100 - pca)) : 0;
}

/** The sticky keys ("kind:id") that move when `keys` move: the wastes pinned to a moved
 * activity travel with it, and the countermeasures of a moved waste with the waste. */
export function withAttached(keys, wastes, countermeasures) {
  const result = new Set(keys);
  const activities = new Set();
  for (const key of keys) if (key.startsWith('activity:')) activities.add(Number(key.slice(9)));
  for (const waste of wastes) if (activities.has(waste.activity)) result.add(`waste:${waste.id}`);
  const moved = new Set([...result].filter((key) => key.startsWith('waste:')).map((key) => Number(key.slice(6))));
  for (const countermeasure of countermeasures) if (moved.has(countermeasure.waste)) result.add(`countermeasure:${countermeasure.id}`);
  return [...result];
}

/** "kind:id" -> {kind, id, key}, as Selection.items() gives them. */
export function keyItem(key) {
  const [kind, id] = key.split(':');
  return { kind, id: Number(id), key };
}

/** Makes the wastes in `targets` (Map key -> {x, y}) that are pinned to an activity in it move
 * by that activity's final delta (which lane snapping may have changed), and countermeasures
 * by their waste's: wastes stay where they were beside their activity. `origins` holds where
 * each key started. Changes `targets` in place. */
export function keepAttached(targets, origins, wastes, countermeasures) {
  const follow = (key, ownerKey) => {
    const owner = targets.get(ownerKey);
    const ownerOrigin = origins.get(ownerKey);
    const origin = origins.get(key);
    if (!owner || !ownerOrigin || !origin || !targets.has(key)) return;
    targets.set(key, { ...targets.get(key), x: origin.x + owner.x - ownerOrigin.x, y: origin.y + owner.y - ownerOrigin.y });
  };
  for (const waste of wastes) if (waste.activity !== null && waste.activity !== undefined) follow(`waste:${waste.id}`, `activity:${waste.activity}`);
  for (const countermeasure of countermeasures) follow(`countermeasure:${countermeasure.id}`, `waste:${countermeasure.waste}`);
  return targets;
}
