import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pollRunSources } from '../../src/services/runs/poll-run-sources.ts';
import { applyBucketPolicy } from '../../src/services/buckets/apply-bucket-policy.ts';
import { runJobTick } from '../../src/services/jobs/run-job-tick.ts';
import { runProductionTick } from '../../src/services/production/run-production-tick.ts';
import { bucketProgress } from '../../src/services/production/progress.ts';
import { bucketCompleteness, runCompleteness } from '../../src/services/production/completeness.ts';
import { generateRuns, productionEnv, waitFor, type ProductionTestEnv } from '../helpers/production-support.ts';

let env: ProductionTestEnv;
let corrupt: string[] = [];
const CORRUPT_RUNS = [3, 6];

before(async () => {
  env = await productionEnv({
    concurrency: 2,
    production: {
      buckets: { auto_open: true, run_types: ['physics'], max_runs: 8, max_duration_hours: null, max_luminosity_pb: null, idle_hours: null },
    },
  });
  // two raw files per chunk: a corrupt file fails its chunk, and the rest of the chunk is produced again without it
  env.deps.production.steps.find((s) => s.name === 'hlt_skim')!.chunkFiles = 2;
  ({ corrupt } = generateRuns(env.home, { firstRun: 1, lastRun: 8, filesPerRun: 2, eventsPerFile: 150, corruptRuns: CORRUPT_RUNS, corruptFraction: 0.5 }));
});
after(async () => {
  await env.close();
});

async function tickAll() {
  await pollRunSources(env.deps);
  await applyBucketPolicy(env.deps);
  const r = await runProductionTick(env.deps);
  const jobs = await runJobTick(env.deps);
  env.clock.advance(1000);
  return { ...r, jobs };
}

test("when a bucket's runs arrive, then skim and cDST production completes on real processes and the bucket is produced", async () => {
  assert.equal(corrupt.length, 2);
  const b = await waitFor('bucket e12_bucket1 to be produced', async () => {
    await tickAll();
    const x = await env.deps.prisma.bucket.findUnique({ where: { name: 'e12_bucket1' } });
    return x?.stage === 'produced' ? x : undefined;
  }, { timeoutMs: 240_000, intervalMs: 200 });
  assert.equal(b.lastRun, 8);
  const history = await env.deps.prisma.auditEvent.findMany({ where: { targetType: 'bucket', targetId: 'e12_bucket1' }, orderBy: { id: 'asc' } });
  assert.deepEqual(history.map((h) => h.action), ['bucket.create', 'bucket.stage.closed', 'bucket.stage.producing', 'bucket.stage.produced']);
  const jobs = await env.deps.prisma.job.findMany({ where: { bucketId: b.id } });
  assert.ok(jobs.every((j) => ['succeeded', 'failed', 'cancelled'].includes(j.state)), 'every job final');
  const cdst = await env.deps.prisma.outputFile.findMany({ where: { bucketId: b.id, step: 'cdst' } });
  assert.equal(cdst.length, 8 * 2, 'one cDST per run and skim');
  assert.ok(cdst.every((o) => Number(o.size) > 0 && /^[0-9a-f]{64}$/.test(o.sha256)));
  for (const o of cdst) assert.ok(existsSync(o.path));
  for (const j of jobs.filter((x) => x.state !== 'cancelled')) assert.equal(readFileSync(join(j.workDir!, '.starts'), 'utf8').trim().split('\n').length, 1, `job ${j.id} started once in attempt ${j.attempts}`);
  // a job cancelled because its file was proven corrupt did not fail on it
  const cancelledIds = jobs.filter((x) => x.state === 'cancelled').map((x) => x.id);
  assert.equal(await env.deps.prisma.jobAttempt.count({ where: { jobId: { in: cancelledIds }, outcome: 'failed' } }), 0);
});

test('when raw files are corrupt, then their jobs end as input errors on exactly those runs, not retried, and the files and runs are flagged', async () => {
  const failed = await env.deps.prisma.job.findMany({ where: { state: 'failed' } });
  // per corrupt chunk, one job per skim: the first to read the file fails, its siblings fail too if they had already
  // started, else they are cancelled with the reason
  const cancelled = await env.deps.prisma.job.findMany({ where: { state: 'cancelled' } });
  assert.equal(failed.length + cancelled.length, 2 * 2, 'one chunk per corrupt run and skim');
  assert.ok(failed.length >= 2);
  assert.ok(failed.every((j) => j.errorClass === 'input' && j.attempts === 1 && j.step === 'hlt_skim'));
  assert.ok(cancelled.every((j) => j.errorClass === 'input' && /flagged corrupt by hlt_skim job \d+/.test(j.errorMessage ?? '')));
  assert.deepEqual([...new Set(failed.map((j) => j.run))].sort(), CORRUPT_RUNS);
  const flaggedFiles = await env.deps.prisma.rawFile.findMany({ where: { status: 'corrupt' } });
  assert.deepEqual(flaggedFiles.map((f) => f.path).sort(), [...corrupt].sort());
  assert.ok(flaggedFiles.every((f) => f.flagReason && /input error/.test(f.flagReason)));
  const flaggedRuns = await env.deps.prisma.run.findMany({ where: { flag: 'input_error' }, orderBy: { run: 'asc' } });
  assert.deepEqual(flaggedRuns.map((r) => r.run), CORRUPT_RUNS);
  // the good file of each broken chunk was produced again under a new key
  const redo = await env.deps.prisma.job.findMany({ where: { idempotencyKey: { contains: '/x' } } });
  assert.equal(redo.length, 4);
  assert.ok(redo.every((j) => j.state === 'succeeded' && (j.inputs as string[]).length === 1));
});

test('when completeness is asked, then good runs are complete and corrupt runs say which file is missing and why', async () => {
  const good = await runCompleteness(env.deps, 12, 1);
  assert.deepEqual(good.steps.map((s) => [s.step, s.status]), [['hlt_skim', 'complete'], ['cdst', 'complete']]);
  const bad = await runCompleteness(env.deps, 12, 3, 'hlt_skim');
  assert.equal(bad.steps[0].status, 'incomplete');
  assert.equal(bad.steps[0].final, true);
  const miss = bad.steps[0].missing;
  assert.ok(miss.length === 2 && miss.every((m) => m.kind === 'excluded_file' && corrupt.includes(m.file!)));
  // each skim variant names its own job: the one that failed on the file, or the one cancelled because of it
  const readers = await env.deps.prisma.job.findMany({ where: { run: 3, step: 'hlt_skim', state: { in: ['failed', 'cancelled'] } } });
  for (const m of miss) {
    const own = readers.find((j) => j.variant === m.variant)!;
    assert.equal(m.jobId, own.id);
    const says = own.state === 'failed' ? `file corrupt: input error in hlt_skim job ${own.id} (` : `file corrupt: hlt_skim job ${own.id} cancelled before it started — its input`;
    assert.ok(m.reason.startsWith(says), m.reason);
  }
  // the cDST made from the rest of the run is not complete either: the chain names the raw file
  const cdst = (await runCompleteness(env.deps, 12, 3, 'cdst')).steps[0];
  assert.equal(cdst.status, 'incomplete');
  assert.ok(cdst.missing.length === 2 && cdst.missing.every((m) => new RegExp(`^cdst hlt_\\w+ of 12/3: made without e12_r3_f\\d\\.b2raw — file corrupt: .*hlt_skim job ${readers.find((j) => j.variant === m.variant)!.id} `).test(m.chain)));
  const all = await bucketCompleteness(env.deps, 'e12_bucket1');
  assert.deepEqual(all.summary.hlt_skim, { complete: 6, incomplete: 2 });
  assert.deepEqual(all.summary.cdst, { complete: 6, incomplete: 2 });
  assert.deepEqual(all.incomplete.map((r) => r.run), CORRUPT_RUNS);
});

test('when progress is asked, then counts, percentages, events and error classes per step add up', async () => {
  const p = await bucketProgress(env.deps, 'e12_bucket1');
  const skim = p.steps.find((s) => s.step === 'hlt_skim')!;
  assert.equal(skim.total, 20);
  assert.equal(skim.states.succeeded, 16);
  assert.equal(skim.states.failed + skim.states.cancelled, 4);
  assert.deepEqual(skim.errors, { input: skim.states.failed });
  // 8 runs × 2 files in chunks of 2 × 2 skims: 16 slots expected, all planned and final (re-plans count once)
  assert.deepEqual([skim.expected, skim.planned, skim.finalUnits], [16, 16, 16]);
  assert.equal(p.eta.remaining, 0);
  assert.equal(skim.percent.succeeded, 80);
  assert.equal(skim.finalPercent, 100);
  assert.ok(skim.eventsIn > 0 && skim.eventsOut > 0 && skim.eventsOut < skim.eventsIn);
  const c = p.steps.find((s) => s.step === 'cdst')!;
  assert.equal(c.total, 16);
  assert.equal(c.succeededPercent, 100);
  assert.equal(c.expected, 16);
});

test('when the ticks run again, then nothing new is planned or submitted', async () => {
  const before = await env.deps.prisma.job.count();
  const r = await tickAll();
  assert.deepEqual(r.planned, []);
  assert.equal(r.jobs.submitted, 0);
  assert.equal(await env.deps.prisma.job.count(), before);
});
