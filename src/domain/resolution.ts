/**
 * Resolution of a tag chain at one run (docs/conditions.md): for each payload name, the first tag of the chain that has an IoV
 * covering the run wins; within that tag, when two entries cover the run, the higher revision wins.
 *
 * `TagIndex` is the in-memory form of one tag used for fast reads: entries grouped by name and sorted by start, so a
 * lookup is a binary search per name. Its `boundaries` (every point where some IoV starts or stops) cut the run axis
 * into segments inside which the resolution cannot change; the server caches a chain's answer per segment.
 */
import { compareIov, endKey, pointKey, startKey, type Iov } from './iov.ts';

export interface Entry extends Iov {
  name: string;
  revision: number;
}

export type Resolved<T extends Entry> = T & { tag: string };

/** Of entries covering one run in one tag, the winner: highest revision (then latest start, then highest id-like order). */
function better<T extends Entry>(a: T | undefined, b: T): T {
  if (!a) return b;
  if (b.revision !== a.revision) return b.revision > a.revision ? b : a;
  return startKey(b) > startKey(a) ? b : a;
}

/** Straightforward resolution over plain lists (reference implementation; also used for as-of reads). */
export function resolveChainEntries<T extends Entry>(chain: ReadonlyArray<{ tag: string; entries: readonly T[] }>, exp: number, run: number): Resolved<T>[] {
  const p = pointKey(exp, run);
  const out = new Map<string, Resolved<T>>();
  for (const { tag, entries } of chain) {
    const inTag = new Map<string, T>();
    for (const e of entries) {
      if (out.has(e.name)) continue;
      if (startKey(e) <= p && p <= endKey(e)) inTag.set(e.name, better(inTag.get(e.name), e));
    }
    for (const [name, e] of inTag) out.set(name, { ...e, tag });
  }
  return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

interface NameList<T> {
  entries: T[];
  starts: number[];
  ends: number[];
  /** no two entries overlap: a lookup is one binary search */
  disjoint: boolean;
}

export class TagIndex<T extends Entry = Entry> {
  readonly names: string[];
  readonly boundaries: number[];
  readonly size: number;
  private readonly byName = new Map<string, NameList<T>>();

  constructor(entries: readonly T[]) {
    const groups = new Map<string, T[]>();
    for (const e of entries) {
      const g = groups.get(e.name);
      if (g) g.push(e);
      else groups.set(e.name, [e]);
    }
    const bounds = new Set<number>();
    for (const [name, list] of groups) {
      list.sort(compareIov);
      const starts = list.map(startKey);
      const ends = list.map(endKey);
      let disjoint = true;
      // sorted by start: any overlap shows up between neighbours
      for (let k = 1; k < list.length; k++) if (starts[k] <= ends[k - 1]) disjoint = false;
      this.byName.set(name, { entries: list, starts, ends, disjoint });
      for (let k = 0; k < list.length; k++) {
        bounds.add(starts[k]);
        if (ends[k] !== Number.POSITIVE_INFINITY) bounds.add(ends[k] + 1);
      }
    }
    this.names = [...groups.keys()].sort();
    this.boundaries = [...bounds].sort((a, b) => a - b);
    this.size = entries.length;
  }

  /** The winning entry of one name at a point key, if any. */
  lookup(name: string, p: number): T | undefined {
    const l = this.byName.get(name);
    if (!l) return undefined;
    // last entry starting at or before p
    let lo = 0;
    let hi = l.starts.length - 1;
    let k = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (l.starts[mid] <= p) {
        k = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (k < 0) return undefined;
    if (l.disjoint) return l.ends[k] >= p ? l.entries[k] : undefined;
    let best: T | undefined;
    for (let j = k; j >= 0; j--) if (l.ends[j] >= p) best = better(best, l.entries[j]);
    return best;
  }

  entriesOf(name: string): readonly T[] {
    return this.byName.get(name)?.entries ?? [];
  }
}

/** Resolution over indexes, highest priority first. */
export function resolveIndexedChain<T extends Entry>(chain: ReadonlyArray<{ tag: string; index: TagIndex<T> }>, exp: number, run: number): Resolved<T>[] {
  const p = pointKey(exp, run);
  const out = new Map<string, Resolved<T>>();
  for (const { tag, index } of chain) {
    for (const name of index.names) {
      if (out.has(name)) continue;
      const e = index.lookup(name, p);
      if (e) out.set(name, { ...e, tag });
    }
  }
  return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Sorted union of several indexes' boundaries. */
export function chainBoundaries(indexes: ReadonlyArray<TagIndex<Entry>>): number[] {
  if (indexes.length === 1) return indexes[0].boundaries;
  const all = new Set<number>();
  for (const i of indexes) for (const b of i.boundaries) all.add(b);
  return [...all].sort((a, b) => a - b);
}

/** Which segment of `boundaries` a point falls in: points in one segment resolve identically. */
export function segmentOf(boundaries: readonly number[], p: number): number {
  let lo = 0;
  let hi = boundaries.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (boundaries[mid] <= p) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
