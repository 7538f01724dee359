import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergeByPriority } from '../../src/domain/tag-merge.ts';
import { resolveChainEntries, type Entry } from '../../src/domain/resolution.ts';
import { findOverlaps, formatIov, iov } from '../../src/domain/iov.ts';

const e = (name: string, revision: number, a: number, b: number, c: number, d: number): Entry => ({ name, revision, firstExp: a, firstRun: b, finalExp: c, finalRun: d });
const text = (l: Entry[]) => l.map((x) => `${x.name} r${x.revision} ${formatIov(x)}`);

describe('merge by priority', () => {
  it('when A covers part of B, then B only fills the gaps A leaves', () => {
    const A = [e('X', 9, 1, 10, 1, 20)];
    const B = [e('X', 3, 0, 0, -1, -1), e('Y', 1, 0, 0, -1, -1)];
    const merged = mergeByPriority([{ entries: A }, { entries: B }]);
    assert.deepEqual(text(merged), ['X r3 0,0,1,9', 'X r9 1,10,1,20', 'X r3 1,21,-1,-1', 'Y r1 0,0,-1,-1']);
    assert.deepEqual(merged.map((m) => m.sourceIndex), [1, 0, 1, 1]);
  });

  it('when a source is clipped to a range, then only its entries inside the range take priority', () => {
    const fix = [e('X', 9, 0, 0, -1, -1)];
    const snap = [e('X', 3, 0, 0, -1, -1)];
    const merged = mergeByPriority([{ entries: fix, range: iov(2, 0, 2, 50) }, { entries: snap }]);
    assert.deepEqual(text(merged), ['X r3 0,0,1,-1', 'X r9 2,0,2,50', 'X r3 2,51,-1,-1']);
  });

  it('when three random tags are merged, then the result has no overlaps and resolves like the chain everywhere', () => {
    let seed = 3;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let trial = 0; trial < 30; trial++) {
      const tags = Array.from({ length: 3 }, () =>
        Array.from({ length: 12 }, () => {
          const e1 = rnd(3);
          const r1 = rnd(10);
          const open = rnd(3) === 0;
          return e(`N${rnd(4)}`, 1 + rnd(5), e1, r1, open ? -1 : e1 + rnd(2), open ? -1 : rnd(3) === 0 ? -1 : r1 + 10);
        }),
      );
      const merged = mergeByPriority(tags.map((entries) => ({ entries })));
      for (const name of new Set(merged.map((m) => m.name))) {
        assert.deepEqual(findOverlaps(merged.filter((m) => m.name === name)), []);
      }
      const chain = tags.map((entries, k) => ({ tag: `t${k}`, entries }));
      for (let ex = 0; ex < 5; ex++)
        for (let run = 0; run < 25; run++) {
          const ref = resolveChainEntries(chain, ex, run).map((r) => `${r.name}:${r.revision}`);
          const got = resolveChainEntries([{ tag: 'm', entries: merged }], ex, run).map((r) => `${r.name}:${r.revision}`);
          assert.deepEqual(got, ref, `trial ${trial} at ${ex},${run}`);
        }
    }
  });
});
