/**
 * Shared by approve-payloads and reject-payloads: which candidates a decision covers (explicit ids, or every pending
 * candidate of a bucket), how a decision is recorded, and the guard that decisions happen only while the bucket waits for them. The bucket row is
 * locked first (a no-op compare-and-set), so a decision and the finalising tick's move to `updating` never interleave.
 */
import { z } from 'zod';
import { DomainError, invalid, notFound, ruleViolation } from '../../domain/errors.ts';
import type { Db, Tx } from '../../db/transaction.ts';
import type { Actor } from '../../domain/roles.ts';
import type { CandidateState } from '../../domain/calibration-states.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { findBucket } from '../buckets/bucket-data.ts';

export const DecidePayloadsSchema = z
  .strictObject({
    ids: z.array(z.number().int().positive()).min(1).optional().describe('candidate ids'),
    bucket: z.string().min(1).optional().describe('every pending candidate of this bucket'),
    comment: z.string().trim().max(2000).optional().describe('why; required for a rejection'),
  })
  .refine((b) => (b.ids ? 1 : 0) + (b.bucket ? 1 : 0) === 1, { path: ['ids'], message: 'give either ids or bucket' });
export type DecidePayloadsInput = z.input<typeof DecidePayloadsSchema>;

export const DECIDABLE_BUCKET_STAGES = ['calibrating', 'awaiting_approval'];

export function parseDecision(raw: DecidePayloadsInput) {
  const r = DecidePayloadsSchema.safeParse(raw);
  if (!r.success) throw invalid('invalid payload decision', r.error.issues.map((i) => ({ path: `body.${i.path.join('.')}`, message: i.message })));
  return r.data;
}

/** Locks each bucket row while checking it still takes decisions. */
export async function lockBucketsForDecision(tx: Db, bucketIds: number[], at: Date): Promise<Map<number, { id: number; name: string; stage: string }>> {
  const out = new Map<number, { id: number; name: string; stage: string }>();
  for (const id of [...new Set(bucketIds)].sort((a, b) => a - b)) {
    const touched = await tx.bucket.updateMany({ where: { id, stage: { in: DECIDABLE_BUCKET_STAGES } }, data: { updatedAt: at } });
    const b = await findBucket(tx, id);
    if (touched.count === 0) {
      throw ruleViolation(`bucket ${b.name} is ${b.stage}: payloads are decided only while it is calibrating or awaiting approval`, {
        bucket: b.name,
        stage: b.stage,
      });
    }
    out.set(id, b);
  }
  return out;
}

export async function selectCandidates(tx: Db, input: { ids?: number[]; bucket?: string }, states: string[]) {
  if (input.ids) {
    const rows = await tx.payloadCandidate.findMany({ where: { id: { in: input.ids } }, orderBy: { id: 'asc' } });
    const missing = input.ids.filter((id) => !rows.some((r) => r.id === id));
    if (missing.length) throw notFound(`payload candidate(s) ${missing.join(', ')}`);
    const wrong = rows.filter((r) => !states.includes(r.state));
    if (wrong.length) {
      throw new DomainError('ILLEGAL_TRANSITION', `candidate(s) ${wrong.map((r) => `${r.id} (${r.state})`).join(', ')} cannot be decided; only ${states.join(' or ')}`, {
        candidates: wrong.map((r) => ({ id: r.id, state: r.state })),
      });
    }
    return rows;
  }
  const bucket = await findBucket(tx, input.bucket!);
  return tx.payloadCandidate.findMany({ where: { bucketId: bucket.id, state: 'pending' }, orderBy: { id: 'asc' } });
}

/**
 * One candidate decision: moved compare-and-set for all `candidates` at once (from `from`), then one audit event per
 * candidate. Returns how many rows moved (the caller decides whether fewer is a conflict).
 */
export async function recordCandidateDecisions(
  tx: Tx,
  actor: Actor,
  input: {
    candidates: ReadonlyArray<{ id: number; bucketId: number; name: string; revision: number; calibration: string }>;
    buckets: ReadonlyMap<number, { name: string }>;
    from: CandidateState[];
    to: 'approved' | 'rejected';
    comment: string | null;
    at: Date;
    details?: (c: { id: number }) => Record<string, unknown>;
  },
): Promise<number> {
  const { candidates, to, comment, at } = input;
  const moved = await tx.payloadCandidate.updateMany({
    where: { id: { in: candidates.map((c) => c.id) }, state: { in: input.from } },
    data: { state: to, decidedBy: actor.user, decidedAt: at, comment },
  });
  for (const c of candidates) {
    const bucket = input.buckets.get(c.bucketId)!;
    await recordAudit(tx, actor, {
      action: to === 'approved' ? 'payload.approve' : 'payload.reject',
      targetType: 'payload_candidate',
      targetId: c.id,
      summary: `${actor.user} ${to} ${c.name} rev ${c.revision} (${c.calibration}, ${bucket.name})${comment ? `: ${comment}` : ''}`,
      details: { bucket: bucket.name, calibration: c.calibration, name: c.name, revision: c.revision, ...(input.details?.(c) ?? {}), comment },
      at,
    });
  }
  return moved.count;
}
