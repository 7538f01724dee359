/**
 * What the other parts of calibloop (calibration, the loop, production planning) need from the conditions store, in
 * their words. `conditionsPort(deps)` (store-conditions.ts) is the one implementation, over the conditions services
 * of this folder; nothing outside src/services/conditions imports those services for the loop's work, so a change
 * here is absorbed in one place. Every method takes an optional transaction: given one, it runs inside it (the caller
 * owns commit and retry); otherwise it opens its own.
 */
import type { Actor } from '../../domain/roles.ts';
import type { Tx } from '../../db/transaction.ts';
import type { TagState } from '../../domain/tag-states.ts';

export interface IovRange {
  firstExp: number;
  firstRun: number;
  finalExp: number;
  finalRun: number;
}

export interface StoredPayload {
  id: number;
  name: string;
  revision: number;
}

export interface LiveIov extends IovRange {
  id: number;
  name: string;
  revision: number;
  payloadId: number;
}

export interface ResolvedPayloadRef {
  name: string;
  revision: number;
  payloadId: number;
  tag: string;
}

export interface FinalTagInput {
  finalTag: string;
  snapshotTag: string;
  fixingTag: string;
  bucket: { exp: number; firstRun: number; lastRun: number };
  reason: string;
  actor: Actor;
}

export interface ConditionsPort {
  /** Upload a payload (a file, or bytes) under `name`; identical bytes return the existing revision. */
  storePayload(input: { name: string; file?: string; content?: Buffer; actor: Actor; reason: string }, tx?: Tx): Promise<StoredPayload>;
  /** Absolute path of a stored payload's bytes (to copy into a local database or read its values). */
  payloadPath(payloadId: number, tx?: Tx): Promise<string>;
  /** State of a tag, or null when it does not exist. */
  tagState(name: string, tx?: Tx): Promise<TagState | null>;
  /** Create the tag (OPEN) unless it exists. */
  ensureTag(input: { name: string; type: 'staging' | 'running' | 'auxiliary'; description: string; actor: Actor }, tx?: Tx): Promise<void>;
  /** IoVs currently in a tag (none when the tag does not exist yet). */
  liveIovs(tag: string, tx?: Tx): Promise<LiveIov[]>;
  addIov(input: { tag: string; payloadId: number; iov: IovRange; actor: Actor; reason: string }, tx?: Tx): Promise<{ id: number }>;
  removeIov(input: { tag: string; iovId: number; actor: Actor; reason: string }, tx?: Tx): Promise<void>;
  /** The one way to walk a tag to `state`: along the shortest legal path (OPEN → TESTING → VALIDATED; OPEN → RUNNING). */
  walkTagTo(input: { tag: string; state: TagState; actor: Actor; reason: string }, tx?: Tx): Promise<void>;
  /** VALIDATED → PUBLISHED; a tag already PUBLISHED (an interrupted earlier blessing) is fine, any other state refused. */
  publishTag(input: { tag: string; actor: Actor; reason: string }, tx?: Tx): Promise<void>;
  /** Moves a tag's first condition-safe run forward to `fcsr` (never backwards; a no-op when already past). */
  advanceFcsr(input: { tag: string; fcsr: { exp: number; run: number }; actor: Actor; reason: string }, tx?: Tx): Promise<void>;
  /** Running update of `running` with `staging` from (exp, run). Throws RULE_VIOLATION when a rule breaks. */
  runningUpdate(input: { staging: string; running: string; exp: number; run: number; actor: Actor; reason: string }, tx?: Tx): Promise<Record<string, unknown>>;
  /** PUBLISHED copy of `source` named `name`. */
  snapshot(input: { source: string; name: string; actor: Actor; reason: string }, tx?: Tx): Promise<Record<string, unknown>>;
  /**
   * The final tag of a bucket: the fixing tag clipped to the bucket's runs over the snapshot, frozen to VALIDATED, in
   * one transaction. A final tag already VALIDATED or PUBLISHED (an attempt crashed before moving the bucket) is reused.
   */
  buildFinalTag(input: FinalTagInput, tx?: Tx): Promise<{ finalTag: string; iovs: number; reused: boolean }>;
  /** Adds an approved fix to the auxiliary fixing tag (created OPEN on first use). Returns the new IoV's id. */
  addFix(input: { tag: string; fix: { payloadId: number; name: string; revision: number } & IovRange; actor: Actor; reason: string }, tx?: Tx): Promise<number>;
  /** The payloads a chain resolves to for one run: tags that do not exist yet are skipped, an INVALID tag is refused. */
  resolve(chain: readonly string[], exp: number, run: number, tx?: Tx): Promise<Array<ResolvedPayloadRef & LiveIov>>;
  /** The one local-database export (atomic: temp dir + rename), see exportChainLocalDb in export-localdb.ts. */
  exportLocalDb(input: { chain: readonly string[]; dir: string; reuse?: boolean }): Promise<{ dir: string; entries: number }>;
}
