/**
 * A bucket shaped like Belle II's bucket 7 (scaled down): 42 runs with 1–3 raw files each, some runs with one bad file
 * of several, some with every file bad, produced on real processes through the local executor and the toolkit. Every
 * completeness answer — the service, the API, the CLI and the bucket's stored summary — must mark the partial runs'
 * cDST incomplete with the reason chain down to the raw file and the job that proved it corrupt; readers of a corrupt
 * file that had not started are cancelled, not failed; progress totals are known from the start and do not grow.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { basename, join } from 'node:path';
import { bucketProgress, type BucketProgress } from '../../src/services/production/progress.ts';
import { bucketCompleteness, runCompleteness } from '../../src/services/production/completeness.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { createToken } from '../../src/services/identity/tokens.ts';
import { SYSTEM_ACTOR } from '../../src/domain/roles.ts';
import { ROOT_DIR } from '../../src/db/paths.ts';
import { generateRuns, productionEnv, tickProduction, waitFor, type ProductionTestEnv } from '../helpers/production-support.ts';

const run = promisify(execFile);
const RUNS = 42;
const FULLY_BAD = [2, 9, 16];
const PARTIAL = [20, 30, 35, 40];
const SKIMS = 2;

let env: ProductionTestEnv;
let server: RunningServer;
let token: string;
let corrupt: string[] = [];

before(async () => {
  env = await productionEnv({
    concurrency: 2,
    production: {
      buckets: { auto_open: true, run_types: ['physics'], max_runs: RUNS, max_duration_hours: null, max_luminosity_pb: null, idle_hours: null },
      // two jobs in flight: a corrupt file's other readers are usually still waiting when the first one fails on it
      jobs: { submit_batch: 50, max_in_flight: 2, poll_batch: 100, stall_after_s: 600, submit_grace_s: 2, plan_runs_per_tick: 1000 },
    },
  });
  const gen = (o: Parameters<typeof generateRuns>[1]) => generateRuns(env.home, { eventsPerFile: 20, seed: 7, ...o }).corrupt;
  corrupt = [
    ...gen({ firstRun: 1, lastRun: 14, filesPerRun: 1, corruptRuns: [2, 9] }),
    ...gen({ firstRun: 15, lastRun: 19, filesPerRun: 2, corruptRuns: [16] }),
    ...gen({ firstRun: 20, lastRun: 28, filesPerRun: 2, corruptRuns: [20], corruptFraction: 0.5 }),
    ...gen({ firstRun: 29, lastRun: 42, filesPerRun: 3, corruptRuns: [30, 35, 40], corruptFraction: 0.34 }),
  ];
  server = await startServer(env.deps, { port: 0, host: '127.0.0.1', scheduler: false });
  token = (await createToken(env.deps.prisma, env.clock, SYSTEM_ACTOR, { user: 'dana', role: 'data_production_manager' })).token;
});
after(async () => {
  await server?.close();
  await env.close();
});

const progressSeen: BucketProgress[] = [];

test('when a bucket-7-shaped bucket is produced, then it ends produced with every corrupt file failing exactly one job', { timeout: 10 * 60_000 }, async () => {
  assert.equal(corrupt.length, 2 + 2 + 1 + 3, 'the generator made the bad files asked for');
  const b = await waitFor(
    'bucket e12_bucket1 to be produced',
    async () => {
      await tickProduction(env);
      const x = await env.deps.prisma.bucket.findUnique({ where: { name: 'e12_bucket1' } });
      if (x && x.stage !== 'open' && x.stage !== 'closed') progressSeen.push(await bucketProgress(env.deps, x.name));
      return x?.stage === 'produced' ? x : undefined;
    },
    { timeoutMs: 9 * 60_000, intervalMs: 100 },
  );
  assert.equal(b.lastRun, RUNS);
  const jobs = await env.deps.prisma.job.findMany({ where: { bucketId: b.id } });
  for (const path of corrupt) {
    const readers = jobs.filter((j) => (j.inputs as string[]).includes(path));
    assert.equal(readers.length, SKIMS, `${basename(path)} is read by one skim job per skim`);
    const failed = readers.filter((j) => j.state === 'failed');
    assert.ok(failed.length >= 1 && failed.every((j) => j.errorClass === 'input' && j.attempts === 1), `${basename(path)}: a job failed on it as an input error`);
    for (const c of readers.filter((j) => j.state === 'cancelled')) {
      // cancelled with the reason, naming the file and the job that proved it corrupt
      assert.match(c.errorMessage ?? '', new RegExp(`input file ${path.replace(/[.]/g, '\\.')} flagged corrupt by hlt_skim job (${failed.map((f) => f.id).join('|')})$`));
    }
  }
  const cancelled = jobs.filter((j) => j.state === 'cancelled');
  assert.ok(cancelled.length >= 1, 'at least one reader of a corrupt file was cancelled before it started');
  assert.equal(await env.deps.prisma.jobAttempt.count({ where: { jobId: { in: cancelled.map((j) => j.id) }, outcome: 'failed' } }), 0, 'cancelled jobs did not fail');
  assert.ok(jobs.every((j) => j.state === 'succeeded' || (j.errorClass === 'input' && j.step === 'hlt_skim')), 'nothing else went wrong');
});

/** The runs whose cDST is expected incomplete, and for the partial ones which raw files the chain must name. */
const INCOMPLETE = [...FULLY_BAD, ...PARTIAL].sort((a, b) => a - b);
// each skim variant names its own job: failed on the file, or cancelled before it started because another job flagged it
const CHAIN = /^cdst (hlt_\w+) of 12\/(\d+): made without (e12_r\d+_f\d\.b2raw) — file corrupt: (?:input error in hlt_skim job (\d+) \(|hlt_skim job (\d+) cancelled before it started — its input \3 was flagged corrupt by hlt_skim job (\d+)$)/;

async function checkChains(missing: Array<{ kind: string; chain: string; file?: string }>, runNo: number) {
  const bad = corrupt.filter((p) => basename(p).startsWith(`e12_r${runNo}_`));
  assert.equal(missing.length, bad.length * SKIMS, `run ${runNo}: one entry per bad file and skim`);
  const named = new Set<number>();
  for (const m of missing) {
    const hit = CHAIN.exec(m.chain);
    assert.ok(hit, `run ${runNo}: reason chain "${m.chain}"`);
    assert.equal(Number(hit[2]), runNo);
    assert.ok(bad.some((p) => basename(p) === hit[3]), `the chain names a bad file of run ${runNo}`);
    const own = await env.deps.prisma.job.findUniqueOrThrow({ where: { id: Number(hit[4] ?? hit[5]) } });
    assert.equal(own.variant, hit[1], "the named job is this skim variant's own");
    named.add(own.id);
    assert.equal(own.state, hit[4] ? 'failed' : 'cancelled');
    assert.ok((own.inputs as string[]).some((p) => basename(p) === hit[3]), 'the named job read (or was to read) that file');
    if (hit[6]) {
      const flagger = await env.deps.prisma.job.findUniqueOrThrow({ where: { id: Number(hit[6]) } });
      assert.equal(flagger.state, 'failed', 'the job that flagged the file failed on it');
    }
  }
  assert.equal(named.size, missing.length, `run ${runNo}: every skim variant of every bad file names a job of its own`);
}

test('when completeness is asked of the service, then partial and fully bad runs have an incomplete cDST with the reason chain', async () => {
  const c = await bucketCompleteness(env.deps, 'e12_bucket1');
  assert.equal(c.runs, RUNS);
  assert.deepEqual(c.summary.cdst, { complete: RUNS - INCOMPLETE.length, incomplete: INCOMPLETE.length });
  assert.deepEqual(c.summary.hlt_skim, { complete: RUNS - INCOMPLETE.length, incomplete: INCOMPLETE.length });
  assert.deepEqual(c.incomplete.map((r) => r.run), INCOMPLETE);
  for (const r of c.incomplete) {
    const cdst = r.steps.find((s) => s.step === 'cdst')!;
    assert.equal(cdst.status, 'incomplete');
    assert.equal(cdst.final, true);
    await checkChains(cdst.missing, r.run);
  }
  for (const runNo of PARTIAL) {
    const one = await runCompleteness(env.deps, 12, runNo, 'cdst');
    assert.equal(one.steps[0].status, 'incomplete');
    assert.equal(one.steps[0].produced, SKIMS, 'the cDST was made from the good files');
  }
  const good = await runCompleteness(env.deps, 12, 41);
  assert.deepEqual(good.steps.map((s) => s.status), ['complete', 'complete']);
});

test('when the bucket summary is read, then it counts the partial runs as incomplete', async () => {
  const b = await env.deps.prisma.bucket.findUniqueOrThrow({ where: { name: 'e12_bucket1' } });
  const summary = (b.data as { productionSummary?: Record<string, Record<string, number>> }).productionSummary;
  assert.deepEqual(summary?.cdst, { complete: RUNS - INCOMPLETE.length, incomplete: INCOMPLETE.length });
});

test('when completeness is asked over the API and the CLI, then they give the same reason chains', async () => {
  const api = await fetch(`${server.url}/api/v1/buckets/e12_bucket1/completeness?step=cdst`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(api.status, 200);
  const body = (await api.json()) as Awaited<ReturnType<typeof bucketCompleteness>>;
  assert.deepEqual(body.incomplete.map((r) => r.run), INCOMPLETE);
  for (const r of body.incomplete) await checkChains(r.steps[0].missing, r.run);
  const oneRun = await fetch(`${server.url}/api/v1/runs/12/${PARTIAL[1]}/completeness`, { headers: { authorization: `Bearer ${token}` } });
  const oneBody = (await oneRun.json()) as Awaited<ReturnType<typeof runCompleteness>>;
  await checkChains(oneBody.steps.find((s) => s.step === 'cdst')!.missing, PARTIAL[1]);

  const cliEnv = { ...process.env, CALIBLOOP_URL: server.url, CALIBLOOP_TOKEN: token };
  const bin = join(ROOT_DIR, 'bin', 'calibloop.js');
  const bucketOut = (await run(process.execPath, [bin, 'bucket', 'completeness', 'e12_bucket1', '--step', 'cdst'], { env: cliEnv })).stdout;
  assert.match(bucketOut, new RegExp(`cdst\\s+${RUNS - INCOMPLETE.length} complete, ${INCOMPLETE.length} incomplete`));
  for (const runNo of PARTIAL) assert.match(bucketOut, new RegExp(`excluded_file: cdst hlt_\\w+ of 12/${runNo}: made without e12_r${runNo}_f\\d\\.b2raw — file corrupt: (input error in )?hlt_skim job \\d+`));
  const runOut = (await run(process.execPath, [bin, 'run', 'show', `12,${PARTIAL[2]}`], { env: cliEnv })).stdout;
  assert.match(runOut, /cdst\s+incomplete/);
  assert.match(runOut, new RegExp(`cdst hlt_\\w+ of 12/${PARTIAL[2]}: made without e12_r${PARTIAL[2]}_f\\d\\.b2raw — file corrupt: (input error in )?hlt_skim job \\d+`));
});

test('when progress was watched during production, then expected totals were known from the first look and never grew', async () => {
  assert.ok(progressSeen.length > 2);
  const files = 14 * 1 + 14 * 2 + 14 * 3;
  const expectedSkim = files * SKIMS;
  const expectedCdst = RUNS * SKIMS;
  for (const p of progressSeen) {
    const skim = p.steps.find((s) => s.step === 'hlt_skim');
    const cdst = p.steps.find((s) => s.step === 'cdst');
    assert.equal(skim?.expected, expectedSkim, 'skim units expected from the files');
    assert.equal(cdst?.expected, expectedCdst, 'cDST units expected from the runs');
  }
  const last = progressSeen[progressSeen.length - 1];
  assert.equal(last.eta.remaining, 0);
  assert.ok(progressSeen.some((p) => p.eta.seconds !== null && p.eta.seconds > 0 && p.eta.jobsPerSecond! > 0), 'an ETA was given while jobs ran');
});
