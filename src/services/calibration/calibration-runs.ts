/**
 * Creating CalibrationRun rows (shared by planning a bucket and approving a request) and reading what the loop needs
 * about a bucket's runs. Creation is idempotent by `key`: a repeated tick or a retried request creates nothing twice.
 */
import type { CalibrationDefinition } from '../../config/calibration-schema.ts';
import { mergeExpertConfig } from '../../domain/calibration-plan.ts';
import type { Db } from '../../db/transaction.ts';

export function calibrationRunKey(bucket: string, calibration: string, requestId: number | null): string {
  return `${bucket}:${calibration}:${requestId === null ? 'plan' : `request${requestId}`}`;
}

export interface NewCalibrationRun {
  bucket: { id: number; name: string };
  definition: CalibrationDefinition;
  requestId: number | null;
  scope: { exp: number; firstRun: number; lastRun: number | null };
  state: 'waiting' | 'not_enough_data' | 'blocked';
  overrides?: Record<string, unknown> | null;
  tagChain: string[];
  stagingTag: string;
  inputs?: unknown;
  message?: string;
  createdBy: string;
  at: Date;
}

/** Inserts the run unless its key exists; returns the stored row either way and whether it was created now. */
export async function ensureCalibrationRun(tx: Db, n: NewCalibrationRun) {
  const key = calibrationRunKey(n.bucket.name, n.definition.name, n.requestId);
  const r = await tx.calibrationRun.createMany({
    data: [
      {
        key,
        bucketId: n.bucket.id,
        calibration: n.definition.name,
        detector: n.definition.detector,
        requestId: n.requestId,
        exp: n.scope.exp,
        firstRun: n.scope.firstRun,
        lastRun: n.scope.lastRun,
        state: n.state,
        stateChangedAt: n.at,
        maxIterations: n.definition.maxIterations,
        expertConfig: JSON.parse(JSON.stringify(mergeExpertConfig(n.definition.expertConfig, n.overrides))),
        tagChain: n.tagChain,
        stagingTag: n.stagingTag,
        inputs: JSON.parse(JSON.stringify(n.inputs ?? {})),
        message: n.message ?? null,
        createdBy: n.createdBy,
        createdAt: n.at,
        ...(n.state !== 'waiting' ? { finishedAt: n.at } : {}),
      },
    ],
    skipDuplicates: true,
  });
  const row = await tx.calibrationRun.findUniqueOrThrow({ where: { key } });
  return { row, created: r.count === 1 };
}

/** The newest run of each calibration of a bucket (the one that counts). */
export async function currentRunsOfBucket(db: Db, bucketId: number) {
  const runs = await db.calibrationRun.findMany({ where: { bucketId }, orderBy: { id: 'asc' } });
  const current = new Map<string, (typeof runs)[number]>();
  for (const r of runs) current.set(r.calibration, r);
  return { all: runs, current };
}
