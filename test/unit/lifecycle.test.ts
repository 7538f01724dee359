import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defineLifecycle } from '../../src/domain/lifecycle.ts';
import { STATE_COLUMNS } from '../../src/db/state-columns.ts';
import { jobLifecycle, statesThatMayMoveTo } from '../../src/domain/job-states.ts';

describe('defineLifecycle', () => {
  it('when a state string names an Object.prototype member, then every lifecycle refuses it with ILLEGAL_TRANSITION', () => {
    for (const { lifecycle } of STATE_COLUMNS) {
      for (const bad of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
        assert.equal(lifecycle.is(bad), false, `${lifecycle.name} ${bad}`);
        assert.equal(lifecycle.can(bad, lifecycle.list[0]), false);
        assert.throws(() => lifecycle.assert(bad, lifecycle.list[0]), { code: 'ILLEGAL_TRANSITION' });
      }
    }
  });

  it('when a move is refused, then the message names the subject, both states and what is allowed', () => {
    const l = defineLifecycle('thing', { a: ['b'], b: [] });
    assert.throws(() => l.assert('b', 'a', 7), (e: any) => e.code === 'ILLEGAL_TRANSITION' && /thing 7 cannot go from b to a; b may go to nothing/.test(e.message));
    assert.throws(() => l.assert('a', 'a'), /thing is already a/);
    assert.doesNotThrow(() => l.assert('a', 'b'));
    assert.deepEqual(l.list, ['a', 'b']);
  });

  it('when a table names a target that is not a state, then defining it fails', () => {
    assert.throws(() => defineLifecycle('broken', { a: ['z' as never] }), /a → z names no state/);
  });

  it('when the job engine asks which states may move to one, then the answer comes from the job table', () => {
    assert.deepEqual(statesThatMayMoveTo('created'), ['submitted', 'running', 'failed', 'held', 'cancelled']);
    assert.deepEqual(statesThatMayMoveTo('succeeded', ['created', 'running']), ['running']);
    assert.deepEqual(jobLifecycle.statesThatMayMoveTo('held'), statesThatMayMoveTo('held'));
  });
});
