// The Flow page's tracker connections: a sync record and a scope in words.
import test from 'node:test';
import assert from 'node:assert/strict';

import { scopeWords, syncWords } from '../../static/js/flow/connections.js';

test('a sync record reads as a sentence for each status', () => {
  assert.equal(syncWords(null), 'Never synced yet.');
  assert.equal(syncWords({ status: 'pending' }), 'Sync queued: waiting for a worker…');
  assert.match(syncWords({ status: 'running', pages: 1, items: 1 }), /^Syncing… 1 page fetched, 1 work item so far\.$/);
  assert.match(syncWords({ status: 'retrying', message: 'Jira asked to wait 30 seconds.' }), /Waiting to retry: Jira asked/);
  assert.match(syncWords({ status: 'done', items: 3, transitions: 1, finished_at: '2024-05-12T10:00:00Z' }), /: 3 work items changed, 1 state change\.$/);
  assert.match(syncWords({ status: 'failed', errors: [{ line: null, message: 'GitHub refused the credential (401).' }], finished_at: null }), /failed: GitHub refused the credential \(401\)\.$/);
});

test('a scope reads as the tracker names it', () => {
  assert.equal(scopeWords({ kind: 'azure_devops', scope: { organization: 'acme', project: 'Shop', filter: "WorkItemType eq 'Bug'" } }), "acme / Shop, filter WorkItemType eq 'Bug'");
  assert.equal(scopeWords({ kind: 'jira', scope: { jql: 'project = SHOP' } }), 'JQL: project = SHOP');
  assert.equal(scopeWords({ kind: 'github', scope: { owner: 'acme', repo: 'shop', labels: 'bug' } }), 'acme/shop, labels bug');
});
