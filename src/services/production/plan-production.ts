/**
 * Plans the production jobs of one bucket: computes every run's units, creates the jobs of the units that are ready
 * (idempotency keys: a repeated tick creates nothing new), and prepares the conditions of steps with a tag chain (a
 * basf2 local database of the chain, exported once per bucket and step, recorded in `bucket.data.production`).
 */
import { join } from 'node:path';
import type { Deps } from '../../deps.ts';
import type { StepConfig } from '../../config/production-schema.ts';
import { loadGlobalTags } from '../../config/load-config.ts';
import { resolveTagChain, CHAIN_NAMES, type ChainName } from '../../config/globaltags-schema.ts';
import { ROOT_DIR } from '../../db/paths.ts';
import { coerceError } from '../../domain/errors.ts';
import { jobForUnit } from '../../domain/production-plan.ts';
import type { NewJob } from '../../domain/new-job.ts';
import { conditionsPort } from '../conditions/store-conditions.ts';
import { createJobs } from '../jobs/create-jobs.ts';
import { loadBucketUnits, productionSteps, type RunUnits } from './bucket-units.ts';

export const TOOLKIT_DIR = join(ROOT_DIR, 'toolkit');

export interface PlanResult {
  bucket: string;
  runs: number;
  toPlan: number;
  created: number;
  waiting: number;
  units: RunUnits[];
}

/** The chain a step reads, resolved for the bucket; a chain name unknown to globaltags/prompt.yaml is taken as a tag name. */
export function stepTagChain(deps: Deps, step: Pick<StepConfig, 'tagChain'>, bucketName: string): string[] {
  if (!step.tagChain) return [];
  if (!(CHAIN_NAMES as readonly string[]).includes(step.tagChain)) return [step.tagChain];
  try {
    return resolveTagChain(loadGlobalTags(deps.config.globaltagsDir), step.tagChain as ChainName, bucketName);
  } catch (e) {
    deps.logger.warn('tag chain not resolvable from globaltags config; using its name', { chain: step.tagChain, error: coerceError(e).message });
    return [step.tagChain];
  }
}

/**
 * Exports the chain as a local database into `dir` (once), through the one export of the conditions port: the tags of
 * the chain that exist, highest priority first (an INVALID one is refused); none yet (the first bucket) gives an empty
 * database, which the toolkit reads as default constants.
 */
export async function prepareLocalDb(deps: Deps, chain: string[], dir: string): Promise<string> {
  const out = await conditionsPort(deps).exportLocalDb({ chain, dir, reuse: true });
  if (out.entries >= 0) deps.logger.info('conditions exported for production', { chain, dir, entries: out.entries });
  return dir;
}

export async function planBucketProduction(deps: Deps, bucket: { id: number; name: string; exp: number }): Promise<PlanResult> {
  const steps = productionSteps(deps);
  const units = await loadBucketUnits(deps, bucket, steps);
  const byName = new Map(steps.map((s) => [s.name, s]));
  const chains = new Map(steps.map((s) => [s.name, stepTagChain(deps, s, bucket.name)]));
  const localdbs = new Map<string, string>();
  const jobs: NewJob[] = [];
  let runsPlanned = 0;
  let waiting = 0;
  let toPlan = 0;
  for (const ru of units) {
    const todo = ru.units.filter((u) => u.status === 'to_plan');
    waiting += ru.units.filter((u) => u.status === 'waiting').length;
    toPlan += todo.length;
    if (todo.length === 0) continue;
    if (runsPlanned >= deps.production.jobs.planRunsPerTick) continue;
    runsPlanned++;
    for (const u of todo) {
      const step = byName.get(u.step)!;
      if (step.tagChain && !localdbs.has(step.name)) {
        localdbs.set(step.name, await prepareLocalDb(deps, chains.get(step.name)!, join(deps.production.dataDir, bucket.name, 'conditions', step.name)));
      }
      jobs.push(
        jobForUnit(step, u, {
          bucketId: bucket.id,
          bucketName: bucket.name,
          dataDir: deps.production.dataDir,
          jobsRoot: deps.config.workDir,
          node: process.execPath,
          toolkit: TOOLKIT_DIR,
          localdb: (s) => localdbs.get(s),
          tagChain: (s) => chains.get(s) ?? [],
        }),
      );
    }
  }
  // readers of one raw file (one job per skim) far apart in submission order: when the first of them proves the file
  // corrupt, the others have not started yet and are cancelled instead of failing alongside it
  jobs.sort((a, b) => (a.variant ?? '').localeCompare(b.variant ?? '') || (a.run ?? 0) - (b.run ?? 0) || (a.chunk ?? 0) - (b.chunk ?? 0));
  const { created } = jobs.length ? await createJobs(deps, jobs) : { created: 0 };
  if (localdbs.size > 0) {
    // merged in SQL: other parts keep their own keys in Bucket.data
    const production = { conditions: Object.fromEntries([...localdbs].map(([s, dir]) => [s, { chain: chains.get(s), localdb: dir }])) };
    await deps.prisma.$executeRaw`UPDATE "Bucket" SET data = data || jsonb_build_object('production', ${JSON.stringify(production)}::jsonb) WHERE id = ${bucket.id}`;
  }
  return { bucket: bucket.name, runs: units.length, toPlan, created, waiting, units };
}
