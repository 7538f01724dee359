/**
 * Merge by priority: `merge A B C -> D`, highest priority first; a later tag only fills the runs that the
 * earlier ones leave uncovered for a payload name. Inside one tag the higher revision wins where two entries overlap,
 * so resolving D at any run gives the same payload as resolving the chain A, B, C there. The result has no overlaps:
 * an entry that is partly hidden is cut into the visible pieces.
 *
 * Each source may be clipped to a run range first (the final tag of a bucket takes the fixing tag's entries only for
 * the bucket's runs).
 */
import { clip, compareIov, startKey, subtractAll, unionAll, type Iov } from './iov.ts';
import type { Entry } from './resolution.ts';

export interface MergeSource<T extends Entry> {
  entries: readonly T[];
  /** only this part of the run axis is taken from the source */
  range?: Iov;
}

/** Merged entries: each is a source entry (all its fields kept) with the IoV replaced by the visible piece. */
export type MergedEntry<T extends Entry> = T & { sourceIndex: number };

export function mergeByPriority<T extends Entry>(sources: ReadonlyArray<MergeSource<T>>): MergedEntry<T>[] {
  const covered = new Map<string, Iov[]>();
  const out: MergedEntry<T>[] = [];
  sources.forEach((source, sourceIndex) => {
    const ordered = [...source.entries].sort(
      (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : b.revision - a.revision || startKey(b) - startKey(a)),
    );
    for (const e of ordered) {
      const piece = source.range ? clip(e, source.range) : e;
      if (!piece) continue;
      const have = covered.get(e.name) ?? [];
      const visible = subtractAll(piece, have);
      if (visible.length === 0) continue;
      for (const v of visible) {
        out.push({ ...e, firstExp: v.firstExp, firstRun: v.firstRun, finalExp: v.finalExp, finalRun: v.finalRun, sourceIndex });
      }
      covered.set(e.name, unionAll([...have, ...visible]));
    }
  });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : compareIov(a, b)));
}
