/**
 * One corrupt raw file, read by one skim job per variant. The first job to fail on it flags the file (once: later
 * failures never overwrite its reason), a variant job that had already started fails on it as its own input error, one
 * that had not started is cancelled; completeness names, per variant, that variant's own job. The jobs run their real
 * program (the toolkit's skim on the real corrupt file); only the moment each attempt starts and ends is chosen by the
 * test, so "both started before either failed" is not left to timing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pollRunSources } from '../../src/services/runs/poll-run-sources.ts';
import { applyBucketPolicy } from '../../src/services/buckets/apply-bucket-policy.ts';
import { runProductionTick } from '../../src/services/production/run-production-tick.ts';
import { bucketCompleteness } from '../../src/services/production/completeness.ts';
import { applyOutcome } from '../../src/services/jobs/apply-outcome.ts';
import { ACTIVE_JOB_SELECT, toActiveJob } from '../../src/services/jobs/poll-jobs.ts';
import { generateRuns, productionEnv, waitFor, type ProductionTestEnv } from '../helpers/production-support.ts';

let env: ProductionTestEnv;
let corrupt: string[] = [];
const SKIMS = ['hlt_bhabha', 'hlt_mumu_2trk'];

before(async () => {
  env = await productionEnv({ production: { buckets: { auto_open: true, run_types: ['physics'], max_runs: 3, max_duration_hours: null, max_luminosity_pb: null, idle_hours: null } } });
  ({ corrupt } = generateRuns(env.home, { firstRun: 1, lastRun: 3, filesPerRun: 1, eventsPerFile: 20, corruptRuns: [1, 2, 3] }));
  // plan the skim jobs, but leave running them to the test (no job tick)
  await waitFor('skim jobs to be planned', async () => {
    await pollRunSources(env.deps);
    await applyBucketPolicy(env.deps);
    await runProductionTick(env.deps);
    env.clock.advance(1000);
    return (await env.deps.prisma.job.count({ where: { step: 'hlt_skim' } })) === 3 * SKIMS.length;
  });
});
after(async () => {
  await env.close();
});

const skimJob = (run: number, variant: string) => env.deps.prisma.job.findFirstOrThrow({ where: { step: 'hlt_skim', run, variant } });

/** The attempt starts: the job is running as the engine would record it. */
async function start(id: number) {
  await env.deps.prisma.job.update({ where: { id }, data: { state: 'running', attempts: 1, executor: env.deps.executor.name, executorJobId: `t${id}`, submittedAt: env.clock.now(), startedAt: env.clock.now() } });
}

/** The attempt's real program runs to its end, and its outcome is applied as the job engine's poll would. */
async function finish(id: number) {
  const j = await env.deps.prisma.job.findUniqueOrThrow({ where: { id } });
  const [cmd, ...args] = j.command as string[];
  const p = spawnSync(cmd, args, { encoding: 'utf8' });
  const logPath = join(env.home, 'logs', `${id}.log`);
  mkdirSync(join(env.home, 'logs'), { recursive: true });
  writeFileSync(logPath, p.stdout + p.stderr);
  const row = await env.deps.prisma.job.update({ where: { id }, data: { logPath }, select: ACTIVE_JOB_SELECT });
  assert.equal(p.status, 65, `job ${id}'s program reports an input error`);
  return applyOutcome(env.deps, toActiveJob(row), { executorJobId: `t${id}`, state: 'failed', exitCode: p.status, reason: 'exit', finishedAt: env.clock.now() });
}

const file = (run: number) => corrupt.find((p) => basename(p).startsWith(`e12_r${run}_`))!;

test('when two started variant jobs fail on the same file one after the other, then the file keeps the first blame and the second is its own input error', async () => {
  const a = await skimJob(1, SKIMS[0]);
  const b = await skimJob(1, SKIMS[1]);
  await start(a.id);
  await start(b.id);
  const ta = await finish(a.id);
  const tb = await finish(b.id);
  assert.deepEqual(ta?.details?.flaggedCorrupt, [file(1)], 'the first failure flags the file');
  assert.equal(tb?.details?.flaggedCorrupt, undefined, 'the second flags nothing');
  const raw = await env.deps.prisma.rawFile.findUniqueOrThrow({ where: { path: file(1) } });
  assert.equal(raw.status, 'corrupt');
  assert.match(raw.flagReason ?? '', new RegExp(`^input error in hlt_skim job ${a.id} \\(`));
  const run = await env.deps.prisma.run.findFirstOrThrow({ where: { run: 1 } });
  assert.match(run.flagReason ?? '', new RegExp(`job ${a.id} \\(`));
  const second = await env.deps.prisma.job.findUniqueOrThrow({ where: { id: b.id } });
  assert.equal(second.state, 'failed');
  assert.equal(second.errorClass, 'input');
  assert.ok(second.errorMessage?.includes(file(1)), 'its own message names the file');
  const notes = await env.deps.prisma.notification.findMany({ where: { kind: 'run_flagged' } });
  assert.deepEqual(notes.map((n) => (n.payload as { job: number }).job), [a.id], 'the run is announced once, for the first job');
});

test('when two started variant jobs fail on the same file at the same time, then exactly one of them flags it', async () => {
  const a = await skimJob(2, SKIMS[0]);
  const b = await skimJob(2, SKIMS[1]);
  await start(a.id);
  await start(b.id);
  const both = await Promise.all([finish(a.id), finish(b.id)]);
  const flaggers = both.filter((t) => t?.details?.flaggedCorrupt);
  assert.equal(flaggers.length, 1, 'one outcome flagged the file');
  const raw = await env.deps.prisma.rawFile.findUniqueOrThrow({ where: { path: file(2) } });
  assert.match(raw.flagReason ?? '', new RegExp(`^input error in hlt_skim job ${flaggers[0]!.jobId} \\(`));
  assert.deepEqual((await env.deps.prisma.job.findMany({ where: { id: { in: [a.id, b.id] } } })).map((j) => [j.state, j.errorClass]), [['failed', 'input'], ['failed', 'input']]);
});

test('when one variant job fails on a file before the other started, then the other is cancelled naming the first', async () => {
  const a = await skimJob(3, SKIMS[0]);
  const b = await skimJob(3, SKIMS[1]);
  await start(a.id);
  await finish(a.id);
  const other = await env.deps.prisma.job.findUniqueOrThrow({ where: { id: b.id } });
  assert.equal(other.state, 'cancelled');
  assert.equal(other.errorMessage, `input file ${file(3)} flagged corrupt by hlt_skim job ${a.id}`);
});

test('when completeness is asked, then each variant names its own job for the corrupt file: failed on it or cancelled for it', async () => {
  const c = await bucketCompleteness(env.deps, 'e12_bucket1');
  assert.deepEqual(c.summary.hlt_skim, { incomplete: 3 });
  for (const r of c.incomplete) {
    const skim = r.steps.find((s) => s.step === 'hlt_skim')!;
    const cdst = r.steps.find((s) => s.step === 'cdst')!;
    assert.equal(skim.missing.length, SKIMS.length, `run ${r.run}: one entry per variant`);
    for (const v of SKIMS) {
      const own = await skimJob(r.run, v);
      const m = skim.missing.find((x) => x.variant === v)!;
      assert.equal(m.kind, 'excluded_file');
      assert.equal(m.file, file(r.run));
      assert.equal(m.jobId, own.id, `run ${r.run} ${v}: blames its own job`);
      const name = basename(file(r.run));
      if (own.state === 'failed') {
        assert.match(m.chain, new RegExp(`^hlt_skim ${v} of 12/${r.run}: file corrupt: input error in hlt_skim job ${own.id} \\(`));
      } else {
        const flagger = await skimJob(r.run, SKIMS[0]);
        assert.equal(m.chain, `hlt_skim ${v} of 12/${r.run}: file corrupt: hlt_skim job ${own.id} cancelled before it started — its input ${name} was flagged corrupt by hlt_skim job ${flagger.id}`);
      }
      // the cDST's chain down to the raw file names the same job
      const down = cdst.missing.find((x) => x.variant === v)!;
      assert.ok(down.chain.startsWith(`cdst ${v} of 12/${r.run}: made without ${name} — file corrupt: `), down.chain);
      assert.ok(down.chain.includes(`hlt_skim job ${own.id} `), `${down.chain} names job ${own.id}`);
    }
  }
});
