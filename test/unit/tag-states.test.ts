import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tagLifecycle, assertIovsEditable, assertRenamable, assertServable, transitionPath, type TagState } from '../../src/domain/tag-states.ts';
import { DomainError } from '../../src/domain/errors.ts';

const expected: Record<TagState, TagState[]> = {
  OPEN: ['TESTING', 'RUNNING'],
  TESTING: ['VALIDATED', 'OPEN'],
  VALIDATED: ['PUBLISHED', 'OPEN'],
  PUBLISHED: ['INVALID'],
  RUNNING: ['PUBLISHED', 'INVALID'],
  INVALID: [],
};

describe('global tag states', () => {
  it('when every pair of states is tried, then exactly the moves of DOMAIN §2 are allowed', () => {
    for (const from of tagLifecycle.list) {
      for (const to of tagLifecycle.list) {
        const allowed = expected[from].includes(to);
        assert.equal(tagLifecycle.can(from, to), allowed, `${from} -> ${to}`);
        if (allowed) tagLifecycle.assert(from, to, 't');
        else {
          assert.throws(
            () => tagLifecycle.assert(from, to, 't'),
            (e: unknown) => e instanceof DomainError && e.code === 'ILLEGAL_TRANSITION',
          );
        }
      }
    }
    assert.deepEqual(tagLifecycle.transitions, expected);
  });

  it('when an illegal move is refused, then the message lists where the state may go', () => {
    assert.throws(() => tagLifecycle.assert('PUBLISHED', 'OPEN', 'gt'), /PUBLISHED may go to INVALID/);
    assert.throws(() => tagLifecycle.assert('INVALID', 'OPEN', 'gt'), /nothing \(end of life\)/);
    assert.throws(() => tagLifecycle.assert('OPEN', 'OPEN', 'gt'), /already OPEN/);
  });

  it('when a path between states is asked, then the shortest legal one is given', () => {
    assert.deepEqual(transitionPath('OPEN', 'VALIDATED'), ['TESTING', 'VALIDATED']);
    assert.deepEqual(transitionPath('TESTING', 'PUBLISHED'), ['VALIDATED', 'PUBLISHED']);
    assert.deepEqual(transitionPath('OPEN', 'RUNNING'), ['RUNNING']);
    assert.deepEqual(transitionPath('OPEN', 'INVALID'), ['RUNNING', 'INVALID']);
    assert.equal(transitionPath('INVALID', 'OPEN'), undefined);
    assert.equal(transitionPath('PUBLISHED', 'OPEN'), undefined);
    assert.deepEqual(transitionPath('VALIDATED', 'VALIDATED'), []);
  });

  it('when IoVs are edited, then only OPEN tags allow it and the refusal says why', () => {
    assertIovsEditable('t', 'OPEN');
    assert.throws(() => assertIovsEditable('t', 'RUNNING'), /only grows by running update/);
    assert.throws(() => assertIovsEditable('t', 'PUBLISHED'), /never changes/);
    assert.throws(() => assertIovsEditable('t', 'TESTING'), /frozen/);
    assert.throws(() => assertIovsEditable('t', 'VALIDATED'), /frozen/);
  });

  it('when a tag is renamed or served, then PUBLISHED/RUNNING names are fixed and INVALID tags are refused', () => {
    assertRenamable('t', 'VALIDATED');
    assert.throws(() => assertRenamable('t', 'RUNNING'), /only OPEN, TESTING or VALIDATED/);
    assertServable('t', 'PUBLISHED');
    assert.throws(() => assertServable('t', 'INVALID'), /never served/);
  });
});
