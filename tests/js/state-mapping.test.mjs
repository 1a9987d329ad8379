import { test } from 'node:test';
import assert from 'node:assert/strict';

import { activityPatch } from '../../static/js/flow/state-mapping.js';

test('the Flow page puts a state on an activity, or takes it off the chosen map', () => {
  assert.deepEqual(activityPatch('31', '12'), { activity: 31 });
  assert.deepEqual(activityPatch('', '12'), { activity: null, stream: 12 });
});
