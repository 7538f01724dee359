/**
 * The loop's adapter onto the production job engine: the mDST jobs of prompt processing and of reprocessing
 * campaigns, planned with the production planner from the `phase: prompt | reprocessing` steps of
 * config/production.yaml (one job per run × raw-file chunk; files flagged corrupt by production are left out), and
 * handed to `createJobs` with idempotency keys. Nothing else in the loop imports the job engine.
 */
import { join } from 'node:path';
import type { Deps } from '../../deps.ts';
import { DomainError } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import type { StepConfig } from '../../config/production-schema.ts';
import { jobForUnit } from '../../domain/production-plan.ts';
import { createJobs } from '../jobs/create-jobs.ts';
import { bulkAbort } from '../jobs/bulk-jobs.ts';
import { loadBucketUnits } from '../production/bucket-units.ts';
import { TOOLKIT_DIR } from '../production/plan-production.ts';
import { conditionsPort } from '../conditions/store-conditions.ts';

export type LoopPhase = 'prompt' | 'reprocessing';

export function phaseStep(deps: Pick<Deps, 'production'>, phase: LoopPhase): StepConfig {
  const step = deps.production.steps.find((s) => s.phase === phase);
  if (!step) throw new DomainError('UNAVAILABLE', `no step with phase: ${phase} in ${deps.production.file}`);
  return step;
}

export interface PhaseJobsInput {
  phase: LoopPhase;
  bucket: { id: number; name: string; exp: number };
  runs: { exp: number; run: number }[];
  tagChain: string[];
  /** reprocessing: the campaign the jobs belong to (its id keeps its keys and outputs apart from other campaigns') */
  campaign?: { id: number; release: string | null };
}

/** Where a campaign's jobs and outputs live: two campaigns over the same runs never share a key or an output path. */
export function campaignScope(campaignId: number): string {
  return `campaign_${campaignId}`;
}

export async function createPhaseJobs(deps: Deps, input: PhaseJobsInput): Promise<{ total: number; created: number; localdb: string; waiting: number }> {
  const step = phaseStep(deps, input.phase);
  const { dir: localdb } = await conditionsPort(deps).exportLocalDb({ chain: input.tagChain, dir: join(deps.config.home, 'localdb', input.tagChain.join('+')), reuse: true });
  if (input.runs.length === 0) return { total: 0, created: 0, localdb, waiting: 0 };
  const scope = input.campaign ? campaignScope(input.campaign.id) : undefined;
  // a campaign's units have keys of their own, so its jobs are new jobs even where an earlier campaign ran the runs
  const units = await loadBucketUnits(deps, input.bucket, [step], { runs: input.runs.map((r) => r.run), ...(scope ? { keyPrefix: `${scope}/` } : {}) });
  const ctx = {
    bucketId: input.bucket.id,
    // outputs: <data>/<bucket>/campaign_<id>/... for a campaign's jobs
    bucketName: scope ? `${input.bucket.name}/${scope}` : input.bucket.name,
    dataDir: deps.production.dataDir,
    jobsRoot: deps.config.workDir,
    node: process.execPath,
    toolkit: TOOLKIT_DIR,
    localdb: () => localdb,
    tagChain: () => input.tagChain,
  };
  const all = units.flatMap((ru) => ru.units);
  const jobs = all
    .filter((u) => u.status === 'to_plan')
    .map((u) => ({ ...jobForUnit(step, u, ctx), campaignId: input.campaign?.id ?? null, ...(input.campaign?.release ? { variant: input.campaign.release } : {}) }));
  const { created } = jobs.length ? await createJobs(deps, jobs) : { created: 0 };
  return {
    total: all.filter((u) => u.status === 'to_plan' || u.status === 'planned').length,
    created,
    localdb,
    waiting: all.filter((u) => u.status === 'waiting').length,
  };
}

export async function phaseJobStates(deps: Deps, input: { phase: LoopPhase; bucketId: number }): Promise<{ id: number; state: string }[]> {
  const step = phaseStep(deps, input.phase);
  return deps.prisma.job.findMany({ where: { bucketId: input.bucketId, step: step.name }, select: { id: true, state: true } });
}

/** Cancels the campaign's jobs that have not ended, through the job engine's bulk abort (running ones at the executor too). */
export async function cancelCampaignJobs(deps: Deps, actor: Actor, campaignId: number, reason?: string): Promise<number> {
  const r = await bulkAbort(deps, actor, { filter: { campaignId }, reason: reason ?? `reprocessing campaign ${campaignId} aborted` });
  return r.changed;
}
