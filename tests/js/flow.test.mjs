// The board's pure flow helpers: which links are rework loops and where one may go, which
// activities a linked map leaves out, the summary's marks, what travels with a moved
// activity, where a new countermeasure goes, which ladder labels fit, the level of detail,
// the future state's prompt and comparison, the card's "More" fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { comparison } from '../../static/js/board/compare.js';
import { estimateText, moreChanges, parseMore, ACTIVITY_MORE_FIELDS } from '../../static/js/board/detail.js';
import {
  criticalMarks, flowLeads, flowLinks, keepAttached, reworkShare, unlinkedActivities, withAttached,
} from '../../static/js/board/flowgraph.js';
import { promptFor } from '../../static/js/board/future.js';
import { LOD_ZOOM, detailAt, softHyphens, spotBelow, thinLabels } from '../../static/js/board/layout.js';
import { setHoursPerDay } from '../../static/js/board/units.js';

const activity = (id, order = id, extra = {}) => ({ id, order, x: order * 240, y: 80, pca: 100, ...extra });
const link = (id, source, target, kind = 'flow') => ({ id, source, target, kind });

test('rework loops are not flow links', () => {
  const links = [link(1, 1, 2), link(2, 2, 1, 'rework'), { id: 3, source: 2, target: 3 }];
  assert.deepEqual(flowLinks(links).map((item) => item.id), [1, 3]);
});

test('the flow leads along flow links only, or by flow order on a map without any', () => {
  const activities = [activity(1), activity(2), activity(3), activity(4)];
  const links = [link(1, 1, 2), link(2, 2, 3), link(3, 3, 1, 'rework')];
  assert.equal(flowLeads(activities, links, 1, 3), true);
  assert.equal(flowLeads(activities, links, 3, 1), false); // the rework loop does not count
  assert.equal(flowLeads(activities, links, 1, 4), false); // 4 is on no path
  assert.equal(flowLeads(activities, links, 2, 2), false);
  const chain = [activity(10, 2), activity(11, 0), activity(12, 1)];
  assert.equal(flowLeads(chain, [], 11, 10), true);
  assert.equal(flowLeads(chain, [], 10, 12), false);
  assert.equal(flowLeads(chain, [link(9, 10, 11, 'rework')], 12, 10), true); // still a chain
});

test('activities on no flow link of a linked map are unlinked; a chain leaves none out', () => {
  const activities = [activity(1), activity(2), activity(3), activity(4)];
  assert.deepEqual([...unlinkedActivities(activities, [link(1, 1, 2), link(2, 4, 1, 'rework')])], [3, 4]);
  assert.deepEqual([...unlinkedActivities(activities, [])], []);
  assert.deepEqual([...unlinkedActivities(activities, [link(1, 3, 1, 'rework')])], []);
});

test("the summary's critical path marks its activities, flow links and bottleneck on the board", () => {
  const activities = [activity(1), activity(2), activity(3), activity(4)];
  const links = [link(10, 1, 2), link(11, 1, 3), link(12, 2, 4), link(13, 3, 4), link(14, 4, 1, 'rework')];
  const marks = criticalMarks({ critical_path: [1, 3, 4, 99], bottleneck: 3 }, activities, links);
  assert.deepEqual([...marks.path], [1, 3, 4]);
  assert.deepEqual([...marks.links], [11, 13]);
  assert.equal(marks.bottleneck, 3);
  const gone = criticalMarks({ critical_path: [1, 2], bottleneck: 7 }, activities, links);
  assert.equal(gone.bottleneck, null);
  assert.deepEqual([...criticalMarks(null, activities, links).path], []);
});

test('a rework loop sends back what its source does not get complete and accurate', () => {
  assert.equal(reworkShare({ pca: 70 }), 30);
  assert.equal(reworkShare({ pca: 100 }), 0);
  assert.equal(reworkShare({}), 0);
});

test('a moved activity takes its wastes and their countermeasures along, once each', () => {
  const wastes = [{ id: 5, activity: 1 }, { id: 6, activity: 2 }, { id: 7, activity: null }];
  const countermeasures = [{ id: 8, waste: 5 }, { id: 9, waste: 7 }];
  assert.deepEqual(withAttached(['activity:1', 'waste:5', 'note:3'], wastes, countermeasures).sort(),
    ['activity:1', 'countermeasure:8', 'note:3', 'waste:5']);
  assert.deepEqual(withAttached(['waste:7'], wastes, countermeasures).sort(), ['countermeasure:9', 'waste:7']);
});

test('attached stickies follow their owner by its final delta (after lane snapping)', () => {
  const origins = new Map([['activity:1', { x: 0, y: 80 }], ['waste:5', { x: 10, y: 250 }], ['countermeasure:8', { x: 20, y: 380 }]]);
  // The activity was dropped 30 px low and snapped back onto its row; the others were not.
  const targets = new Map([['activity:1', { x: 100, y: 80, lane: 0 }], ['waste:5', { x: 110, y: 280 }], ['countermeasure:8', { x: 120, y: 410 }]]);
  keepAttached(targets, origins, [{ id: 5, activity: 1 }], [{ id: 8, waste: 5 }]);
  assert.deepEqual(targets.get('waste:5'), { x: 110, y: 250 });
  assert.deepEqual(targets.get('countermeasure:8'), { x: 120, y: 380 });
  assert.deepEqual(targets.get('activity:1'), { x: 100, y: 80, lane: 0 });
});

test('a new countermeasure goes below its waste and below whatever it would cover', () => {
  const waste = { x: 100, y: 300, width: 180, height: 150 }; // a long text made it tall
  assert.deepEqual(spotBelow(waste, { width: 180, height: 100 }, []), { x: 112, y: 466 });
  const sibling = { x: 112, y: 466, width: 180, height: 110 };
  assert.deepEqual(spotBelow(waste, { width: 180, height: 100 }, [sibling]), { x: 112, y: 592 });
  const aside = { x: 400, y: 466, width: 180, height: 100 };
  assert.deepEqual(spotBelow(waste, { width: 180, height: 100 }, [aside]), { x: 112, y: 466 });
});

test('ladder labels that would touch the one kept before them are left out', () => {
  const labels = [{ center: 10, width: 14 }, { center: 20, width: 14 }, { center: 40, width: 14 }, { center: 200, width: 30 }];
  assert.deepEqual([...thinLabels(labels, { gap: 4, right: 210 })], [0, 2]); // 3 would stick out
  assert.deepEqual([...thinLabels(labels, { gap: 4, right: 300 })], [0, 2, 3]);
  assert.deepEqual([...thinLabels(labels, { gap: 4, left: 15 })], [2, 3]);
  // A hundred steps a few pixels apart never overlap.
  const many = Array.from({ length: 100 }, (_, index) => ({ center: index * 9, width: 20 }));
  const kept = [...thinLabels(many)];
  for (let index = 1; index < kept.length; index += 1) {
    assert.ok(many[kept[index]].center - many[kept[index - 1]].center >= 20 + 6);
  }
});

test('far away the cards show less; long words get soft hyphens', () => {
  assert.equal(detailAt(0.44), 'low');
  assert.equal(detailAt(LOD_ZOOM), 'full');
  assert.equal(softHyphens('Prioritisation board'), 'Prior\u00ADitisa\u00ADtion board');
  assert.equal(softHyphens('Short words stay'), 'Short words stay');
});

test("a future state's board shows the step's future-state prompt", () => {
  const phase = { value: 'prioritize', future_prompt: 'Dots here are this map’s own.' };
  const workshop = { phase: 'prioritize', prompt: 'Dot-vote the wastes.' };
  assert.equal(promptFor(workshop, phase, { state: 'future' }), 'Dots here are this map’s own.');
  assert.equal(promptFor(workshop, phase, { state: 'current' }), 'Dot-vote the wastes.');
  assert.equal(promptFor(workshop, undefined, { state: 'future' }), 'Dot-vote the wastes.');
});

test('the comparison says each figure of both maps, the change and which way is better', () => {
  setHoursPerDay(8);
  const deltas = {
    lead_time: { current: 8 * 3600, base: 16 * 3600, change: -8 * 3600, change_pct: -50 },
    process_time: { current: 3600, base: 3600, change: 0, change_pct: 0 },
    flow_efficiency: { current: 0.125, base: 0.0625, change: 0.0625, change_pct: 100 },
    rolled_pca: { current: 72, base: 81, change: -9, change_pct: -11.1 },
  };
  const compared = comparison({ deltas, deltas_against: { id: 3, name: 'Release', state: 'current' } });
  assert.equal(compared.against.name, 'Release');
  assert.deepEqual(compared.rows.map((row) => [row.label, row.now, row.base, row.change, row.trend]), [
    ['Lead time', '1d', '2d', '−1d (−50%)', 'better'],
    ['Process time', '1h', '1h', 'no change', 'same'],
    ['Flow efficiency', '12.5%', '6.3%', '+6.3 pts', 'better'],
    ['Rolled %C&A', '72%', '81%', '−9 pts', 'worse'],
  ]);
  assert.equal(comparison({ deltas: null }), null);
});

test('the "More" fields parse optional estimates, lanes and colours, and a lane moves the card', () => {
  const field = (name) => ACTIVITY_MORE_FIELDS.find((item) => item.name === name);
  assert.deepEqual(parseMore(field('lead_time_min'), '  '), { value: null });
  assert.equal(parseMore(field('lead_time_min'), '2d'), null); // a duration: the form's own parser
  assert.deepEqual(parseMore(field('lane'), '2'), { value: 2 });
  assert.ok(parseMore(field('lane'), '1.5').error);
  assert.ok(parseMore(field('lane'), '101').error);
  assert.deepEqual(parseMore(field('color'), '#ABCDEF'), { value: '#abcdef' });
  assert.ok(parseMore(field('color'), 'red').error);
  assert.deepEqual(moreChanges('activity', { lane: 0, y: 80 }, { lane: 1 }), { y: 280 });
  assert.deepEqual(moreChanges('activity', { lane: 1, y: 280 }, { title: 'x' }), {});
});

test('an estimate reads short on the card and in words for screen readers', () => {
  setHoursPerDay(8);
  const estimate = estimateText({ lead_time_min: 8 * 3600, lead_time_max: 5 * 8 * 3600 });
  assert.equal(estimate.short, '1d – 1w');
  assert.equal(estimate.spoken, 'estimated lead time from 1 day to 1 week');
  assert.equal(estimate.complete, true);
  assert.equal(estimateText({ lead_time_min: null, lead_time_max: null }), null);
  assert.equal(estimateText({ lead_time_min: 3600, lead_time_max: null }).complete, false);
});
