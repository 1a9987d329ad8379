import { test } from 'node:test';
import assert from 'node:assert/strict';

import { linkFacts, usableLinks, workshopIdOf } from '../../static/js/board/share.js';

test('each role gets its newest usable link; a role without one gets none', () => {
  const invitations = [
    { id: 9, role: 'viewer', usable: false },
    { id: 8, role: 'participant', usable: true },
    { id: 7, role: 'participant', usable: true },
    { id: 6, role: 'viewer', usable: true },
    { id: 5, role: 'facilitator', usable: false },
  ];
  const links = usableLinks(invitations);
  assert.equal(links.participant.id, 8);
  assert.equal(links.viewer.id, 6);
  assert.equal(links.facilitator, null);
});

test('the workshop comes from the snapshot, or else from the workshop link', () => {
  assert.equal(workshopIdOf({ workshop: 12 }, '/workshops/3/'), 12);
  assert.equal(workshopIdOf(null, '/workshops/3/'), 3);
  assert.equal(workshopIdOf(null, ''), null);
});

test('a link says how long and how often it can be used', () => {
  const facts = linkFacts({ expires_at: '2026-12-14T10:00:00Z', uses: 3, max_uses: 50 }, 'en-GB');
  assert.equal(facts, 'until 14 Dec, 3 of 50 uses');
});
