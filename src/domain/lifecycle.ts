/**
 * Every lifecycle (tag, bucket, calibration, candidate, request, job, fix, fix window, campaign) is built here from its
 * transition table, so they all answer the same questions with the same names:
 *
 *   lifecycle.list                 every state, in table order
 *   lifecycle.transitions[s]       the states s may move to
 *   lifecycle.is(x)                x is one of the states (own keys only: 'toString' is not a state)
 *   lifecycle.can(from, to)        the table allows from → to
 *   lifecycle.assert(from, to)     throws ILLEGAL_TRANSITION (naming both states and what from allows) unless it can
 *   lifecycle.statesThatMayMoveTo  the states that may move to `to`, for set-based compare-and-set updates
 *
 * The database keeps each state column to the same list with a CHECK constraint generated from `list`
 * (src/db/state-columns.ts), so the table here is the one place a state is declared.
 */
import { illegalTransition } from './errors.ts';

export interface Lifecycle<S extends string> {
  /** what moves: used in messages ("bucket e12_bucket7 cannot go from …") */
  readonly name: string;
  readonly list: readonly S[];
  readonly transitions: Readonly<Record<S, readonly S[]>>;
  is(x: unknown): x is S;
  can(from: string, to: string): boolean;
  assert(from: string, to: S, subject?: string | number): void;
  statesThatMayMoveTo(to: S, froms?: readonly S[]): S[];
}

/** The state union of a lifecycle: `type BucketStage = StateOf<typeof bucketLifecycle>`. */
export type StateOf<L> = L extends Lifecycle<infer S> ? S : never;

export function defineLifecycle<const S extends string>(
  name: string,
  table: { readonly [K in S]: readonly NoInfer<S>[] },
): Lifecycle<S> {
  const list = Object.keys(table) as S[];
  for (const from of list) {
    for (const to of table[from]) {
      if (!Object.hasOwn(table, to)) throw new Error(`${name} lifecycle: ${from} → ${to} names no state`);
    }
  }
  const transitions = Object.freeze(Object.fromEntries(list.map((s) => [s, Object.freeze([...table[s]])]))) as Readonly<
    Record<S, readonly S[]>
  >;
  const is = (x: unknown): x is S => typeof x === 'string' && Object.hasOwn(transitions, x);
  const can = (from: string, to: string) => is(from) && transitions[from].includes(to as S);
  return Object.freeze({
    name,
    list: Object.freeze(list),
    transitions,
    is,
    can,
    assert(from: string, to: S, subject?: string | number): void {
      if (can(from, to)) return;
      const who = subject === undefined ? name : `${name} ${subject}`;
      const allowed = is(from) ? transitions[from] : [];
      const why =
        from === to
          ? `${who} is already ${to}`
          : !is(from)
            ? `${who} cannot go from ${from} to ${to}; ${from} is not a ${name} state`
            : `${who} cannot go from ${from} to ${to}; ${from} may go to ${allowed.length ? allowed.join(', ') : 'nothing (end of life)'}`;
      throw illegalTransition(why, { lifecycle: name, subject, from, to, allowed });
    },
    statesThatMayMoveTo(to: S, froms: readonly S[] = list): S[] {
      return froms.filter((f) => can(f, to));
    },
  });
}
