import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mayMoveTo } from '../../src/services/jobs/sql/state-guard.ts';
import { jobLifecycle } from '../../src/domain/job-states.ts';

test('when a raw state move is guarded, then its states are exactly those the job stage table lets move to the target', () => {
  for (const to of jobLifecycle.list) {
    const expected = jobLifecycle.list.filter((f) => jobLifecycle.transitions[f].includes(to));
    const sql = mayMoveTo(to);
    if (expected.length === 0) assert.equal(sql.sql, 'FALSE', to);
    else assert.deepEqual(sql.values, [expected], to);
  }
  assert.deepEqual(mayMoveTo('submitted', { among: ['created', 'failed', 'held'] }).values, [['created']]);
  assert.match(mayMoveTo('running', { among: ['submitted'], alias: 'j' }).sql, /^j\.state = ANY/);
  assert.equal(mayMoveTo('created', { among: ['succeeded'] }).sql, 'FALSE', 'nothing leaves succeeded');
});
