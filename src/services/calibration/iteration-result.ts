/**
 * Reading an iteration's `result.json` (docs/contracts.md: outcome, payloads, metrics), and settling a job that
 * waits for a retry when its algorithm already declared failure (Belle II CAF does not retry a failed algorithm).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Deps } from '../../deps.ts';
import { emitJobTransitions, moveJob } from '../jobs/job-transition.ts';

export interface RawIterationResult {
  outcome: unknown;
  payloads: Array<{ name: string; file: string }>;
  metrics: Record<string, unknown>;
}

export function readIterationResult(outputDir: string): RawIterationResult | null {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(join(outputDir, 'result.json'), 'utf8'));
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  const payloads = Array.isArray(o.payloads)
    ? o.payloads.filter((p): p is { name: string; file: string } => !!p && typeof (p as { name?: unknown }).name === 'string' && typeof (p as { file?: unknown }).file === 'string')
    : [];
  const metrics = o.metrics && typeof o.metrics === 'object' && !Array.isArray(o.metrics) ? (o.metrics as Record<string, unknown>) : {};
  return { outcome: o.outcome, payloads, metrics };
}

/**
 * A job that failed at least once and now only waits (state `created`) for its retry is cancelled. Returns true when
 * the job is (now) settled and the failure may be recorded.
 */
export async function settleStaleRetry(deps: Deps, job: { id: number; state: string; attempts: number; step: string }): Promise<boolean> {
  if (job.state !== 'created' || job.attempts < 1) return false;
  const t = await moveJob(deps.prisma, job, 'cancelled', { finishedAt: deps.clock.now() }, { why: 'the calibration algorithm reported failure; a retry cannot change it' });
  emitJobTransitions(deps, [t]);
  return t !== null;
}
