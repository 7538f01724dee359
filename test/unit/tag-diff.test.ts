import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { diffEntries } from '../../src/domain/tag-diff.ts';
import type { Entry } from '../../src/domain/resolution.ts';

const e = (name: string, revision: number, a: number, b: number, c: number, d: number): Entry => ({ name, revision, firstExp: a, firstRun: b, finalExp: c, finalRun: d });

describe('tag diff', () => {
  it('when a running update closed one IoV and added another, then the diff shows one changed and one added', () => {
    const before = [e('A', 1, 0, 0, -1, -1), e('B', 1, 0, 0, -1, -1)];
    const after = [e('A', 1, 0, 0, 5, 99), e('A', 2, 5, 100, -1, -1), e('B', 1, 0, 0, -1, -1)];
    const d = diffEntries(before, after);
    assert.equal(d.unchanged, 1);
    assert.deepEqual(d.changed.map((c) => [c.from.finalExp, c.from.finalRun, c.to.finalExp, c.to.finalRun]), [[-1, -1, 5, 99]]);
    assert.deepEqual(d.added.map((a) => [a.name, a.revision]), [['A', 2]]);
    assert.deepEqual(d.removed, []);
  });

  it('when an entry disappears or a revision is replaced at the same start, then removed and changed say so', () => {
    const before = [e('A', 1, 0, 0, -1, -1), e('C', 4, 3, 0, 3, -1)];
    const after = [e('A', 2, 0, 0, -1, -1)];
    const d = diffEntries(before, after);
    assert.deepEqual(d.changed.map((c) => [c.from.revision, c.to.revision]), [[1, 2]]);
    assert.deepEqual(d.removed.map((r) => r.name), ['C']);
    assert.deepEqual(d.added, []);
  });

  it('when both sides are equal, then nothing is reported', () => {
    const l = [e('A', 1, 0, 0, -1, -1), e('A', 1, 0, 0, -1, -1)];
    assert.deepEqual(diffEntries(l, [...l]), { added: [], removed: [], changed: [], unchanged: 2 });
  });
});
