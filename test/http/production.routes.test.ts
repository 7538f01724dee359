import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createJobs } from '../../src/services/jobs/create-jobs.ts';
import { ROOT_DIR } from '../../src/db/paths.ts';

const run = promisify(execFile);
let app: TestApp;
let dpm: string;
let expert: string;

before(async () => {
  app = await startTestApp();
  dpm = await app.tokenFor('data_production_manager');
  expert = await app.tokenFor('detector_expert', ['ecl']);
});
after(async () => {
  await app.deps.executor.close();
  await app.close();
});

const list = (nums: number[]) => ({
  runs: nums.map((run) => ({ exp: 12, run, type: 'physics', startTime: '2026-11-01T00:00:00Z', endTime: '2026-11-01T01:00:00Z', luminosity: 1.25, eventsOnline: 10, eventsOffline: 9, quality: { ecl: 'good' }, files: [{ path: `/raw/e12_r${run}_f0.b2raw`, status: 'transferred', size: 1, events: 9 }] })),
});

async function cli(args: string[], token = dpm) {
  const r = await run(process.execPath, [join(ROOT_DIR, 'bin', 'calibloop.js'), ...args], { env: { ...process.env, CALIBLOOP_URL: app.url, CALIBLOOP_TOKEN: token } });
  return r.stdout;
}

test('when runs are read or imported, then reads need a token and imports the data-production manager', async () => {
  assert.equal((await app.http.get('/runs')).status, 401);
  assert.equal((await app.as(expert).post('/runs/import', list([1]))).status, 403);
  const ok = await app.as(dpm).post('/runs/import', list([1, 2, 3, 4]));
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.data, { runs: 4, newRuns: 4, files: 4, newFiles: 4 });
  const bad = await app.as(dpm).post('/runs/import', { runs: [{ exp: 12, run: 5, type: 'physics', files: [{ path: 'rel', status: 'gone' }] }] });
  assert.equal(bad.status, 400);
  assert.ok(bad.data.error.details.some((d: { path: string }) => d.path === 'body.runs.0.files.0.status'));
  assert.equal(await app.deps.prisma.run.count({ where: { run: 5 } }), 0);
  const runs = await app.as(expert).get('/runs', { params: { exp: 12 } });
  assert.equal(runs.data.length, 4);
  assert.deepEqual(runs.data[0].filesByStatus, { transferred: 1 });
  const one = await app.as(expert).get('/runs/12/2');
  assert.equal(one.data.files[0].path, '/raw/e12_r2_f0.b2raw');
  const c = await app.as(expert).get('/runs/12/2/completeness');
  assert.equal(c.data.steps[0].status, 'not_planned');
  assert.equal((await app.as(expert).get('/runs/12/99')).status, 404);
});

test('when the manager creates and closes buckets, then stages move and everyone with a token can read them', async () => {
  assert.equal((await app.as(expert).post('/buckets', { exp: 12, firstRun: 1 })).status, 403);
  const created = await app.as(dpm).post('/buckets', { exp: 12, firstRun: 1 });
  assert.equal(created.status, 201);
  assert.equal(created.data.name, 'e12_bucket1');
  assert.equal((await app.as(dpm).post('/buckets', { exp: 12, firstRun: 3 })).status, 409);
  const closed = await app.as(dpm).post('/buckets/e12_bucket1/close', { lastRun: 4, reason: 'test' });
  assert.equal(closed.status, 200);
  const show = await app.as(expert).get('/buckets/e12_bucket1');
  assert.equal(show.data.stage, 'closed');
  assert.equal(show.data.runs, 4);
  assert.equal(show.data.history.length, 2);
  const all = await app.as(expert).get('/buckets', { params: { stage: 'closed' } });
  assert.deepEqual(all.data.map((b: { name: string }) => b.name), ['e12_bucket1']);
  const comp = await app.as(expert).get('/buckets/e12_bucket1/completeness');
  assert.deepEqual(comp.data.summary.hlt_skim, { not_planned: 4 });
});

test('when bulk operations are requested, then each is one request over the selection, audited, and an unscoped one is refused', async () => {
  const b = await app.deps.prisma.bucket.findUniqueOrThrow({ where: { name: 'e12_bucket1' } });
  await createJobs(app.deps, Array.from({ length: 40 }, (_, i) => ({ idempotencyKey: `bulk/${i}`, step: 'hlt_skim', variant: 'hlt_bhabha', bucketId: b.id, exp: 12, run: 1 + (i % 4), chunk: i, command: ['true'] })));
  const listed = await app.as(expert).get('/jobs', { params: { bucket: 'e12_bucket1', state: 'created', runFrom: 2, runTo: 3, limit: 5 } });
  assert.equal(listed.data.total, 20);
  assert.equal(listed.data.jobs.length, 5);
  assert.equal((await app.as(expert).post('/jobs/abort', { filter: { bucket: 'e12_bucket1' } })).status, 403);
  assert.equal((await app.as(dpm).post('/jobs/abort', { filter: { state: ['created'] } })).status, 400);
  const prio = await app.as(dpm).post('/jobs/priority', { filter: { bucket: 'e12_bucket1', runFrom: 4, runTo: 4 }, priority: 50 });
  assert.equal(prio.data.changed, 10);
  const abort = await app.as(dpm).post('/jobs/abort', { filter: { bucket: 'e12_bucket1', runFrom: 2, runTo: 3 }, reason: 'wrong inputs' });
  assert.deepEqual(abort.data, { operation: 'abort', matched: 20, changed: 20, byState: { created: 20 } });
  const again = await app.as(dpm).post('/jobs/abort', { filter: { bucket: 'e12_bucket1', runFrom: 2, runTo: 3 } });
  assert.equal(again.data.changed, 0);
  const resub = await app.as(dpm).post('/jobs/resubmit', { filter: { bucket: 'e12_bucket1', state: ['cancelled'], runFrom: 3, runTo: 3 }, extraAttempts: 2 });
  assert.equal(resub.data.changed, 10);
  const progress = await app.as(expert).get('/buckets/e12_bucket1/progress');
  const skim = progress.data.steps.find((s: { step: string }) => s.step === 'hlt_skim');
  assert.equal(skim.total, 40);
  assert.equal(skim.states.cancelled, 10);
  assert.equal(skim.states.created, 30);
  assert.equal(skim.percent.cancelled, 25);
  const audit = await app.deps.prisma.auditEvent.findMany({ where: { action: { in: ['job.abort', 'job.resubmit', 'job.priority'] } }, orderBy: { id: 'asc' } });
  assert.equal(audit.length, 4);
  // the abort's event is written by its own statement: the same fields as every other event
  const [first, second] = audit.filter((a) => a.action === 'job.abort');
  assert.deepEqual(
    { role: first!.role, targetType: first!.targetType, targetId: first!.targetId, summary: first!.summary, details: first!.details },
    { role: 'data_production_manager', targetType: 'jobs', targetId: 'e12_bucket1', summary: 'aborted 20 job(s): wrong inputs', details: { filter: { bucket: 'e12_bucket1', runFrom: 2, runTo: 3 }, byState: { created: 20 } } },
  );
  assert.match(first!.actor, /^data-production-manager/);
  assert.deepEqual({ summary: second!.summary, details: second!.details }, { summary: 'aborted 0 job(s)', details: { filter: { bucket: 'e12_bucket1', runFrom: 2, runTo: 3 }, byState: {} } });
  const job = await app.as(expert).get(`/jobs/${listed.data.jobs[0].id}`);
  assert.equal(job.status, 200);
  assert.equal(job.data.bucket, 'e12_bucket1');
  assert.equal((await app.as(expert).get('/jobs/999999')).status, 404);
  const logs = await app.as(expert).get(`/jobs/${listed.data.jobs[0].id}/logs`);
  assert.equal(logs.data.text, '');
});

test('when the CLI is used, then bucket status, job list and run show work with --json and as tables', async () => {
  const status = JSON.parse(await cli(['bucket', 'status', 'e12_bucket1', '--json']));
  assert.equal(status.bucket, 'e12_bucket1');
  const table = await cli(['bucket', 'status', 'e12_bucket1']);
  assert.match(table, /hlt_skim/);
  const jobs = JSON.parse(await cli(['job', 'list', '--bucket', 'e12_bucket1', '--state', 'cancelled', '--json']));
  assert.ok(Array.isArray(jobs), 'every list prints a JSON array');
  assert.equal(jobs.length, 10);
  const aborted = JSON.parse(await cli(['job', 'abort', '--bucket', 'e12_bucket1', '--runs', '1', '--json']));
  assert.equal(aborted.changed, 10);
  const show = await cli(['run', 'show', '12,1']);
  assert.match(show, /e12 r1/);
  assert.match(show, /completeness/);
  const buckets = await cli(['bucket', 'list']);
  assert.match(buckets, /e12_bucket1\s+closed/);
});
