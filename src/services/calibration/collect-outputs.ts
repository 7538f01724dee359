/**
 * A calibration finished with payloads (converged, or stopped at the iteration bound): its payload files are uploaded,
 * each gets its IoVs (open-ended from the first run of the scope, or one per run per `iov_granularity`), and a
 * PayloadCandidate per payload and IoV is created with what the manager judges it by — the algorithm's metrics
 * (value, uncertainty, χ²/ndf, ...) and the change w.r.t. the previous payload in the running tag. Older runs of the
 * same calibration in the bucket are superseded, and the bucket's staging tag is synced.
 *
 * Idempotent: identical payload bytes keep their revision, candidates are unique per (run, name, IoV start).
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Deps } from '../../deps.ts';
import { inTransaction } from '../../db/transaction.ts';
import type { Prisma } from '../../db/generated/client.ts';
import type { CalibrationDefinition } from '../../config/calibration-schema.ts';
import { compareValues, metricsOfRun, planIovs } from '../../domain/calibration-plan.ts';
import { DomainError } from '../../domain/errors.ts';
import { SYSTEM_ACTOR } from '../../domain/roles.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { calibrationSetup, loopTags } from './calibration-config.ts';
import { conditionsPort } from '../conditions/store-conditions.ts';
import { syncStagingTag } from './staging-tag.ts';

export interface IterationResult {
  outcome: string;
  payloads: Array<{ name: string; file: string }>;
  metrics: Record<string, unknown>;
}

function readJson(path: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** PNG/SVG/PDF files the algorithm wrote next to its result (docs/contracts.md), by file name. */
export const VALIDATION_IMAGE = /^[\w.-]+\.(png|svg|pdf)$/i;
function validationImages(dir: string | null | undefined): string[] {
  if (!dir) return [];
  try {
    return readdirSync(dir).filter((f) => VALIDATION_IMAGE.test(f)).sort();
  } catch {
    return [];
  }
}

const numbers = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

export async function collectOutputs(
  deps: Deps,
  input: {
    bucket: { id: number; name: string };
    run: { id: number; calibration: string; detector: string; exp: number; firstRun: number; inputs: unknown };
    definition: CalibrationDefinition;
    iteration: number;
    result: IterationResult;
    outcome: 'converged' | 'stopped';
    /** the iteration's output directory: validation images found there are attached to the candidates */
    outputDir?: string | null;
  },
): Promise<{ candidates: number }> {
  const { bucket, run, definition, result } = input;
  const undeclared = result.payloads.filter((p) => !definition.producedPayloads.includes(p.name));
  if (undeclared.length > 0 || result.payloads.length === 0) {
    throw new DomainError(
      'RULE_VIOLATION',
      result.payloads.length === 0
        ? `${run.calibration} ended ${input.outcome} without payloads`
        : `${run.calibration} produced undeclared payload(s) ${undeclared.map((p) => p.name).join(', ')} (produced_payloads: ${definition.producedPayloads.join(', ')})`,
    );
  }
  const conditions = conditionsPort(deps);
  const tags = loopTags(calibrationSetup(deps.config), bucket.name);
  const previous = new Map((await conditions.resolve([tags.running], run.exp, run.firstRun)).map((p) => [p.name, p]));
  const metricRuns = Array.isArray(result.metrics.runs) ? (result.metrics.runs as unknown[]).filter((r): r is number => typeof r === 'number') : [];
  const inputRuns = Array.isArray(numbers(run.inputs).runs) ? (numbers(run.inputs).runs as number[]) : [];
  const iovs = planIovs(definition.iovGranularity, { exp: run.exp, firstRun: run.firstRun }, metricRuns.length ? metricRuns : inputRuns);
  const images = validationImages(input.outputDir);
  const rows: Prisma.PayloadCandidateCreateManyInput[] = [];
  for (const p of result.payloads) {
    const stored = await conditions.storePayload({ name: p.name, file: p.file, actor: SYSTEM_ACTOR, reason: 'calibration output' });
    const prev = previous.get(p.name);
    const content = readJson(p.file);
    const prevContent = prev ? readJson(await conditions.payloadPath(prev.payloadId)) : null;
    const change = compareValues(numbers(content?.values), prevContent ? numbers(prevContent.values) : null, numbers(content?.uncertainties));
    const metrics = JSON.parse(
      JSON.stringify({
        ...result.metrics,
        changeVsRunning: { ...change, previousRevision: prev?.revision ?? null, previousTag: prev?.tag ?? null },
        stoppedAtBound: input.outcome === 'stopped',
        validationImages: images,
      }),
    ) as Record<string, unknown>;
    for (const iov of iovs) {
      rows.push({
        bucketId: bucket.id,
        calibrationRunId: run.id,
        calibration: run.calibration,
        detector: run.detector,
        outcome: input.outcome,
        iteration: input.iteration,
        payloadId: stored.id,
        name: stored.name,
        revision: stored.revision,
        firstExp: iov.firstExp,
        firstRun: iov.firstRun,
        finalExp: iov.finalExp,
        finalRun: iov.finalRun,
        previousRevision: prev?.revision ?? null,
        metrics: (iov.run !== undefined ? metricsOfRun(metrics, iov.run) : metrics) as Prisma.InputJsonObject,
        state: 'pending',
      });
    }
  }
  const now = deps.clock.now();
  const created = await inTransaction(deps, async (tx) => {
    const superseded = await tx.payloadCandidate.findMany({
      where: { bucketId: bucket.id, calibration: run.calibration, calibrationRunId: { not: run.id }, state: { in: ['pending', 'approved'] } },
      select: { id: true, calibrationRunId: true, name: true, revision: true, state: true },
    });
    if (superseded.length > 0) {
      await tx.payloadCandidate.updateMany({ where: { id: { in: superseded.map((s) => s.id) } }, data: { state: 'superseded', decidedAt: now } });
      await recordAudit(tx, SYSTEM_ACTOR, {
        action: 'payload.supersede',
        targetType: 'calibration_run',
        targetId: run.id,
        summary: `${run.calibration} run ${run.id} supersedes ${superseded.length} candidate(s) of earlier runs in ${bucket.name}`,
        details: { superseded },
        at: now,
      });
    }
    const r = await tx.payloadCandidate.createMany({ data: rows, skipDuplicates: true });
    if (r.count > 0) {
      await recordAudit(tx, SYSTEM_ACTOR, {
        action: 'payload.candidate',
        targetType: 'calibration_run',
        targetId: run.id,
        summary: `${run.calibration} (${input.outcome}) offers ${rows.map((c) => `${c.name} rev ${c.revision} ${c.firstExp},${c.firstRun},${c.finalExp},${c.finalRun}`).join('; ')} for ${bucket.name}`,
        details: { candidates: rows.map((c) => ({ name: c.name, revision: c.revision, iov: [c.firstExp, c.firstRun, c.finalExp, c.finalRun] })) },
        at: now,
      });
    }
    return r.count;
  });
  await syncStagingTag(deps, bucket.id);
  return { candidates: created };
}
