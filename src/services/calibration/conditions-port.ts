/**
 * What the calibration loop needs from the conditions store, in its own words. `loopConditions(deps)` (in
 * conditions-adapter.ts) implements it with the conditions services of src/services/conditions; nothing else in the
 * calibration part imports them, so a change there is absorbed here.
 */
import type { Actor } from '../../domain/roles.ts';
import type { Tx } from '../../db/transaction.ts';

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

export interface LoopConditions {
  /** Upload a payload file under `name` (identical bytes return the existing revision). */
  uploadPayloadFile(input: { name: string; file: string; actor: Actor }): Promise<StoredPayload>;
  /** State of a tag, or null when it does not exist. */
  tagState(name: string, tx?: Tx): Promise<string | null>;
  /** Create the tag (OPEN) unless it exists. */
  ensureTag(input: { name: string; type: 'staging' | 'running'; description: string; actor: Actor }): Promise<void>;
  /** IoVs currently in a tag. */
  liveIovs(tag: string, tx?: Tx): Promise<LiveIov[]>;
  addIov(input: { tag: string; payloadId: number; iov: IovRange; actor: Actor; reason: string }): Promise<{ id: number }>;
  removeIov(input: { tag: string; iovId: number; actor: Actor; reason: string }): Promise<void>;
  /** Walk the tag to `state` through the legal path (OPEN → TESTING → VALIDATED; OPEN → RUNNING). */
  setTagState(input: { tag: string; state: 'VALIDATED' | 'RUNNING'; actor: Actor; reason: string; tx?: Tx }): Promise<void>;
  /** Running update of `running` with `staging` from (exp, run), inside `tx`. Throws RULE_VIOLATION when a rule breaks. */
  runningUpdate(input: { staging: string; running: string; exp: number; run: number; actor: Actor; reason: string; tx: Tx }): Promise<Record<string, unknown>>;
  /** PUBLISHED copy of `source` named `name`, inside `tx`. */
  snapshot(input: { source: string; name: string; actor: Actor; reason: string; tx: Tx }): Promise<Record<string, unknown>>;
  /** The payloads a chain resolves to for one run (tags that do not exist yet are skipped). */
  resolve(chain: readonly string[], exp: number, run: number): Promise<ResolvedPayloadRef[]>;
  /** Write a basf2 local database (database.txt + payload files) for the chain at one run into `dir`. */
  exportLocalDb(input: { chain: readonly string[]; exp: number; run: number; dir: string }): Promise<{ entries: number }>;
  /** Absolute path of a stored payload's bytes (to copy into a local database or read its values). */
  payloadPath(payloadId: number): Promise<string>;
}
