import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  TagIndex,
  chainBoundaries,
  resolveChainEntries,
  resolveIndexedChain,
  segmentOf,
  type Entry,
} from '../../src/domain/resolution.ts';
import { pointKey } from '../../src/domain/iov.ts';

const e = (name: string, revision: number, a: number, b: number, c: number, d: number): Entry => ({
  name,
  revision,
  firstExp: a,
  firstRun: b,
  finalExp: c,
  finalRun: d,
});

describe('resolution of a tag chain', () => {
  const fix = [e('ECL', 9, 1, 10, 1, 20)];
  const running = [e('ECL', 3, 0, 0, -1, -1), e('CDC', 4, 0, 0, 1, -1), e('CDC', 5, 2, 0, -1, -1)];
  const chain = [
    { tag: 'fix', entries: fix },
    { tag: 'running', entries: running },
  ];

  it('when the first tag covers the run, then it wins for that name and the other names come from later tags', () => {
    const r = resolveChainEntries(chain, 1, 15);
    assert.deepEqual(r.map((x) => [x.name, x.revision, x.tag]), [['CDC', 4, 'running'], ['ECL', 9, 'fix']]);
  });

  it('when the first tag does not cover the run, then the next tag in the chain is used', () => {
    const r = resolveChainEntries(chain, 1, 21);
    assert.deepEqual(r.map((x) => [x.name, x.revision, x.tag]), [['CDC', 4, 'running'], ['ECL', 3, 'running']]);
  });

  it('when two entries of one tag cover the run, then the higher revision wins regardless of order', () => {
    const overlapping = [e('X', 2, 0, 0, -1, -1), e('X', 5, 1, 0, 1, 5), e('X', 3, 1, 0, 1, -1)];
    assert.equal(resolveChainEntries([{ tag: 't', entries: overlapping }], 1, 3)[0].revision, 5);
    assert.equal(resolveChainEntries([{ tag: 't', entries: overlapping }], 1, 6)[0].revision, 3);
    assert.equal(resolveChainEntries([{ tag: 't', entries: overlapping.reverse() }], 2, 0)[0].revision, 2);
  });

  it('when a name is covered nowhere, then it is absent from the answer', () => {
    assert.deepEqual(resolveChainEntries([{ tag: 't', entries: [e('A', 1, 3, 0, 3, 5)] }], 3, 6), []);
  });

  it('when the indexed resolution is compared with the reference on many runs, then they agree, overlaps included', () => {
    let seed = 11;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const tags = Array.from({ length: 3 }, (_, k) => {
      const entries: Entry[] = [];
      for (let n = 0; n < 30; n++) {
        for (let j = 0; j < 1 + rnd(4); j++) {
          const e1 = rnd(3);
          const r1 = rnd(20);
          const open = rnd(4) === 0;
          const eoe = rnd(4) === 0;
          const e2 = e1 + rnd(2);
          const r2 = e2 === e1 ? r1 + rnd(15) : rnd(20);
          entries.push(e(`N${n}`, 1 + rnd(9), e1, r1, open ? -1 : e2, open || eoe ? -1 : r2));
        }
      }
      return { tag: `t${k}`, entries };
    });
    const indexed = tags.map((t) => ({ tag: t.tag, index: new TagIndex(t.entries) }));
    const bounds = chainBoundaries(indexed.map((i) => i.index));
    const bySegment = new Map<number, string>();
    for (let ex = 0; ex < 4; ex++) {
      for (let run = 0; run < 40; run++) {
        const ref = resolveChainEntries(tags, ex, run);
        const got = resolveIndexedChain(indexed, ex, run);
        assert.deepEqual(got.map((x) => [x.name, x.revision, x.tag]), ref.map((x) => [x.name, x.revision, x.tag]), `at ${ex},${run}`);
        const seg = segmentOf(bounds, pointKey(ex, run));
        const text = JSON.stringify(got);
        if (bySegment.has(seg)) assert.equal(bySegment.get(seg), text, `segment ${seg} resolves identically`);
        bySegment.set(seg, text);
      }
    }
  });
});
