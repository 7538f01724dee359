/**
 * Intervals of validity: `(firstExp, firstRun, finalExp, finalRun)`, both ends inclusive, ordered by
 * (exp, run). Two encodings of an open end:
 *
 * | final       | meaning                                   |
 * |-------------|-------------------------------------------|
 * | `-1, -1`    | valid forever (open-ended)                |
 * | `e >= 0, -1`| every remaining run of experiment `e`     |
 *
 * The algebra works on integer keys: a point (exp, run) is `exp * 2^32 + run`, the "last run of exp e" is
 * `e * 2^32 + (2^32 - 1)` and "forever" is `+Infinity`. The key space is dense, so the run after (e, r) is `key + 1`
 * and the run after "end of exp e" is `(e + 1, 0)`: adjacency, subtraction and gaps are plain integer arithmetic. Runs
 * are limited to 2^31 - 1 so a real run never collides with the end-of-experiment key.
 */

export interface Iov {
  firstExp: number;
  firstRun: number;
  finalExp: number;
  finalRun: number;
}

export interface RunPoint {
  exp: number;
  run: number;
}

export const MAX_EXP = 2 ** 20 - 1;
export const MAX_RUN = 2 ** 31 - 1;
const RUN_SPAN = 2 ** 32;
const END_OF_EXP = RUN_SPAN - 1;

/** (0, 0, -1, -1): everything. */
export const ALWAYS: Iov = Object.freeze({ firstExp: 0, firstRun: 0, finalExp: -1, finalRun: -1 });

export function iov(firstExp: number, firstRun: number, finalExp: number, finalRun: number): Iov {
  return { firstExp, firstRun, finalExp, finalRun };
}

export function sameIov(a: Iov, b: Iov): boolean {
  return a.firstExp === b.firstExp && a.firstRun === b.firstRun && a.finalExp === b.finalExp && a.finalRun === b.finalRun;
}

/** Problems with an IoV as written, empty when it is well-formed. */
export function validateIov(i: Iov): string[] {
  const problems: string[] = [];
  const ints = [i.firstExp, i.firstRun, i.finalExp, i.finalRun];
  if (!ints.every(Number.isInteger)) return ['all four IoV numbers must be integers'];
  if (i.firstExp < 0 || i.firstExp > MAX_EXP) problems.push(`firstExp must be between 0 and ${MAX_EXP}`);
  if (i.firstRun < 0 || i.firstRun > MAX_RUN) problems.push(`firstRun must be between 0 and ${MAX_RUN}`);
  if (i.finalExp < -1 || i.finalExp > MAX_EXP) problems.push(`finalExp must be -1 (open) or between 0 and ${MAX_EXP}`);
  if (i.finalRun < -1 || i.finalRun > MAX_RUN) problems.push(`finalRun must be -1 (open) or between 0 and ${MAX_RUN}`);
  if (i.finalExp === -1 && i.finalRun !== -1) problems.push('finalExp -1 (open-ended) needs finalRun -1');
  if (problems.length === 0 && endKey(i) < startKey(i)) problems.push(`the IoV ends before it starts (${formatIov(i)})`);
  return problems;
}

export function pointKey(exp: number, run: number): number {
  return exp * RUN_SPAN + run;
}

export function startKey(i: Iov): number {
  return i.firstExp * RUN_SPAN + i.firstRun;
}

/** Inclusive end key; +Infinity when open-ended. */
export function endKey(i: Iov): number {
  if (i.finalExp === -1) return Number.POSITIVE_INFINITY;
  return i.finalExp * RUN_SPAN + (i.finalRun === -1 ? END_OF_EXP : i.finalRun);
}

export function keyToPoint(key: number): RunPoint {
  const exp = Math.floor(key / RUN_SPAN);
  return { exp, run: key - exp * RUN_SPAN };
}

/** An IoV from inclusive keys (the end may be +Infinity). */
export function iovFromKeys(start: number, end: number): Iov {
  const s = keyToPoint(start);
  if (end === Number.POSITIVE_INFINITY) return { firstExp: s.exp, firstRun: s.run, finalExp: -1, finalRun: -1 };
  const e = keyToPoint(end);
  return { firstExp: s.exp, firstRun: s.run, finalExp: e.exp, finalRun: e.run === END_OF_EXP ? -1 : e.run };
}

/** The IoV's end as (finalExp, finalRun) for an inclusive end key. */
export function endFromKey(end: number): Pick<Iov, 'finalExp' | 'finalRun'> {
  const i = iovFromKeys(0, end);
  return { finalExp: i.finalExp, finalRun: i.finalRun };
}

/** The run just before a point: (e, r-1), or "all of exp e-1" when r = 0; undefined before (0, 0). */
export function predecessorKey(key: number): number | undefined {
  return key <= 0 ? undefined : key - 1;
}

export function isOpenEnded(i: Iov): boolean {
  return i.finalExp === -1 && i.finalRun === -1;
}

export function startsAtZero(i: Iov): boolean {
  return i.firstExp === 0 && i.firstRun === 0;
}

export function covers(i: Iov, exp: number, run: number): boolean {
  const p = pointKey(exp, run);
  return startKey(i) <= p && p <= endKey(i);
}

/** Order by start, then end (shorter first). */
export function compareIov(a: Iov, b: Iov): number {
  const d = startKey(a) - startKey(b);
  if (d !== 0) return d;
  const ea = endKey(a);
  const eb = endKey(b);
  return ea === eb ? 0 : ea < eb ? -1 : 1;
}

export function overlaps(a: Iov, b: Iov): boolean {
  return startKey(a) <= endKey(b) && startKey(b) <= endKey(a);
}

/** a ends on the run just before b starts. */
export function adjacent(a: Iov, b: Iov): boolean {
  const e = endKey(a);
  return e !== Number.POSITIVE_INFINITY && e + 1 === startKey(b);
}

/** The part of `a` inside `to`, or undefined when they do not overlap. */
export function clip(a: Iov, to: Iov): Iov | undefined {
  const s = Math.max(startKey(a), startKey(to));
  const e = Math.min(endKey(a), endKey(to));
  return s <= e ? iovFromKeys(s, e) : undefined;
}

export const intersect = clip;

/** One IoV when a and b overlap or touch, else both in order. */
export function union(a: Iov, b: Iov): Iov[] {
  return unionAll([a, b]);
}

/** The coverage of a list: sorted, disjoint, non-adjacent IoVs. */
export function unionAll(list: readonly Iov[]): Iov[] {
  const sorted = [...list].sort(compareIov);
  const out: Array<[number, number]> = [];
  for (const i of sorted) {
    const s = startKey(i);
    const e = endKey(i);
    const last = out[out.length - 1];
    if (last && s <= last[1] + 1) {
      if (e > last[1]) last[1] = e;
    } else out.push([s, e]);
  }
  return out.map(([s, e]) => iovFromKeys(s, e));
}

/** The parts of `a` not covered by `b`: zero, one or two IoVs. */
export function subtract(a: Iov, b: Iov): Iov[] {
  const as = startKey(a);
  const ae = endKey(a);
  const bs = startKey(b);
  const be = endKey(b);
  if (be < as || bs > ae) return [{ ...a }];
  const out: Iov[] = [];
  if (bs > as) out.push(iovFromKeys(as, bs - 1));
  if (be < ae) out.push(iovFromKeys(be + 1, ae));
  return out;
}

/** The parts of `a` covered by none of `list`. */
export function subtractAll(a: Iov, list: readonly Iov[]): Iov[] {
  let pieces: Iov[] = [{ ...a }];
  for (const b of unionAll(list)) {
    pieces = pieces.flatMap((p) => subtract(p, b));
    if (pieces.length === 0) break;
  }
  return pieces;
}

/** Holes between the first start and the last end of a list. */
export function gaps(list: readonly Iov[]): Iov[] {
  const u = unionAll(list);
  const out: Iov[] = [];
  for (let k = 1; k < u.length; k++) out.push(iovFromKeys(endKey(u[k - 1]) + 1, startKey(u[k]) - 1));
  return out;
}

/** Index pairs [i, j] (i < j in the input) of overlapping IoVs. */
export function findOverlaps(list: readonly Iov[]): Array<[number, number]> {
  const order = list.map((_, k) => k).sort((x, y) => compareIov(list[x], list[y]));
  const pairs: Array<[number, number]> = [];
  const active: number[] = [];
  for (const k of order) {
    const s = startKey(list[k]);
    for (let a = active.length - 1; a >= 0; a--) if (endKey(list[active[a]]) < s) active.splice(a, 1);
    for (const a of active) pairs.push(a < k ? [a, k] : [k, a]);
    active.push(k);
  }
  return pairs;
}

export function formatIov(i: Iov): string {
  return `${i.firstExp},${i.firstRun},${i.finalExp},${i.finalRun}`;
}

export function formatPoint(p: RunPoint): string {
  return `${p.exp},${p.run}`;
}

/** Parses "e1,r1,e2,r2" (also accepts spaces); throws Error with a readable message. */
export function parseIov(text: string): Iov {
  const parts = text.split(/[,\s]+/).filter(Boolean);
  if (parts.length !== 4 || !parts.every((p) => /^-?\d+$/.test(p))) {
    throw new Error(`"${text}" is not an IoV; write firstExp,firstRun,finalExp,finalRun (e.g. 12,0,-1,-1)`);
  }
  const [a, b, c, d] = parts.map(Number);
  const i = iov(a, b, c, d);
  const problems = validateIov(i);
  if (problems.length) throw new Error(`${text}: ${problems.join('; ')}`);
  return i;
}

/** Parses "exp,run" (nothing else: `12:3` or `12 3` are refused, so there is one way to write a run). */
export function parsePoint(text: string): RunPoint {
  const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(text);
  if (!m) throw new Error(`"${text}" is not a run; write exp,run (e.g. 12,345)`);
  const p = { exp: Number(m[1]), run: Number(m[2]) };
  if (p.exp > MAX_EXP || p.run > MAX_RUN) throw new Error(`"${text}" is out of range`);
  return p;
}
