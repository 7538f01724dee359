/**
 * GET /status and `calibloop status` on a database holding each interesting state: a bucket awaiting approval with
 * pending candidates, one in its fix window with a pending fix, one failed in calibration, one blessed with a campaign
 * ready to launch, failed jobs by error class, a pending algorithm request. Narrowed per role and per detector.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { seedBucket } from '../helpers/loop-fixtures.ts';
import { ROOT } from '../helpers/calibration-fixtures.ts';
import { StatusViewSchema } from '../../src/services/status/build-status.ts';

let app: TestApp;
const tokens: Record<string, string> = {};

before(async () => {
  app = await startTestApp();
  const p = app.deps.prisma;
  const now = app.clock.now();
  tokens.manager = await app.tokenFor('calibration_manager', [], 'carla');
  tokens.production = await app.tokenFor('data_production_manager', [], 'dora');
  tokens.ecl = await app.tokenFor('detector_expert', ['ecl'], 'erik');
  tokens.svd = await app.tokenFor('detector_expert', ['svd'], 'sven');
  const approval = await seedBucket(p, { seq: 1, firstRun: 1, lastRun: 2, stage: 'awaiting_approval' });
  const window = await seedBucket(p, { seq: 2, firstRun: 3, lastRun: 4, stage: 'fix_window' });
  await seedBucket(p, { seq: 3, firstRun: 5, lastRun: 6, stage: 'failed' });
  await p.bucket.update({ where: { name: 'e12_bucket3' }, data: { data: { failedFrom: 'calibrating', failure: 'ecl_energy failed: exit 1' } } });
  const blessed = await seedBucket(p, { seq: 4, firstRun: 7, lastRun: 8, stage: 'blessed' });
  await seedBucket(p, { seq: 5, firstRun: 9, lastRun: 10, stage: 'done' });
  const run = await p.calibrationRun.create({ data: { key: 'e12_bucket1:ecl_energy:plan', bucketId: approval.id, calibration: 'ecl_energy', detector: 'ecl', exp: 12, firstRun: 1, lastRun: 2, state: 'converged', tagChain: [] } });
  const payload = await p.payload.create({ data: { name: 'ECLCrystalEnergyScale', revision: 1, md5: '0'.repeat(32), sha256: '1'.repeat(64), size: 10n, storageKey: 'x', createdBy: 'system' } });
  // one candidate whose algorithm reported its constants (result.json metrics.values), one that reported none
  for (const [firstRun, metrics] of [[1, { values: { g0: 1.0123, g1: 0.99 }, uncertainties: { g0: 0.0021, g1: 0.003 } }], [2, { chi2ndf: 1.1 }]] as const) {
    await p.payloadCandidate.create({ data: { bucketId: approval.id, calibrationRunId: run.id, calibration: 'ecl_energy', detector: 'ecl', payloadId: payload.id, name: payload.name, revision: 1, firstExp: 12, firstRun, finalExp: 12, finalRun: firstRun, state: 'pending', metrics } });
  }
  const fw = await p.fixWindow.create({ data: { bucketId: window.id, state: 'open', openedAt: now, deadline: new Date(now.getTime() + 7200_000) } });
  await p.fix.create({ data: { windowId: fw.id, payloadId: payload.id, name: payload.name, revision: 1, detector: 'ecl', firstExp: 12, firstRun: 3, finalExp: 12, finalRun: 4, reason: 'drift', state: 'pending', submittedBy: 'erik' } });
  await p.reprocessingCampaign.create({ data: { bucketId: blessed.id, tagName: 'data_final_e12_bucket4', state: 'created', createdBy: 'carla' } });
  await p.job.createMany({ data: [
    { bucketId: approval.id, step: 'hlt_skim', variant: 'bhabha', exp: 12, run: 1, idempotencyKey: 'a', state: 'failed', errorClass: 'input' },
    { bucketId: approval.id, step: 'hlt_skim', variant: 'mumu', exp: 12, run: 1, idempotencyKey: 'b', state: 'failed', errorClass: 'input' },
    { bucketId: approval.id, step: 'cdst', variant: 'bhabha', exp: 12, run: 2, idempotencyKey: 'c', state: 'failed', errorClass: 'site' },
  ] });
  await p.algorithmRequest.create({ data: { calibration: 'ecl_energy', detector: 'ecl', bucketId: approval.id, reason: 'narrower window', state: 'submitted', submittedBy: 'erik' } });
});
after(async () => {
  await app?.close();
});

const kinds = (s: any) => s.actions.map((a: any) => `${a.kind}:${a.bucket ?? ''}`).sort();

test('when the calibration manager asks, then approvals, the request, the fix to decide and the failed calibration bucket are theirs', async () => {
  const r = await app.as(tokens.manager).get('/status');
  assert.equal(r.status, 200, JSON.stringify(r.data));
  assert.equal(r.data.role, 'calibration_manager');
  StatusViewSchema.parse(r.data); // the documented shape is the served one
  assert.deepEqual(kinds(r.data), ['approve_payloads:e12_bucket1', 'decide_fixes:e12_bucket2', 'decide_request:e12_bucket1', 'recover_bucket:e12_bucket3']);
  const byName = Object.fromEntries(r.data.buckets.map((b: any) => [b.name, b]));
  assert.deepEqual(Object.keys(byName), ['e12_bucket1', 'e12_bucket2', 'e12_bucket3', 'e12_bucket4'], 'done buckets are history');
  assert.deepEqual([byName.e12_bucket1.waitsOn, byName.e12_bucket1.pendingCandidates, byName.e12_bucket1.failedJobs], ['calibration_manager', 2, { input: 2, site: 1 }]);
  assert.deepEqual(byName.e12_bucket1.production, { hlt_skim: { total: 2, succeeded: 0, failed: 2, active: 0 }, cdst: { total: 1, succeeded: 0, failed: 1, active: 0 } });
  assert.deepEqual([byName.e12_bucket2.secondsToDeadline, byName.e12_bucket2.pendingFixes], [7200, 1]);
  assert.deepEqual([byName.e12_bucket3.waitsOn, byName.e12_bucket3.failure], ['calibration_manager', 'ecl_energy failed: exit 1']);
  assert.equal(byName.e12_bucket4.waitsOn, 'data_production_manager');
});

test('when the data-production manager asks, then failed jobs by class and the campaign to launch are theirs', async () => {
  const r = await app.as(tokens.production).get('/status');
  assert.deepEqual(kinds(r.data), ['failed_jobs:e12_bucket1', 'launch_campaign:e12_bucket4']);
  assert.match(r.data.actions.find((a: any) => a.kind === 'failed_jobs').title, /3 failed job\(s\) in e12_bucket1: input 2, site 1/);
});

test('when detector experts ask, then each sees the open window and only their own detector counts', async () => {
  const ecl = (await app.as(tokens.ecl).get('/status')).data;
  assert.deepEqual(kinds(ecl), ['upload_fixes:e12_bucket2']);
  assert.deepEqual(ecl.requests.map((r: any) => r.calibration), ['ecl_energy']);
  const svd = (await app.as(tokens.svd).get('/status')).data;
  assert.deepEqual(svd.requests, []);
  assert.equal(svd.buckets.find((b: any) => b.name === 'e12_bucket1').pendingCandidates, 0, 'ECL candidates are not the SVD expert\'s');
  const asManager = (await app.as(tokens.ecl).get('/status', { params: { role: 'calibration_manager' } })).data;
  assert.equal(asManager.role, 'calibration_manager', '--role narrows to another role\'s view (reading only)');
});

test('when the query is malformed, then 400 names the field, and without a token 401', async () => {
  const bad = await app.as(tokens.manager).get('/status', { params: { role: 'boss' } });
  assert.equal(bad.status, 400);
  assert.match(JSON.stringify(bad.data.error.details), /query\.role/);
  const extra = await app.as(tokens.manager).get('/status', { params: { rol: 'admin' } });
  assert.equal(extra.status, 400, 'unknown parameters are refused');
  assert.equal((await app.http.get('/status')).status, 401);
});

test('when `calibloop status --json --role` runs against the server, then it prints the same view', async () => {
  // asynchronously: the server answering the CLI runs in this process
  const cli = (...args: string[]) => promisify(execFile)(process.execPath, [join(ROOT, 'bin/calibloop.js'), ...args], { env: { ...process.env, CALIBLOOP_URL: app.url, CALIBLOOP_TOKEN: tokens.manager }, encoding: 'utf8', timeout: 60_000 });
  const r = await cli('status', '--role', 'data_production_manager', '--json');
  const out = JSON.parse(r.stdout);
  assert.equal(out.role, 'data_production_manager');
  assert.deepEqual(kinds(out), ['failed_jobs:e12_bucket1', 'launch_campaign:e12_bucket4']);
  const pending = (await cli('payload', 'pending', '--bucket', 'e12_bucket1')).stdout;
  assert.match(pending, /12,1,12,1 .* 2 values \(g0 1\.012 ± 0\.0021, …\)/, 'the values column shows the reported constants');
  assert.match(pending, /12,2,12,2 .* no values reported/);
  const human = await cli('status');
  assert.match(human.stdout, /2 payload candidate\(s\) to approve in e12_bucket1/);
  assert.match(human.stdout, /e12_bucket2\s+fix_window\s+fixes from detector experts until the deadline\s+detector_expert\s+2 h 0 min/);
});

test('when `calibloop status --watch 1` runs, then it prints the view again each second until stopped', async () => {
  const child = spawn(process.execPath, [join(ROOT, 'bin/calibloop.js'), 'status', '--watch', '1', '--json'], { env: { ...process.env, CALIBLOOP_URL: app.url, CALIBLOOP_TOKEN: tokens.production } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  try {
    const deadline = Date.now() + 60_000;
    while ((out.match(/"generatedAt"/g) ?? []).length < 2) {
      assert.ok(Date.now() < deadline, `two refreshes within 60 s; got: ${out.slice(0, 200)}`);
      assert.equal(child.exitCode, null, 'still watching');
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal((out.match(/"role": "data_production_manager"/g) ?? []).length >= 2, true);
  const bad = await promisify(execFile)(process.execPath, [join(ROOT, 'bin/calibloop.js'), 'status', '--watch', 'soon'], { env: { ...process.env, CALIBLOOP_URL: app.url, CALIBLOOP_TOKEN: tokens.production } }).catch((e) => e);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--watch: not a whole number of seconds: soon/);
});
