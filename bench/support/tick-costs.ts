/**
 * What a production tick costs on one producing bucket, measured from the calling process (bench/idle-tick.ts,
 * bench/bucket.ts), and the synthetic 104,000-job bucket both measure it on.
 */
import { join } from 'node:path';
import type { Deps } from '../../src/deps.ts';
import { ROOT_DIR } from '../../src/db/paths.ts';
import { jobForUnit, unitsForRun } from '../../src/domain/production-plan.ts';
import type { NewJob } from '../../src/domain/new-job.ts';
import { createJobs } from '../../src/services/jobs/create-jobs.ts';
import { runJobTick } from '../../src/services/jobs/run-job-tick.ts';
import { loadBucketUnits, productionSteps } from '../../src/services/production/bucket-units.ts';
import { forgetPlan, planChangeMarks, unchangedSince } from '../../src/services/production/plan-change-mark.ts';
import { runProductionTick } from '../../src/services/production/run-production-tick.ts';

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
/** The q-quantile of the samples (nearest rank). */
export const quantile = (xs: readonly number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
};

export interface TickCosts {
  /** the production tick forced to plan the bucket (its memo forgotten), median (ms) */
  full_plan_ms: number;
  full_plans: number;
  /** the production tick when nothing changed, median and p95 (ms) */
  idle_tick_ms: number;
  idle_tick_p95_ms: number;
  idle_tick_max_ms: number;
  idle_ticks: number;
  /** the part of the idle tick that decides "nothing changed" (the change mark), median (ms) */
  mark_ms: number;
  /** the job engine's own tick beside it (poll, stalls, recovery, claim: nothing due), median and p95 (ms) */
  job_tick_ms: number;
  job_tick_p95_ms: number;
  /** production tick + job tick when idle, median and p95 (ms): what the scheduler spends per second on the bucket */
  idle_total_ms: number;
  idle_total_p95_ms: number;
  /** after one raw file of the bucket changed, the next tick planned again (the mark saw it) */
  replanned_after_change: boolean;
  idle_vs_full_plan: number;
}

/**
 * Production tick timings on one producing bucket. One job of the bucket waits for its retry backoff meanwhile, so the
 * bucket stays `producing` (the tick would finish it otherwise); both are put back afterwards.
 */
export async function tickCosts(deps: Deps, bucketId: number, o: { fullPlans?: number; idleTicks?: number } = {}): Promise<TickCosts> {
  const stage = (await deps.prisma.bucket.findUniqueOrThrow({ where: { id: bucketId } })).stage;
  // a production job held back keeps the bucket producing (with every production job final, the first tick would move
  // it on to produced and the others would time nothing); the bucket's last job may be a calibration's
  const steps = productionSteps(deps).map((s) => s.name);
  const held = await deps.prisma.job.findFirstOrThrow({ where: { bucketId, state: 'succeeded', step: { in: steps } }, orderBy: { id: 'desc' } });
  await deps.prisma.bucket.update({ where: { id: bucketId }, data: { stage: 'producing' } });
  await deps.prisma.job.update({ where: { id: held.id }, data: { state: 'created', notBefore: new Date(Date.now() + 86_400_000) } });
  try {
    return await timeTicks(deps, bucketId, o.fullPlans ?? 5, o.idleTicks ?? 25);
  } finally {
    await deps.prisma.job.update({ where: { id: held.id }, data: { state: held.state, notBefore: held.notBefore } });
    await deps.prisma.bucket.update({ where: { id: bucketId }, data: { stage } });
  }
}

async function timeTicks(deps: Deps, bucketId: number, fullPlans: number, idleTicks: number): Promise<TickCosts> {
  const tick = async () => {
    const t0 = process.hrtime.bigint();
    const r = await runProductionTick(deps);
    return { ms: ms(t0), planned: r.planned.length };
  };
  const full: number[] = [];
  for (let i = 0; i < fullPlans; i++) {
    forgetPlan(deps, bucketId);
    full.push((await tick()).ms);
  }
  forgetPlan(deps, bucketId);
  await tick(); // the plan the idle ticks are measured against
  const idle: number[] = [];
  const markMs: number[] = [];
  const jobTick: number[] = [];
  const total: number[] = [];
  for (let i = 0; i < idleTicks; i++) {
    const p = await tick();
    let t0 = process.hrtime.bigint();
    await planChangeMarks(deps, [bucketId]);
    markMs.push(ms(t0));
    t0 = process.hrtime.bigint();
    await runJobTick(deps);
    const j = ms(t0);
    idle.push(p.ms);
    jobTick.push(j);
    total.push(p.ms + j);
  }
  // a change planning reads (a raw file's status) must make the next tick plan again: the mark is not only cheap
  const file = await deps.prisma.rawFile.findFirstOrThrow({ where: { run: { bucketId } }, orderBy: { id: 'asc' } });
  await deps.prisma.rawFile.update({ where: { id: file.id }, data: { checksum: `${file.checksum}x` } });
  const before = await deps.prisma.job.count({ where: { bucketId } });
  await runProductionTick(deps);
  const mark = (await planChangeMarks(deps, [bucketId])).get(bucketId)!;
  // the tick remembered a plan under the new mark only if it planned again
  const replanned = unchangedSince(deps, bucketId, mark) !== undefined;
  await deps.prisma.rawFile.update({ where: { id: file.id }, data: { checksum: file.checksum } });
  if ((await deps.prisma.job.count({ where: { bucketId } })) !== before) throw new Error('a re-plan of an unchanged bucket created jobs');
  const med = (xs: number[]) => quantile(xs, 0.5);
  return {
    full_plan_ms: round(med(full)),
    full_plans: full.length,
    idle_tick_ms: round(med(idle)),
    idle_tick_p95_ms: round(quantile(idle, 0.95)),
    idle_tick_max_ms: round(Math.max(...idle)),
    idle_ticks: idle.length,
    mark_ms: round(med(markMs), 2),
    job_tick_ms: round(med(jobTick)),
    job_tick_p95_ms: round(quantile(jobTick, 0.95)),
    idle_total_ms: round(med(total)),
    idle_total_p95_ms: round(quantile(total, 0.95)),
    replanned_after_change: replanned,
    idle_vs_full_plan: round(med(idle) / med(full), 4),
  };
}

/**
 * A producing bucket of 2,000 runs × 12 files with its 96,000 skim jobs and 8,000 cDST jobs succeeded, seeded through
 * the real planner shapes and `createJobs` (states and outputs set in bulk SQL, as the engine would have left them).
 */
export async function syntheticBucket(deps: Deps, home: string, o: { name?: string; exp?: number; firstRun?: number } = {}): Promise<{ id: number; jobs: number }> {
  const p = deps.prisma;
  const runs = 2000;
  const exp = o.exp ?? 9;
  const first = o.firstRun ?? 5000;
  const b = await p.bucket.create({ data: { name: o.name ?? `e${exp}_bucket1`, exp, seq: 1, firstRun: first, lastRun: first + runs - 1, stage: 'producing' } });
  await p.$executeRawUnsafe(`
    INSERT INTO "Run" (exp, run, type, "startTime", "endTime", luminosity, source, "bucketId", "createdAt", "updatedAt")
    SELECT ${exp}, r, 'physics', now() - interval '30 days', now() - interval '29 days', 1.5, 'bench', ${b.id}, now(), now() FROM generate_series(${first}, ${first + runs - 1}) r`);
  await p.$executeRawUnsafe(`
    INSERT INTO "RawFile" ("runId", path, status, size, checksum, events, "createdAt", "updatedAt")
    SELECT ru.id, '/data/raw/e${exp}/r' || ru.run || '/f' || f || '.b2raw', 'transferred', 1, '', 10, now(), now()
    FROM "Run" ru, generate_series(0, 11) f WHERE ru."bucketId" = ${b.id}`);
  const steps = deps.production.steps.filter((s) => s.phase === 'production');
  const rs = await p.run.findMany({ where: { bucketId: b.id }, select: { exp: true, run: true, endTime: true, files: { select: { id: true, path: true, status: true } } } });
  const ctx = { bucketId: b.id, bucketName: b.name, dataDir: deps.production.dataDir, jobsRoot: deps.config.workDir, node: process.execPath, toolkit: join(ROOT_DIR, 'toolkit'), localdb: () => join(home, 'localdb'), tagChain: () => [] };
  const specs: NewJob[] = [];
  for (const r of rs) for (const u of unitsForRun([steps[0]], r, { now: new Date(), fileWaitHours: 6, skims: deps.production.skims, jobs: new Map(), outputs: new Map() })) specs.push(jobForUnit(steps[0], u, ctx));
  await createJobs(deps, specs);
  // every skim succeeded with its output registered, and the cDST made from them
  await p.$executeRawUnsafe(`UPDATE "Job" SET state = 'succeeded', attempts = 1 WHERE "bucketId" = ${b.id}`);
  await p.$executeRawUnsafe(`
    INSERT INTO "OutputFile" ("jobId", "bucketId", step, variant, exp, run, path, size, sha256, events, "createdAt")
    SELECT id, "bucketId", step, variant, exp, run, outputs->>0, 1, '', 5, now() FROM "Job" WHERE "bucketId" = ${b.id}`);
  const units = await loadBucketUnits(deps, b, steps);
  const cdst = units.flatMap((ru) => ru.units.filter((u) => u.step === steps[1].name && u.status === 'to_plan')).map((u) => jobForUnit(steps[1], u, ctx));
  await createJobs(deps, cdst);
  await p.$executeRawUnsafe(`UPDATE "Job" SET state = 'succeeded', attempts = 1 WHERE "bucketId" = ${b.id} AND state <> 'succeeded'`);
  return { id: b.id, jobs: await p.job.count({ where: { bucketId: b.id } }) };
}
