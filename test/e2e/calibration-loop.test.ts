/**
 * The calibration loop end to end, on the real machinery: the reference toolkit generates four runs, production
 * (skim and cDST jobs as child processes of the local executor) produces the bucket's cDST, the calibration ticks run
 * the seven calibrations of calibrations/ in dependency order with iterations, the calibration manager approves the
 * candidates over HTTP, the finalising tick validates the staging tag, applies the running update at the bucket's
 * first run and takes the snapshot. The constants in the running tag match the generator's truth within the
 * uncertainty the algorithms report.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { ROOT, calibrateUntil, produceBucket, truth, truthAverage } from '../helpers/calibration-fixtures.ts';
import { conditionsPort } from '../../src/services/conditions/store-conditions.ts';

const EXP = 12;
const RUNS = [1, 2, 3, 4];
let app: TestApp;
let bucket: string;
let manager: string;

before(async () => {
  app = await startTestApp({ env: { CALIBLOOP_LOCAL_CONCURRENCY: '2' } });
  manager = await app.tokenFor('calibration_manager', [], 'the_manager');
  bucket = await produceBucket(app.deps, app.server.scheduler, { dir: app.home, firstRun: 1, lastRun: 4, eventsPerFile: 5000, seed: 7 });
});
after(async () => {
  await app?.deps.executor.close();
  await app?.close();
});

test('when the bucket is produced, then its calibrations run in dependency order and end with payload candidates', async () => {
  assert.equal(await calibrateUntil(app.deps, app.server.scheduler, bucket, ['awaiting_approval', 'failed']), 'awaiting_approval');
  const status = (await app.as(manager).get(`/calibrations/buckets/${bucket}`)).data;
  const byName = Object.fromEntries(status.calibrations.map((c: any) => [c.calibration, c]));
  for (const c of status.calibrations) assert.equal(c.state, 'converged', `${c.calibration}: ${c.state} ${c.message}`);
  // Order: a calibration's first job was created only after every job of its dependencies.
  const jobs = await app.deps.prisma.job.findMany({ where: { step: 'calibration', bucketId: { not: null } }, orderBy: { id: 'asc' } });
  const first = (n: string) => Math.min(...jobs.filter((j) => j.variant === n).map((j) => j.id));
  const last = (n: string) => Math.max(...jobs.filter((j) => j.variant === n).map((j) => j.id));
  for (const c of status.calibrations) for (const d of c.dependsOn) assert.ok(first(c.calibration) > last(d), `${c.calibration} after ${d}`);
  // Independent roots started together; ECL and TOP iterated; one job per iteration with the bucket/calibration/request/iteration key.
  assert.equal(byName.ecl_energy.iterations.length, jobs.filter((j) => j.variant === 'ecl_energy').length);
  assert.ok(byName.ecl_energy.iterations.length >= 2, 'ECL iterates');
  assert.deepEqual(byName.ecl_energy.iterations.map((i: any) => i.outcome).at(-1), 'converged');
  assert.ok(jobs.some((j) => j.idempotencyKey === `calibration/${bucket}/ecl_energy/plan/i1`));
  // What each iteration read: the calibration chain (fixing tag first, then running) plus its dependencies' staging payloads.
  const it0 = byName.ecl_energy.iterations[0];
  assert.deepEqual(it0.tagChain, ['data_reprocessing_prompt_fix', 'data_prompt_running']);
  assert.deepEqual(it0.dependencyPayloads.map((p: any) => p.name).sort(), ['CDCMomentumScale', 'SVDAlignment']);
  assert.ok('CDCMomentumScale' in it0.metrics.conditions.used, 'the algorithm found the new momentum scale in --localdb');
  assert.deepEqual(it0.metrics.conditions.missing, [], 'and missed nothing it looked for');
  assert.deepEqual(byName.svd_alignment.iterations[0].dependencyPayloads, []);
});

test('when the manager lists pending payloads, then each carries its metrics, IoV and change w.r.t. the running tag', async () => {
  const r = await app.as(manager).get('/payload-candidates', { params: { bucket } });
  assert.equal(r.status, 200);
  const names = [...new Set(r.data.map((c: any) => c.name))].sort();
  assert.deepEqual(names, ['ARICHChannelMask', 'CDCMomentumScale', 'CDCdEdxRunGain', 'ECLCrystalEnergyScale', 'KLMStripEfficiency', 'SVDAlignment', 'TOPModuleT0']);
  const scale = r.data.find((c: any) => c.name === 'CDCMomentumScale');
  assert.deepEqual(scale.iov, [EXP, 1, -1, -1], 'open-ended from the first run of the bucket');
  assert.equal(typeof scale.metrics.value, 'number');
  assert.equal(typeof scale.metrics.uncertainty, 'number');
  assert.ok('chi2ndf' in scale.metrics);
  assert.equal(scale.metrics.changeVsRunning.previousRevision, null, 'first bucket: nothing in the running tag yet');
  const dedx = r.data.filter((c: any) => c.name === 'CDCdEdxRunGain').map((c: any) => c.iov);
  assert.deepEqual(dedx, [[EXP, 1, EXP, 1], [EXP, 2, EXP, 2], [EXP, 3, EXP, 3], [EXP, 4, -1, -1]], 'iov_granularity run: one IoV per run, the last open-ended');
  const staging = await conditionsPort(app.deps).liveIovs(`data_prompt_staging_${bucket}`);
  assert.equal(staging.length, r.data.length, 'the staging tag holds the candidates');
});

test('when the manager approves the bucket, then staging → VALIDATED → running update at the first run → snapshot, each once', async () => {
  const r = await app.as(manager).post('/payload-candidates/approve', { bucket, comment: 'looks good' });
  assert.equal(r.status, 200, JSON.stringify(r.data));
  assert.ok(r.data.every((c: any) => c.state === 'approved' && c.decidedBy === 'the_manager'));
  assert.equal(await calibrateUntil(app.deps, app.server.scheduler, bucket, ['snapshotted', 'failed']), 'snapshotted');
  const tags = await app.deps.prisma.globalTag.findMany({ where: { name: { in: ['data_prompt_running', `data_prompt_staging_${bucket}`, `data_reprocessing_prompt_snapshot_${bucket}`] } } });
  const state = Object.fromEntries(tags.map((t) => [t.name, t.state]));
  assert.deepEqual(state, {
    data_prompt_running: 'RUNNING',
    [`data_prompt_staging_${bucket}`]: 'VALIDATED',
    [`data_reprocessing_prompt_snapshot_${bucket}`]: 'PUBLISHED',
  });
  const running = tags.find((t) => t.name === 'data_prompt_running')!;
  const updates = await app.deps.prisma.tagEvent.count({ where: { tagId: running.id, kind: 'runningupdate' } });
  assert.equal(updates, 1);
  // Repeating the tick changes nothing.
  await app.server.scheduler.runOnce('calibration-finalise');
  assert.equal(await app.deps.prisma.tagEvent.count({ where: { tagId: running.id, kind: 'runningupdate' } }), 1);
  const audit = (await app.as(manager).get('/audit', { params: { targetType: 'bucket', targetId: bucket } })).data.map((a: any) => a.action);
  for (const a of ['bucket.stage.calibrating', 'bucket.stage.awaiting_approval', 'bucket.stage.updating', 'calibration.running_update', 'bucket.stage.snapshotted']) {
    assert.ok(audit.includes(a), `audit has ${a}`);
  }
});

test('when the running tag is read for a run of the bucket, then its constants match the generator within the reported uncertainty', async () => {
  const conditions = conditionsPort(app.deps);
  const resolved = await conditions.resolve(['data_prompt_running'], EXP, 2);
  const snapshot = await conditions.resolve([`data_reprocessing_prompt_snapshot_${bucket}`], EXP, 2);
  assert.deepEqual(snapshot.map((p) => [p.name, p.revision]), resolved.map((p) => [p.name, p.revision]), 'the snapshot is the running tag');
  const payload = async (name: string, run = 2) => {
    const p = (await conditions.resolve(['data_prompt_running'], EXP, run)).find((x) => x.name === name);
    assert.ok(p, `${name} in the running tag at run ${run}`);
    return JSON.parse(readFileSync(await conditions.payloadPath(p.payloadId), 'utf8')) as { values: Record<string, number>; uncertainties: Record<string, number> };
  };
  const pulls: string[] = [];
  const check = (name: string, key: string, est: number, err: number, truthValue: number) => {
    assert.ok(err > 0, `${name}.${key} has an uncertainty`);
    const pull = (est - truthValue) / err;
    pulls.push(`${name}.${key} ${pull.toFixed(2)}`);
    assert.ok(Math.abs(pull) < 3, `${name}.${key}: estimate ${est} ± ${err}, truth ${truthValue}: |pull| ${Math.abs(pull).toFixed(2)} ≥ 3`);
  };
  for (const name of ['CDCMomentumScale', 'ECLCrystalEnergyScale', 'TOPModuleT0']) {
    const p = await payload(name);
    const t = await truthAverage(EXP, RUNS, name);
    assert.deepEqual(Object.keys(p.values).sort(), Object.keys(t).sort());
    for (const [k, v] of Object.entries(p.values)) check(name, k, v, p.uncertainties[k], t[k]);
  }
  // dE/dx gain: one constant per run, each IoV of the running tag serving its run.
  for (const run of RUNS) {
    const p = await payload('CDCdEdxRunGain', run);
    const t = (await truth(EXP, run)).constants.CDCdEdxRunGain[String(run)];
    check('CDCdEdxRunGain', String(run), p.values[String(run)], p.uncertainties[String(run)], t);
  }
  assert.ok(pulls.length >= 1 + 8 + 16 + 4, pulls.join(', '));
});

test('when the CLI is asked, then status, pending payloads and requests come back as JSON', async () => {
  const cli = async (...args: string[]) => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'bin/calibloop.js'), '--json', ...args], {
      env: { ...process.env, CALIBLOOP_URL: app.url, CALIBLOOP_TOKEN: manager },
    });
    return JSON.parse(stdout);
  };
  const status = await cli('calibration', 'status', '--bucket', bucket);
  assert.equal(status.stage, 'snapshotted');
  assert.equal(status.calibrations.length, 7);
  const approved = await cli('payload', 'pending', '--bucket', bucket, '--state', 'approved');
  assert.equal(approved.length, 10);
  const list = await cli('calibration', 'list', '--bucket', bucket, '--state', 'converged');
  assert.equal(list.length, 7);
  assert.deepEqual(await cli('request', 'list', '--bucket', bucket), []);
});
