/**
 * A detector expert asks for a calibration to run on a bucket (or a run range inside one) with expert_config
 * overrides and a reason. Only for the expert's own detectors; the calibration manager may submit too.
 */
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import { inTransaction } from '../../db/transaction.ts';
import { DomainError, invalid, notFound, ruleViolation } from '../../domain/errors.ts';
import { assertDetectorScope, type Actor } from '../../domain/roles.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { calibrationSetup, definitionOf } from '../calibration/calibration-config.ts';
import { toRequestView, type RequestView } from './request-view.ts';
import { findBucket } from '../buckets/bucket-data.ts';

export const SubmitRequestSchema = z
  .strictObject({
    calibration: z.string().min(1).describe('calibration name (calibrations/<name>.yaml)'),
    bucket: z.string().min(1).optional().describe('bucket name, e.g. e12_bucket1'),
    exp: z.number().int().min(0).optional().describe('experiment of the run range (instead of a bucket)'),
    firstRun: z.number().int().min(0).optional().describe('first run of the range, inclusive'),
    lastRun: z.number().int().min(0).optional().describe('last run of the range, inclusive'),
    expertConfig: z.record(z.string(), z.unknown()).default({}).describe('overrides of the definition\'s expert_config'),
    reason: z.string().trim().min(1).max(2000).describe('why the calibration should run'),
  })
  .superRefine((b, ctx) => {
    const range = b.exp !== undefined || b.firstRun !== undefined || b.lastRun !== undefined;
    if (!b.bucket && !range) ctx.addIssue({ code: 'custom', path: ['bucket'], message: 'give a bucket or a run range (exp, firstRun, lastRun)' });
    if (range && (b.exp === undefined || b.firstRun === undefined || b.lastRun === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['firstRun'], message: 'a run range needs exp, firstRun and lastRun' });
    }
    if (b.firstRun !== undefined && b.lastRun !== undefined && b.lastRun < b.firstRun) {
      ctx.addIssue({ code: 'custom', path: ['lastRun'], message: 'lastRun is before firstRun' });
    }
  });
export type SubmitRequestInput = z.input<typeof SubmitRequestSchema>;

/** Buckets whose calibration is over: a correction then goes through the fix window instead. */
export const CLOSED_FOR_REQUESTS = ['updating', 'snapshotted', 'prompt_processing', 'fix_window', 'awaiting_blessing', 'blessed', 'reprocessing', 'done'];

/** True when the bucket's payloads are (being) applied to the running tag, also when that step failed. */
export function calibrationIsOver(bucket: { stage: string; data: unknown }): boolean {
  if (CLOSED_FOR_REQUESTS.includes(bucket.stage)) return true;
  const failedFrom = (bucket.data as { failedFrom?: unknown } | null)?.failedFrom;
  return bucket.stage === 'failed' && typeof failedFrom === 'string' && CLOSED_FOR_REQUESTS.includes(failedFrom);
}

export async function submitRequest(deps: Deps, actor: Actor, raw: SubmitRequestInput): Promise<RequestView> {
  const parsed = SubmitRequestSchema.safeParse(raw);
  if (!parsed.success) throw invalid('invalid algorithm request', parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  const input = parsed.data;
  const definition = definitionOf(calibrationSetup(deps.config), input.calibration);
  // Scope first: an expert for another detector learns nothing about buckets and changes nothing.
  assertDetectorScope(actor, definition.detector);
  const bucket = await findRequestBucket(deps, input);
  if (calibrationIsOver(bucket)) {
    throw ruleViolation(
      `bucket ${bucket.name} is ${bucket.stage}: its calibration is over; upload a fix during its fix window instead`,
      { bucket: bucket.name, stage: bucket.stage },
    );
  }
  const now = deps.clock.now();
  const range = input.firstRun !== undefined;
  const row = await inTransaction(deps, async (tx) => {
    const created = await tx.algorithmRequest.create({
      data: {
        calibration: definition.name,
        detector: definition.detector,
        bucketId: bucket.id,
        firstExp: range ? input.exp! : bucket.exp,
        firstRun: range ? input.firstRun! : bucket.firstRun,
        lastExp: range ? input.exp! : bucket.exp,
        lastRun: range ? input.lastRun! : bucket.lastRun,
        expertConfig: JSON.parse(JSON.stringify(input.expertConfig)),
        reason: input.reason,
        state: 'submitted',
        submittedBy: actor.user,
        submittedAt: now,
        updatedAt: now,
      },
    });
    await recordAudit(tx, actor, {
      action: 'request.submit',
      targetType: 'algorithm_request',
      targetId: created.id,
      summary: `${actor.user} requests ${definition.name} on ${bucket.name}${range ? ` runs ${input.firstRun}-${input.lastRun}` : ''}: ${input.reason}`,
      details: { calibration: definition.name, detector: definition.detector, bucket: bucket.name, expertConfig: input.expertConfig },
      at: now,
    });
    return created;
  });
  deps.logger.info('algorithm request submitted', { requestId: row.id, calibration: row.calibration, bucket: bucket.name, by: actor.user });
  return toRequestView(row, bucket.name);
}

async function findRequestBucket(deps: Deps, input: z.output<typeof SubmitRequestSchema>) {
  if (input.bucket) {
    const b = await findBucket(deps.prisma, input.bucket);
    if (input.firstRun !== undefined) assertInside(b, input.exp!, input.firstRun, input.lastRun!);
    return b;
  }
  const candidates = await deps.prisma.bucket.findMany({
    where: { exp: input.exp!, firstRun: { lte: input.firstRun! } },
    orderBy: { firstRun: 'desc' },
    take: 1,
  });
  const b = candidates[0];
  if (!b) throw notFound(`bucket holding run ${input.exp}/${input.firstRun}`);
  assertInside(b, input.exp!, input.firstRun!, input.lastRun!);
  return b;
}

function assertInside(b: { name: string; exp: number; firstRun: number; lastRun: number | null }, exp: number, first: number, last: number) {
  const inside = exp === b.exp && first >= b.firstRun && (b.lastRun === null || last <= b.lastRun);
  if (!inside) {
    throw new DomainError('INVALID_INPUT', `runs ${exp}/${first}-${last} are not inside bucket ${b.name} (${b.exp}/${b.firstRun}-${b.lastRun ?? 'open'})`);
  }
}
