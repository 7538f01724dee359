/**
 * Global tag states and types (as in Belle II). The server enforces the transition table; the CLI asks for
 * the tag name to be retyped before the irreversible ones.
 *
 * | state     | entered by                                   | what may happen there                        | exits to           |
 * |-----------|----------------------------------------------|----------------------------------------------|--------------------|
 * | OPEN      | creation, clone, merge, import target        | IoVs added, modified, deleted; rename        | TESTING, RUNNING   |
 * | TESTING   | OPEN, "freeze for tests"                     | nothing changes; can reopen                  | VALIDATED, OPEN    |
 * | VALIDATED | TESTING, tests passed                        | frozen; a staging tag is applied from here   | PUBLISHED, OPEN    |
 * | PUBLISHED | VALIDATED, or created as a snapshot          | immutable; resolutions are cacheable forever | INVALID            |
 * | RUNNING   | OPEN, the loop's running tag                 | grows forward only, by running update        | PUBLISHED, INVALID |
 * | INVALID   | PUBLISHED or RUNNING, end of life            | never served for processing                  | —                  |
 */
import { ruleViolation } from './errors.ts';
import { defineLifecycle, type StateOf } from './lifecycle.ts';

export const tagLifecycle = defineLifecycle('tag', {
  OPEN: ['TESTING', 'RUNNING'],
  TESTING: ['VALIDATED', 'OPEN'],
  VALIDATED: ['PUBLISHED', 'OPEN'],
  PUBLISHED: ['INVALID'],
  RUNNING: ['PUBLISHED', 'INVALID'],
  INVALID: [],
});
export type TagState = StateOf<typeof tagLifecycle>;

/** Moves that cannot be undone: the CLI wants the tag name retyped (or --yes). */
export const IRREVERSIBLE_STATES: readonly TagState[] = ['PUBLISHED', 'INVALID'];

export const TAG_TYPES = {
  running: 'running',
  staging: 'staging',
  snapshot: 'snapshot',
  auxiliary: 'auxiliary',
  release: 'release',
} as const;
export type TagType = (typeof TAG_TYPES)[keyof typeof TAG_TYPES];
export const TAG_TYPE_LIST = Object.values(TAG_TYPES) as TagType[];

/** Shortest legal path of states from `from` to `to` (excluding `from`), or undefined when unreachable. */
export function transitionPath(from: TagState, to: TagState): TagState[] | undefined {
  if (from === to) return [];
  const prev = new Map<TagState, TagState>();
  const queue: TagState[] = [from];
  while (queue.length) {
    const s = queue.shift()!;
    for (const n of tagLifecycle.transitions[s]) {
      if (n === from || prev.has(n)) continue;
      prev.set(n, s);
      if (n === to) {
        const path: TagState[] = [n];
        for (let p = s; p !== from; p = prev.get(p)!) path.unshift(p);
        return path;
      }
      queue.push(n);
    }
  }
  return undefined;
}

/** IoVs may be added, modified or deleted directly only while OPEN (a RUNNING tag changes by running update only). */
export function assertIovsEditable(tag: string, state: TagState): void {
  if (state === 'OPEN') return;
  const why =
    state === 'RUNNING'
      ? 'a RUNNING tag only grows by running update'
      : state === 'PUBLISHED' || state === 'INVALID'
        ? `a ${state} tag never changes`
        : `a ${state} tag is frozen; set it back to OPEN first`;
  throw ruleViolation(`cannot change IoVs of tag ${tag} (${state}): ${why}`, { tag, state, rule: 'tag-state' });
}

/** Rename only before a tag is used for processing (a published or running tag's name is in job configurations). */
export function assertRenamable(tag: string, state: TagState): void {
  if (state === 'OPEN' || state === 'TESTING' || state === 'VALIDATED') return;
  throw ruleViolation(`tag ${tag} is ${state}; only OPEN, TESTING or VALIDATED tags can be renamed`, { tag, state, rule: 'tag-state' });
}

/** INVALID tags are never served for processing. */
export function assertServable(tag: string, state: TagState): void {
  if (state === 'INVALID') {
    throw ruleViolation(`tag ${tag} is INVALID and is never served for processing`, { tag, state, rule: 'invalid-tag' });
  }
}

/** Kinds of append-only history events (TagEvent.kind). */
export const TAG_EVENT_KINDS = {
  create: 'create',
  clone: 'clone',
  rename: 'rename',
  describe: 'describe',
  state: 'state',
  fcsr: 'fcsr',
  iovInsert: 'iov.insert',
  iovClose: 'iov.close',
  iovExtend: 'iov.extend',
  iovModify: 'iov.modify',
  iovDelete: 'iov.delete',
  runningUpdate: 'runningupdate',
  snapshot: 'snapshot',
  merge: 'merge',
  import: 'import',
} as const;
export type TagEventKind = (typeof TAG_EVENT_KINDS)[keyof typeof TAG_EVENT_KINDS];
