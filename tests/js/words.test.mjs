import { test } from 'node:test';
import assert from 'node:assert/strict';

import { ApiError } from '../../static/js/board/api.js';
import { errorsInWords, fieldLabel, messageInWords } from '../../static/js/board/labels.js';
import { wouldLoseWork } from '../../static/js/board/leave-guard.js';
import { withPending } from '../../static/js/board/pending-edits.js';
import { connectionText } from '../../static/js/board/status.js';

const labels = { team: 'Team', process_time: 'Process time' };

test('a refusal names the field in words, never its raw name', () => {
  assert.equal(messageInWords('team', 'Must be at most 100 characters.', labels), 'Team must be at most 100 characters.');
  assert.equal(messageInWords('process_time', 'This field is required.', labels), 'Process time is required.');
  assert.equal(messageInWords('non_field_errors', 'Expected an object.', labels), 'Expected an object.');
  assert.equal(fieldLabel('wait_time', {}), 'Wait time'); // a name the page did not give
});

test('a REST refusal is read from the one error envelope: reason, detail in words, errors', () => {
  const invalid = { reason: 'invalid', detail: 'Team must be at most 100 characters.', errors: { team: ['Must be at most 100 characters.'] } };
  const error = new ApiError(400, invalid);
  assert.equal(error.message, 'Team must be at most 100 characters.');
  assert.equal(error.reason, 'invalid');
  assert.deepEqual(error.errors, { team: ['Must be at most 100 characters.'] });
  const forbidden = new ApiError(403, { reason: 'forbidden', detail: 'Only a facilitator can do this.' });
  assert.equal(forbidden.message, 'Only a facilitator can do this.');
  assert.equal(forbidden.reason, 'forbidden');
  assert.deepEqual(forbidden.errors, {});
  assert.equal(new ApiError(502, '<html>Bad gateway</html>').message, 'The server answered 502.');
  assert.equal(new ApiError(500, null).reason, null);
});

test('the Flow page says an import refused in words too (no field names from its page)', () => {
  const refused = {
    reason: 'invalid',
    detail: 'Format must be one of: long_csv, jira_json. File is required.',
    errors: { format: ['Must be one of: long_csv, jira_json.'], file: ['This field is required.'] },
  };
  assert.deepEqual(errorsInWords(refused), ['Format must be one of: long_csv, jira_json.', 'File is required.']);
  assert.deepEqual(errorsInWords({ reason: 'too_large', detail: 'Too large.' }), ['Too large.']);
  assert.deepEqual(errorsInWords('oops'), []);
});

test('the connection says offline with what happens to the changes, and reconnecting while it tries', () => {
  assert.equal(connectionText('offline', 2), 'Offline — 2 changes will be sent when you are back');
  assert.equal(connectionText('offline', 1), 'Offline — 1 change will be sent when you are back');
  assert.equal(connectionText('reconnecting', 0), 'Reconnecting…');
  assert.equal(connectionText('reconnecting', 3), 'Reconnecting… 3 changes waiting');
  assert.equal(connectionText('connected', 2), 'Saving 2 changes…');
  assert.equal(connectionText('connected', 0), 'Connected');
  assert.equal(connectionText('closed', 0, 4401), 'Disconnected: sign in again');
  assert.match(connectionText('closed', 0, 4404), /no longer in its workshop/);
  assert.match(connectionText('closed', 0, 4429), /open in too many of your tabs/);
});

test('leaving asks first with typed text in an open form, or changes not confirmed', () => {
  assert.equal(wouldLoseWork({}), false);
  assert.equal(wouldLoseWork({ formTyped: true }), true);
  assert.equal(wouldLoseWork({ pending: 1 }), true);
});

test('a card shows its edits still waiting for the network on top, in order', () => {
  const object = { id: 1, title: 'Review', wait_time: 3600 };
  assert.equal(withPending(object, []), object);
  assert.deepEqual(withPending(object, [{ changes: { wait_time: 7200 } }, { changes: { wait_time: 9000, title: 'Code review' } }]),
    { id: 1, title: 'Code review', wait_time: 9000 });
});
