/**
 * The loop's moves of a bucket through snapshotted → prompt_processing → fix_window → awaiting_blessing → blessed →
 * reprocessing → done, persisted compare-and-set on (id, stage) inside the caller's transaction, with the loop's
 * progress (`Bucket.data.loop`) written in the same statement, one audit event and one log line per move. 0 rows
 * updated means another instance moved it first: CONFLICT, and the caller's transaction rolls back.
 */
import type { Deps } from '../../deps.ts';
import type { Db } from '../../db/transaction.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { bucketLifecycle, type BucketStage } from '../../domain/bucket-stages.ts';
import { conflict, notFound } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';

export interface BucketRow {
  id: number;
  name: string;
  exp: number;
  firstRun: number;
  lastRun: number | null;
  stage: string;
  data: unknown;
}

/** What the loop keeps in Bucket.data.loop so every step survives a restart. */
export interface BucketLoopData {
  /** prompt processing: the snapshot used, the local db exported from it, when jobs were planned */
  promptTag?: string;
  promptLocalDb?: string;
  promptPlannedAt?: string;
  promptFinishedAt?: string;
  /** runs prompt processing locked, and the FCSR it set on the running tag */
  lockedRuns?: number;
  fcsr?: { exp: number; run: number };
  finalTag?: string;
  finalAssembledAt?: string;
  blessedAt?: string;
  blessedBy?: string;
  campaignId?: number;
  /** last problem a loop step ran into (stays until the step succeeds) */
  problem?: string;
}

export async function findBucket(db: Db, ref: string | number): Promise<BucketRow> {
  const asNumber = typeof ref === 'number' ? ref : /^\d+$/.test(ref) ? Number(ref) : undefined;
  const b = await db.bucket.findFirst({
    where: asNumber !== undefined ? { OR: [{ id: asNumber }, { name: String(ref) }] } : { name: String(ref) },
  });
  if (!b) throw notFound(`bucket ${ref}`);
  return b;
}

export function bucketData(b: { data: unknown }): Record<string, unknown> {
  return b.data && typeof b.data === 'object' && !Array.isArray(b.data) ? (b.data as Record<string, unknown>) : {};
}

export function loopData(b: { data: unknown }): BucketLoopData {
  return (bucketData(b).loop as BucketLoopData | undefined) ?? {};
}

/** Merges into Bucket.data.loop while the bucket is still in its stage; false when it moved on meanwhile. */
export async function recordLoopProgress(db: Db, bucket: { id: number; stage: string; data: unknown }, loop: Partial<BucketLoopData>): Promise<boolean> {
  const data = bucketData(bucket);
  const next = { ...data, loop: { ...loopData(bucket), ...loop } };
  const r = await db.bucket.updateMany({ where: { id: bucket.id, stage: bucket.stage }, data: { data: JSON.parse(JSON.stringify(next)) } });
  return r.count === 1;
}

export async function moveBucket(
  deps: Pick<Deps, 'logger'>,
  tx: Db,
  input: {
    bucket: { id: number; name: string; stage: string; data: unknown };
    to: BucketStage;
    actor: Actor;
    reason: string;
    at: Date;
    loop?: Partial<BucketLoopData>;
  },
): Promise<void> {
  const { bucket, to, actor, reason, at } = input;
  bucketLifecycle.assert(bucket.stage, to, bucket.name);
  const data = bucketData(bucket);
  const next = { ...data, loop: { ...loopData(bucket), ...(input.loop ?? {}) } };
  const r = await tx.bucket.updateMany({
    where: { id: bucket.id, stage: bucket.stage },
    data: { stage: to, stageChangedAt: at, data: JSON.parse(JSON.stringify(next)) },
  });
  if (r.count === 0) throw conflict(`bucket ${bucket.name} is no longer ${bucket.stage}; someone else moved it first`);
  const event = { type: 'bucket.transition', bucket: bucket.name, bucketId: bucket.id, from: bucket.stage, to, reason };
  await recordAudit(tx, actor, {
    action: `bucket.${to}`,
    targetType: 'bucket',
    targetId: bucket.name,
    summary: `${bucket.name}: ${bucket.stage} → ${to}: ${reason}`,
    details: event,
    at,
  });
  deps.logger.info('bucket transition', { ...event, actor: actor.user });
}
