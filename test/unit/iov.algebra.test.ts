/**
 * IoV algebra checked exhaustively against a brute-force model: every well-formed IoV over experiments 0..2 and runs
 * 0..3, including open ends (-1,-1) and end-of-experiment ends (e,-1), is turned into the set of (exp, run) points it
 * covers in a universe where run 4 stands for "any later run" and experiment 3 for "any later experiment".
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  adjacent,
  clip,
  compareIov,
  covers,
  findOverlaps,
  gaps,
  iov,
  overlaps,
  subtract,
  subtractAll,
  union,
  unionAll,
  validateIov,
  type Iov,
} from '../../src/domain/iov.ts';

const EXPS = [0, 1, 2];
const RUNS = [0, 1, 2, 3];
const U_EXPS = [0, 1, 2, 3];
const U_RUNS = [0, 1, 2, 3, 4];
const universe = U_EXPS.flatMap((e) => U_RUNS.map((r) => [e, r] as const));
const idx = (e: number, r: number) => e * U_RUNS.length + r;

function all(): Iov[] {
  const out: Iov[] = [];
  for (const e1 of EXPS)
    for (const r1 of RUNS) {
      const ends: Array<[number, number]> = [[-1, -1], ...EXPS.map((e) => [e, -1] as [number, number]), ...EXPS.flatMap((e) => RUNS.map((r) => [e, r] as [number, number]))];
      for (const [e2, r2] of ends) {
        const i = iov(e1, r1, e2, r2);
        if (validateIov(i).length === 0) out.push(i);
      }
    }
  return out;
}

function points(i: Iov): Set<number> {
  const s = new Set<number>();
  for (const [e, r] of universe) if (covers(i, e, r)) s.add(idx(e, r));
  return s;
}
const pointsOf = (list: Iov[]) => new Set(list.flatMap((i) => [...points(i)]));
const eq = (a: Set<number>, b: Set<number>) => a.size === b.size && [...a].every((x) => b.has(x));
const fmt = (i: Iov) => `${i.firstExp},${i.firstRun},${i.finalExp},${i.finalRun}`;

const IOVS = all();

describe('IoV model', () => {
  it('when the universe is enumerated, then open ends cover every later experiment and end-of-exp covers all runs of that exp', () => {
    assert.ok(IOVS.length > 100);
    assert.ok(covers(iov(1, 2, -1, -1), 3, 4));
    assert.ok(covers(iov(1, 2, 1, -1), 1, 4));
    assert.ok(!covers(iov(1, 2, 1, -1), 2, 0));
    assert.ok(covers(iov(0, 0, 2, -1), 2, 1_000_000));
    assert.ok(!covers(iov(0, 0, 2, 5), 2, 6));
    assert.ok(!covers(iov(1, 2, -1, -1), 1, 1));
  });

  it('when IoVs are malformed, then validateIov names the problem', () => {
    assert.deepEqual(validateIov(iov(0, 0, -1, -1)), []);
    assert.deepEqual(validateIov(iov(3, 0, 3, -1)), []);
    assert.match(validateIov(iov(3, 5, 3, 4))[0], /ends before it starts/);
    assert.match(validateIov(iov(3, 0, 2, -1))[0], /ends before it starts/);
    assert.match(validateIov(iov(0, 0, -1, 5))[0], /finalRun -1/);
    assert.match(validateIov(iov(-1, 0, -1, -1))[0], /firstExp/);
    assert.match(validateIov(iov(0, -1, -1, -1))[0], /firstRun/);
    assert.match(validateIov(iov(0, 0.5, -1, -1))[0], /integers/);
  });
});

describe('IoV algebra, exhaustively on open ends', () => {
  it('when any two IoVs are compared, then overlaps, clip, union and subtract agree with point sets', () => {
    let checked = 0;
    for (const a of IOVS) {
      const pa = points(a);
      for (const b of IOVS) {
        const pb = points(b);
        const inter = new Set([...pa].filter((x) => pb.has(x)));
        const ctx = `${fmt(a)} vs ${fmt(b)}`;
        assert.equal(overlaps(a, b), inter.size > 0, `overlaps ${ctx}`);
        const c = clip(a, b);
        assert.equal(c === undefined, inter.size === 0, `clip emptiness ${ctx}`);
        if (c) {
          assert.deepEqual(validateIov(c), [], `clip well-formed ${ctx}`);
          assert.ok(eq(points(c), inter), `clip points ${ctx}`);
        }
        const u = union(a, b);
        assert.ok(eq(pointsOf(u), new Set([...pa, ...pb])), `union points ${ctx}`);
        assert.equal(u.length, overlaps(a, b) || adjacent(a, b) || adjacent(b, a) ? 1 : 2, `union pieces ${ctx}`);
        const d = subtract(a, b);
        assert.ok(eq(pointsOf(d), new Set([...pa].filter((x) => !pb.has(x)))), `subtract points ${ctx}`);
        for (const piece of d) assert.deepEqual(validateIov(piece), [], `subtract well-formed ${ctx}`);
        assert.ok(d.length <= 2);
        checked++;
      }
    }
    assert.ok(checked > 10_000);
  });

  it('when adjacency is asked, then (e,-1) touches (e+1,0) and (e,r) touches (e,r+1) but (e,r) never touches (e+1,0)', () => {
    assert.ok(adjacent(iov(0, 0, 0, -1), iov(1, 0, -1, -1)));
    assert.ok(adjacent(iov(0, 0, 1, 3), iov(1, 4, 1, 9)));
    assert.ok(!adjacent(iov(0, 0, 0, 3), iov(1, 0, -1, -1)));
    assert.ok(!adjacent(iov(0, 0, -1, -1), iov(1, 0, -1, -1)));
    assert.deepEqual(union(iov(0, 0, 0, -1), iov(1, 0, 1, 5)), [iov(0, 0, 1, 5)]);
    assert.deepEqual(union(iov(0, 0, 0, 3), iov(1, 0, 1, 5)), [iov(0, 0, 0, 3), iov(1, 0, 1, 5)]);
  });

  it('when an open-ended IoV is split, then the pieces use end-of-experiment ends where they should', () => {
    assert.deepEqual(subtract(iov(0, 0, -1, -1), iov(2, 0, -1, -1)), [iov(0, 0, 1, -1)]);
    assert.deepEqual(subtract(iov(0, 0, -1, -1), iov(2, 5, -1, -1)), [iov(0, 0, 2, 4)]);
    assert.deepEqual(subtract(iov(0, 0, -1, -1), iov(2, 0, 2, -1)), [iov(0, 0, 1, -1), iov(3, 0, -1, -1)]);
    assert.deepEqual(subtract(iov(0, 0, 2, -1), iov(2, 3, 2, 7)), [iov(0, 0, 2, 2), iov(2, 8, 2, -1)]);
    assert.deepEqual(clip(iov(0, 0, -1, -1), iov(5, 10, 5, -1)), iov(5, 10, 5, -1));
  });

  it('when many IoVs are combined, then unionAll, subtractAll and gaps agree with point sets', () => {
    // deterministic pseudo-random triples
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let t = 0; t < 3000; t++) {
      const list = Array.from({ length: 1 + rnd(4) }, () => IOVS[rnd(IOVS.length)]);
      const a = IOVS[rnd(IOVS.length)];
      const u = unionAll(list);
      const pu = pointsOf(list);
      assert.ok(eq(pointsOf(u), pu));
      for (let k = 1; k < u.length; k++) {
        assert.ok(compareIov(u[k - 1], u[k]) < 0);
        assert.ok(!overlaps(u[k - 1], u[k]) && !adjacent(u[k - 1], u[k]), 'union pieces are separated');
      }
      const s = subtractAll(a, list);
      assert.ok(eq(pointsOf(s), new Set([...points(a)].filter((x) => !pu.has(x)))));
      const g = gaps(list);
      const lo = Math.min(...[...pu]);
      const hi = Math.max(...[...pu]);
      const expectedGaps = new Set([...universe.map(([e, r]) => idx(e, r))].filter((x) => x > lo && x < hi && !pu.has(x)));
      assert.ok(eq(pointsOf(g), expectedGaps), `gaps of ${list.map(fmt).join(' ')}`);
    }
  });

  it('when overlaps are searched in a list, then every overlapping pair is reported once', () => {
    const list = [iov(0, 0, 0, 5), iov(0, 6, -1, -1), iov(0, 3, 0, 4), iov(1, 0, 1, -1), iov(2, 0, 2, 0)];
    const pairs = findOverlaps(list).map(([i, j]) => `${i}-${j}`).sort();
    assert.deepEqual(pairs, ['0-2', '1-3', '1-4']);
    for (let t = 0; t < 200; t++) {
      const l = IOVS.filter((_, k) => (k * 31 + t * 17) % 53 === 0).slice(0, 6);
      const expect = new Set<string>();
      for (let i = 0; i < l.length; i++) for (let j = i + 1; j < l.length; j++) if (overlaps(l[i], l[j])) expect.add(`${i}-${j}`);
      assert.deepEqual(new Set(findOverlaps(l).map(([i, j]) => `${i}-${j}`)), expect);
    }
  });

  it('when IoVs are sorted, then by start and then by end with open ends last', () => {
    const list = [iov(1, 0, -1, -1), iov(1, 0, 1, -1), iov(0, 5, 0, 9), iov(1, 0, 1, 3)];
    assert.deepEqual([...list].sort(compareIov), [iov(0, 5, 0, 9), iov(1, 0, 1, 3), iov(1, 0, 1, -1), iov(1, 0, -1, -1)]);
  });
});
