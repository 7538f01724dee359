/**
 * Diff of two sets of tag entries (two tags, or one tag at two times): entries only in the second are *added*, only in
 * the first *removed*; an entry of the same payload name starting at the same run but with another revision or end is
 * *changed* (a closed IoV after a running update, a replaced payload).
 */
import { compareIov, formatIov, sameIov, type Iov } from './iov.ts';
import type { Entry } from './resolution.ts';

export interface DiffEntry extends Iov {
  name: string;
  revision: number;
}

export interface TagDiff<T extends DiffEntry> {
  added: T[];
  removed: T[];
  changed: Array<{ from: T; to: T }>;
  unchanged: number;
}

const exactKey = (e: Entry) => `${e.name}\u0000${e.revision}\u0000${formatIov(e)}`;
const startOf = (e: Entry) => `${e.name}\u0000${e.firstExp},${e.firstRun}`;
const order = (a: Entry, b: Entry) => (a.name < b.name ? -1 : a.name > b.name ? 1 : compareIov(a, b));

export function diffEntries<T extends DiffEntry>(before: readonly T[], after: readonly T[]): TagDiff<T> {
  const pool = new Map<string, T[]>();
  for (const e of before) {
    const k = exactKey(e);
    const l = pool.get(k);
    if (l) l.push(e);
    else pool.set(k, [e]);
  }
  let unchanged = 0;
  const onlyAfter: T[] = [];
  for (const e of after) {
    const l = pool.get(exactKey(e));
    if (l && l.length) {
      l.pop();
      unchanged++;
    } else onlyAfter.push(e);
  }
  const onlyBefore = [...pool.values()].flat();
  const byStart = new Map<string, T[]>();
  for (const e of onlyBefore) {
    const k = startOf(e);
    const l = byStart.get(k);
    if (l) l.push(e);
    else byStart.set(k, [e]);
  }
  const changed: Array<{ from: T; to: T }> = [];
  const added: T[] = [];
  for (const e of onlyAfter) {
    const l = byStart.get(startOf(e));
    const from = l?.shift();
    if (from && !(from.revision === e.revision && sameIov(from, e))) changed.push({ from, to: e });
    else added.push(e);
  }
  const removed = [...byStart.values()].flat();
  return {
    added: added.sort(order),
    removed: removed.sort(order),
    changed: changed.sort((a, b) => order(a.to, b.to)),
    unchanged,
  };
}
