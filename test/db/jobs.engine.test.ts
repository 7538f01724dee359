import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createJobs } from '../../src/services/jobs/create-jobs.ts';
import { runJobTick } from '../../src/services/jobs/run-job-tick.ts';
import { detectStalls } from '../../src/services/jobs/detect-stalls.ts';
import { submitDueJobs } from '../../src/services/jobs/submit-jobs.ts';
import { jobSetStatus } from '../../src/services/jobs/job-queries.ts';
import { isFinalJobState } from '../../src/domain/job-states.ts';
import { bulkAbort } from '../../src/services/jobs/bulk-jobs.ts';
import { SYSTEM_ACTOR } from '../../src/domain/roles.ts';
import type { NewJob } from '../../src/domain/new-job.ts';
import { productionEnv, TOOLKIT, waitFor, type ProductionTestEnv } from '../helpers/production-support.ts';
import { createTestDatabase, usingPostgres } from '../helpers/db.ts';
import pg from 'pg';

let env: ProductionTestEnv;
before(async () => {
  env = await productionEnv({ production: { retry: { site: { backoff_s: 0, factor: 2, max_backoff_s: 0 }, software: { max_attempts: 2, delay_s: 0 }, resource: { memory_factor: 2, max_memory_mb: 300 } }, jobs: { stall_after_s: 60, submit_grace_s: 2, submit_batch: 50, max_in_flight: 100, poll_batch: 100, plan_runs_per_tick: 100 } } });
});
after(async () => {
  await env.close();
});

let seq = 0;
function stressJob(args: string[], o: Partial<NewJob> = {}): NewJob {
  const k = `test/stress/${++seq}`;
  return { idempotencyKey: k, step: 'test', command: [process.execPath, TOOLKIT, 'stress', ...args], memoryMb: 1024, timeLimitS: 60, maxAttempts: 3, ...o };
}

async function job(key: string) {
  return env.deps.prisma.job.findUniqueOrThrow({ where: { idempotencyKey: key }, include: { attemptsLog: { orderBy: { attempt: 'asc' } }, outputFiles: true } });
}

/** Runs job ticks until the job is final; the clock moves a second per tick so backoffs pass. */
async function untilFinal(key: string, timeoutMs = 60_000) {
  return waitFor(`job ${key} to be final`, async () => {
    await runJobTick(env.deps);
    env.clock.advance(1000);
    const j = await job(key);
    return isFinalJobState(j.state) || j.state === 'held' ? j : undefined;
  }, { timeoutMs, intervalMs: 50 });
}

test('when the same jobs are created twice, then each key exists once', async () => {
  const specs = [stressJob([]), stressJob([])].map((s) => ({ ...s, step: 'noop' }));
  assert.equal((await createJobs(env.deps, specs)).created, 2);
  assert.equal((await createJobs(env.deps, specs)).created, 0);
  assert.equal(await env.deps.prisma.job.count({ where: { idempotencyKey: { in: specs.map((s) => s.idempotencyKey) } } }), 2);
  const j = await job(specs[0].idempotencyKey);
  assert.equal(j.state, 'created');
  assert.deepEqual(j.command, specs[0].command);
  await env.deps.prisma.job.updateMany({ where: { step: 'noop' }, data: { state: 'cancelled' } });
});

test('when more jobs than one batch are registered, then every one is counted and a repeat creates none', async () => {
  const many = Array.from({ length: 12_001 }, (_, i) => ({ idempotencyKey: `bulkcreate/${i}`, step: 'bulkcreate', command: ['true'], run: i }));
  many.push({ ...many[0] }); // a duplicate key inside one call
  assert.deepEqual(await createJobs(env.deps, many), { requested: 12_002, created: 12_001 });
  assert.deepEqual(await createJobs(env.deps, many), { requested: 12_002, created: 0 });
  assert.equal(await env.deps.prisma.job.count({ where: { step: 'bulkcreate' } }), 12_001);
  await env.deps.prisma.job.updateMany({ where: { step: 'bulkcreate' }, data: { state: 'cancelled' } });
});

test('when a job writes its declared output, then it succeeds with the output checksummed and registered', async () => {
  const out = join(env.home, 'out', 'ok.txt');
  const s = stressJob(['--output', out], { outputs: [out] });
  await createJobs(env.deps, [s]);
  const j = await untilFinal(s.idempotencyKey);
  assert.equal(j.state, 'succeeded');
  assert.equal(j.attempts, 1);
  assert.equal(j.outputFiles.length, 1);
  assert.equal(j.outputFiles[0].path, out);
  assert.equal(Number(j.outputFiles[0].size), readFileSync(out).length);
  assert.match(j.outputFiles[0].sha256, /^[0-9a-f]{64}$/);
  assert.equal(j.attemptsLog[0].outcome, 'succeeded');
});

test('when a job exits 0 without its declared output, then it fails as a software error after the bounded retries', async () => {
  const out = join(env.home, 'out', 'never.txt');
  const s = stressJob([], { outputs: [out], maxAttempts: 5 });
  await createJobs(env.deps, [s]);
  const j = await untilFinal(s.idempotencyKey);
  assert.equal(j.state, 'failed');
  assert.equal(j.errorClass, 'software');
  assert.equal(j.exitCode, 0);
  assert.match(j.errorMessage!, /does not exist/);
  assert.equal(j.attempts, 2, 'software.max_attempts bounds the retries');
  assert.deepEqual(j.attemptsLog.map((a) => a.decision), ['retry', 'fail']);
  assert.equal(j.outputFiles.length, 0);
});

test('when a job keeps failing on a site problem, then retries stop at maxAttempts', async () => {
  const s = stressJob(['--sleep-s', '20'], { timeLimitS: 1, maxAttempts: 2 });
  await createJobs(env.deps, [s]);
  const j = await untilFinal(s.idempotencyKey);
  assert.equal(j.state, 'failed');
  assert.equal(j.errorClass, 'site');
  assert.equal(j.endReason, 'timeout');
  assert.equal(j.attempts, 2);
  assert.deepEqual(j.attemptsLog.map((a) => a.errorClass), ['site', 'site']);
});

test('when a job exits 65, then it fails as an input error at once, without retry', async () => {
  const s = stressJob(['--exit-code', '65'], { maxAttempts: 5 });
  await createJobs(env.deps, [s]);
  const j = await untilFinal(s.idempotencyKey);
  assert.equal(j.state, 'failed');
  assert.equal(j.errorClass, 'input');
  assert.equal(j.attempts, 1);
});

test('when a job runs out of memory, then it is retried with more memory and succeeds; at the cap it is held', async () => {
  const s = stressJob(['--alloc-mb', '120', '--sleep-s', '1'], { memoryMb: 100, maxAttempts: 4 });
  await createJobs(env.deps, [s]);
  const j = await untilFinal(s.idempotencyKey);
  assert.equal(j.state, 'succeeded');
  assert.equal(j.attemptsLog[0].errorClass, 'resource');
  assert.equal(j.attemptsLog[0].endReason, 'out_of_memory');
  assert.equal(j.attemptsLog[1].memoryMb, 200);
  const capped = stressJob(['--alloc-mb', '500', '--sleep-s', '2'], { memoryMb: 150, maxAttempts: 5 });
  await createJobs(env.deps, [capped]);
  const h = await untilFinal(capped.idempotencyKey);
  assert.equal(h.state, 'held');
  assert.equal(h.errorClass, 'resource');
  assert.equal(h.memoryMb, 300);
});

test('when a running job shows no progress for stall_after_s, then the executor is asked, the job cancelled and retried as a site error', async () => {
  const s = stressJob(['--sleep-s', '60'], { maxAttempts: 1 });
  await createJobs(env.deps, [s]);
  await waitFor('the job to run', async () => {
    await runJobTick(env.deps);
    return (await job(s.idempotencyKey)).state === 'running';
  });
  env.clock.advance(20_000);
  await detectStalls(env.deps); // first look at the log: heartbeat
  env.clock.advance(61_000);
  const r = await detectStalls(env.deps);
  assert.equal(r.stalled, 1);
  const j = await job(s.idempotencyKey);
  assert.equal(j.state, 'failed');
  assert.equal(j.errorClass, 'site');
  assert.match(j.errorMessage!, /no progress/);
  await waitFor('the stalled process to be cancelled', () => existsSync(join(j.workDir!, '.exit')));
  assert.match(readFileSync(join(j.workDir!, '.exit'), 'utf8'), /cancelled/);
});

test('when a bulk abort takes running and waiting jobs, then both are cancelled at once and the running program is stopped at the executor', async () => {
  const running = stressJob(['--sleep-s', '60'], { step: 'abort-test', exp: 77, run: 1, maxAttempts: 1 });
  const waiting = stressJob(['--sleep-s', '60'], { step: 'abort-test', exp: 77, run: 2, maxAttempts: 1, notBefore: new Date(env.clock.now().getTime() + 3_600_000) });
  await createJobs(env.deps, [running, waiting]);
  await waitFor('the first job to run', async () => {
    await runJobTick(env.deps);
    return (await job(running.idempotencyKey)).state === 'running';
  });
  const r = await bulkAbort(env.deps, SYSTEM_ACTOR, { filter: { exp: 77, step: ['abort-test'] }, reason: 'test' });
  assert.deepEqual(r, { operation: 'abort', matched: 2, changed: 2, byState: { running: 1, created: 1 } });
  for (const k of [running.idempotencyKey, waiting.idempotencyKey]) assert.equal((await job(k)).state, 'cancelled');
  const j = await job(running.idempotencyKey);
  await waitFor('the running program to be stopped', () => existsSync(join(j.workDir!, '.exit')));
  assert.match(readFileSync(join(j.workDir!, '.exit'), 'utf8'), /cancelled/);
});

test('when a submission was interrupted after the claim (crash), then it is handed over again with the same key and runs once', async () => {
  const s = stressJob([]);
  await createJobs(env.deps, [s]);
  // the claim of a crashed instance: submitted, attempt 1, no executor id
  await env.deps.prisma.job.update({ where: { idempotencyKey: s.idempotencyKey }, data: { state: 'submitted', attempts: 1, executor: 'local', submittedAt: env.clock.now() } });
  await runJobTick(env.deps);
  assert.equal((await job(s.idempotencyKey)).executorJobId, null, 'within the grace period nothing happens');
  env.clock.advance(3000);
  const j = await untilFinal(s.idempotencyKey);
  assert.equal(j.state, 'succeeded');
  assert.equal(j.attempts, 1);
  assert.equal(readFileSync(join(j.workDir!, '.starts'), 'utf8').trim().split('\n').length, 1);
});

test('when two instances submit at the same time, then no job is claimed twice', async () => {
  const other = await productionEnv({ db: env.deps.db as never, executor: { ...noopExecutor('local') } });
  try {
    const specs = Array.from({ length: 30 }, () => ({ ...stressJob([]), step: 'race' }));
    await createJobs(env.deps, specs);
    const mine = noopExecutor('local');
    const a = { ...env.deps, executor: mine };
    const [ra, rb] = await Promise.all([submitDueJobs(a), submitDueJobs(other.deps)]);
    assert.equal(ra.submitted + rb.submitted, 30);
    const rows = await env.deps.prisma.job.findMany({ where: { step: 'race' } });
    assert.ok(rows.every((r) => r.state === 'submitted' && r.attempts === 1 && r.executorJobId));
    assert.equal(mine.submitted.length + (other.deps.executor as ReturnType<typeof noopExecutor>).submitted.length, 30);
    const st = await jobSetStatus(env.deps, { step: 'race' });
    assert.equal(st.states.submitted, 30);
  } finally {
    await env.deps.prisma.job.updateMany({ where: { step: 'race' }, data: { state: 'cancelled' } });
    await other.close();
  }
});

test('when many jobs are due, then one pass claims no more than the executor may hold (in-flight limit, by priority)', async () => {
  const specs = Array.from({ length: 30 }, (_, i) => ({ ...stressJob([]), step: 'limit', priority: i === 29 ? 100 : 0 }));
  await createJobs(env.deps, specs);
  const ex = { ...noopExecutor('capped'), capabilities: { arrays: false, enforcesMemory: false, maxConcurrent: 3 } };
  const r = await submitDueJobs({ ...env.deps, executor: ex });
  assert.equal(r.submitted, 6);
  assert.equal(await env.deps.prisma.job.count({ where: { step: 'limit', state: 'submitted' } }), 6);
  assert.ok(ex.submitted[0].startsWith(specs[29].idempotencyKey), 'highest priority first');
  assert.equal((await submitDueJobs({ ...env.deps, executor: ex })).submitted, 0, 'nothing more while 6 are in flight');
  await env.deps.prisma.job.updateMany({ where: { step: 'limit' }, data: { state: 'cancelled' } });
});

function noopExecutor(name: string) {
  const submitted: string[] = [];
  return {
    name,
    capabilities: { arrays: true, enforcesMemory: false },
    submitted,
    async submit(specs: { key: string }[]) {
      submitted.push(...specs.map((s) => s.key));
      return specs.map((s) => `noop-${s.key}`);
    },
    async poll(ids: string[]) {
      return new Map(ids.map((id) => [id, { executorJobId: id, state: 'queued' as const }]));
    },
    async cancel() {},
    async logs() {
      return '';
    },
    async close() {},
  };
}

test('when jobs change while a bulk abort waits for their rows, then a job that moved on is left alone and one whose state stayed is cancelled', { skip: !usingPostgres && 'PostgreSQL only: PGlite runs one transaction at a time' }, async () => {
  const db = await createTestDatabase();
  const own = await productionEnv({ db });
  const other = new pg.Client({ connectionString: db.url });
  await other.connect();
  try {
    const specs = [1, 2, 3, 4, 5].map((run) => ({ idempotencyKey: `abort-race/${run}`, step: 'abort-race', exp: 78, run, command: ['true'] }));
    await createJobs(own.deps, specs);
    // another transaction moves job 3 on, touches only job 4's heartbeat, and holds both rows until told to commit
    await other.query('BEGIN');
    await other.query(`UPDATE "Job" SET state = 'submitted', attempts = attempts + 1 WHERE "idempotencyKey" = 'abort-race/3'`);
    await other.query(`UPDATE "Job" SET "heartbeatAt" = now() WHERE "idempotencyKey" = 'abort-race/4'`);
    const abort = bulkAbort(own.deps, SYSTEM_ACTOR, { filter: { exp: 78, step: ['abort-race'] }, reason: 'race' });
    await waitFor('the abort to wait for the row lock', async () => {
      const r = await other.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
      return r.rows[0].n > 0;
    }, { timeoutMs: 10_000, intervalMs: 20 });
    await other.query('COMMIT');
    const r = await abort;
    assert.deepEqual(r, { operation: 'abort', matched: 4, changed: 4, byState: { created: 4 } });
    const states = await own.deps.prisma.job.findMany({ where: { step: 'abort-race' }, orderBy: { run: 'asc' }, select: { run: true, state: true } });
    assert.deepEqual(states.map((j) => `${j.run}:${j.state}`), ['1:cancelled', '2:cancelled', '3:submitted', '4:cancelled', '5:cancelled']);
    const audit = await own.deps.prisma.auditEvent.findMany({ where: { action: 'job.abort' } });
    assert.deepEqual(audit.map((a) => a.summary), ['aborted 4 job(s): race']);
  } finally {
    await other.end();
    await own.close();
    await db.close();
  }
});
