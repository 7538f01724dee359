/**
 * The good-run list as conditions data and campaigns over run ranges: blessing puts a GoodRunList payload into the
 * final tag; it round-trips through `export localdb`; `runs good` reads it back; the bucket's campaign, a special
 * processing over runs of two buckets, and a re-created campaign all select their runs from it (not from the run
 * table); campaigns over the same runs never share keys or outputs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { ROOT_DIR } from '../../src/db/paths.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { seedBucket, GOOD } from '../helpers/loop-fixtures.ts';
import { ensureTag } from '../../src/services/conditions/create-tag.ts';
import { setTagState } from '../../src/services/conditions/set-tag-state.ts';
import { SYSTEM_ACTOR } from '../../src/domain/roles.ts';
import { uploadPayload } from '../../src/services/conditions/upload-payload.ts';
import { addIov } from '../../src/services/conditions/add-iov.ts';
import { snapshotTag } from '../../src/services/conditions/snapshot-tag.ts';
import { exportLocalDb } from '../../src/services/conditions/export-localdb.ts';
import { parseDatabaseTxt } from '../../src/domain/localdb-format.ts';
import { parseGoodRunList } from '../../src/domain/good-run-list.ts';

let app: TestApp;
let manager: string;
let dpm: string;
let reader: string;
const FINAL1 = 'data_reprocessing_prompt_e12_bucket1';
const FINAL2 = 'data_reprocessing_prompt_e12_bucket2';

async function blessed(bucket: string) {
  const closed = await app.as(manager).post(`/windows/${bucket}/close`, { reason: 'no fixes needed' });
  assert.equal(closed.status, 200, JSON.stringify(closed.data));
  const r = await app.as(manager).post(`/buckets/${bucket}/bless`, {});
  assert.equal(r.status, 200, JSON.stringify(r.data));
  return r.data;
}

before(async () => {
  app = await startTestApp();
  const d = app.deps;
  // bucket 1: runs 1-4, run 2 a cosmic, run 3 with a bad CDC; bucket 2: runs 5-8, run 6 ugly ECL, run 7 bad ECL
  await seedBucket(d.prisma, { seq: 1, firstRun: 1, lastRun: 4, stage: 'prompt_processing', types: { 2: 'cosmic' }, quality: { 3: { ...GOOD, cdc: 'bad' } } });
  await seedBucket(d.prisma, { seq: 2, firstRun: 5, lastRun: 8, stage: 'prompt_processing', quality: { 6: { ...GOOD, ecl: 'ugly' }, 7: { ...GOOD, ecl: 'bad' } } });
  await ensureTag(d, SYSTEM_ACTOR, { name: 'data_prompt_running', type: 'running' });
  const p = await uploadPayload(d, SYSTEM_ACTOR, { name: 'ECLCrystalEnergyScale', source: Readable.from([Buffer.from('{"scale":1.0}')]) });
  await addIov(d, SYSTEM_ACTOR, { tag: 'data_prompt_running', payload: { name: p.name, revision: p.revision }, iov: { firstExp: 12, firstRun: 1, finalExp: -1, finalRun: -1 } });
  await setTagState(d, SYSTEM_ACTOR, { name: 'data_prompt_running', state: 'RUNNING' });
  for (const b of ['e12_bucket1', 'e12_bucket2']) await snapshotTag(d, SYSTEM_ACTOR, { source: 'data_prompt_running', bucket: b, reason: 'test snapshot' });
  manager = await app.tokenFor('calibration_manager', [], 'calib_manager');
  dpm = await app.tokenFor('data_production_manager', [], 'dp_manager');
  reader = await app.tokenFor('detector_expert', ['ecl'], 'ecl_expert');
  await app.server.scheduler.runOnce('loop-prompt');
});
after(async () => {
  await app.close();
});

test('when a bucket is blessed, then its final tag holds a GoodRunList payload that round-trips through export localdb and is what the campaign selected its runs from', async () => {
  const r = await blessed('e12_bucket1');
  const iovs = await app.http.get(`/tags/${FINAL1}/iovs`, { params: { name: 'GoodRunList' } });
  assert.equal(iovs.status, 200, JSON.stringify(iovs.data));
  assert.equal(iovs.data.iovs.length, 1);
  const iov = iovs.data.iovs[0];
  assert.deepEqual([iov.firstExp, iov.firstRun, iov.finalExp, iov.finalRun], [12, 1, 12, 4], 'valid for the bucket\'s runs');
  assert.equal((await app.deps.prisma.globalTag.findUniqueOrThrow({ where: { name: FINAL1 } })).state, 'PUBLISHED');

  // the basf2 local database of the final tag carries the list: database.txt line and the payload file
  const dir = join(app.home, 'export1');
  await exportLocalDb(app.deps, { tags: [FINAL1], dir });
  const entries = parseDatabaseTxt(readFileSync(join(dir, 'database.txt'), 'utf8')).filter((e) => e.name === 'GoodRunList');
  assert.equal(entries.length, 1);
  assert.equal(entries[0].revision, iov.revision);
  const list = parseGoodRunList(readFileSync(join(dir, `dbstore_GoodRunList_rev_${iov.revision}.root`)));
  assert.equal(list.bucket, 'e12_bucket1');
  assert.equal(list.tag, FINAL1);
  assert.equal(list.blessedBy, 'calib_manager');
  assert.deepEqual(list.runs.map((x) => x.run), [1, 2, 3, 4]);
  const run3 = list.runs.find((x) => x.run === 3)!;
  assert.equal(run3.quality.cdc, 'bad');
  assert.deepEqual(run3.files, { transferred: 2 });
  assert.equal(typeof run3.complete, 'boolean');
  assert.ok(Object.keys(run3.completeness).length > 0, 'processing completeness per production step');

  // the campaign's selection is the list's, and it says which payload it came from
  const c = r.campaign;
  assert.deepEqual(c.runSource.payloads.map((p: any) => [p.tag, p.name, p.revision]), [[FINAL1, 'GoodRunList', iov.revision]]);
  const plan = (await app.as(dpm).get(`/reprocessing/by-id/${c.id}`)).data.runPlan;
  assert.deepEqual(plan.filter((p: any) => p.selected).map((p: any) => p.run), [1, 4]);
  assert.match(plan.find((p: any) => p.run === 3).reason, /cdc quality is bad/);
  assert.match(plan.find((p: any) => p.run === 2).reason, /run type cosmic/);
});

test('when runs good is asked for a tag, then it reads the list back and filters by the required detectors (API and CLI); bad input is a 400', async () => {
  const all = await app.as(reader).get('/good-runs', { params: { tag: FINAL1 } });
  assert.equal(all.status, 200, JSON.stringify(all.data));
  assert.equal(all.data.total, 4);
  const cdc = await app.as(reader).get('/good-runs', { params: { tag: FINAL1, require: 'cdc,ecl' } });
  assert.deepEqual(cdc.data.runs.map((x: any) => x.run), [1, 2, 4]);
  const bad = await app.as(reader).get('/good-runs', { params: { tag: FINAL1, require: 'CDC;drop' } });
  assert.equal(bad.status, 400);
  assert.match(JSON.stringify(bad.data), /require/);
  assert.equal((await app.as(reader).get('/good-runs', { params: { tag: 'data_prompt_running' } })).status, 404, 'a tag without a list');

  const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT_DIR, 'bin/calibloop.js'), '--json', 'runs', 'good', '--tag', FINAL1, '--require', 'cdc,ecl'], {
    env: { ...process.env, CALIBLOOP_URL: app.url, CALIBLOOP_TOKEN: reader },
  });
  const out = JSON.parse(stdout);
  assert.deepEqual(out.runs.map((x: any) => x.run), [1, 2, 4]);
  assert.deepEqual(out.require, ['cdc', 'ecl']);
});

test('when the data-production manager creates a special processing over runs of two buckets, then its runs come from both lists, its jobs and outputs are its own, and the buckets stay as they are', async () => {
  await blessed('e12_bucket2');
  const bucketCampaign = await app.as(dpm).post('/reprocessing/e12_bucket1/launch', {});
  assert.equal(bucketCampaign.status, 200, JSON.stringify(bucketCampaign.data));

  const body = { name: 'sproc_e12_r3_6', exp: 12, firstRun: 3, lastRun: 6, tagChain: [FINAL2, FINAL1], release: 'release-08-02-00', requirements: { acceptUgly: false } };
  // refused: wrong role, reversed range, unknown tag — nothing written
  const before = await app.deps.prisma.reprocessingCampaign.count();
  assert.equal((await app.as(manager).post('/reprocessing', body)).status, 403);
  const reversed = await app.as(dpm).post('/reprocessing', { ...body, firstRun: 7 });
  assert.equal(reversed.status, 400);
  assert.match(JSON.stringify(reversed.data), /lastRun/);
  const unknown = await app.as(dpm).post('/reprocessing', { ...body, tagChain: ['no_such_tag'] });
  assert.equal(unknown.status, 400);
  assert.match(JSON.stringify(unknown.data), /tagChain/);
  assert.equal((await app.as(dpm).post('/reprocessing', { ...body, exp: '12' })).status, 400, 'no coercion');
  assert.equal(await app.deps.prisma.reprocessingCampaign.count(), before);

  const created = await app.as(dpm).post('/reprocessing', body);
  assert.equal(created.status, 201, JSON.stringify(created.data));
  const sp = created.data;
  assert.equal(sp.kind, 'sproc');
  assert.equal(sp.bucket, null);
  assert.equal(sp.release, 'release-08-02-00');
  assert.deepEqual(sp.runSource.payloads.map((p: any) => p.bucket).sort(), ['e12_bucket1', 'e12_bucket2']);
  const plan = (await app.as(dpm).get(`/reprocessing/by-id/${sp.id}`)).data.runPlan;
  assert.deepEqual(plan.map((p: any) => [p.run, p.selected]), [[3, false], [4, true], [5, true], [6, false]], 'ugly ECL not accepted here');
  assert.equal((await app.as(dpm).post('/reprocessing', body)).status, 409, 'a live campaign of that name exists');

  const launched = await app.as(dpm).post(`/reprocessing/${sp.name}/launch`, {});
  assert.equal(launched.status, 200, JSON.stringify(launched.data));
  assert.equal(launched.data.state, 'running');
  const jobs = await app.deps.prisma.job.findMany({ where: { campaignId: sp.id }, orderBy: { id: 'asc' } });
  assert.deepEqual([...new Set(jobs.map((j) => j.run))], [4, 5]);
  assert.equal(new Set(jobs.map((j) => j.bucketId)).size, 2, 'jobs in both buckets');
  assert.ok(jobs.every((j) => j.variant === 'release-08-02-00' && j.idempotencyKey.startsWith(`campaign_${sp.id}/`)));
  assert.deepEqual(jobs[0].tagChain, [FINAL2, FINAL1]);
  // run 4 is in both campaigns: separate keys and separate outputs
  const other = await app.deps.prisma.job.findMany({ where: { campaignId: bucketCampaign.data.id, run: 4 } });
  const mine = jobs.filter((j) => j.run === 4);
  assert.ok(other.length > 0 && mine.length === other.length);
  const outs = (js: typeof jobs) => new Set(js.flatMap((j) => j.outputs as string[]));
  for (const o of outs(mine)) assert.ok(!outs(other).has(o), `output ${o} is the special processing's own`);
  assert.ok([...outs(mine)].every((o) => o.includes(`campaign_${sp.id}`)));
  const stages = await app.deps.prisma.bucket.findMany({ orderBy: { seq: 'asc' }, select: { stage: true } });
  assert.deepEqual(stages.map((s) => s.stage), ['reprocessing', 'blessed'], 'the special processing moved no bucket');
});

test('when a campaign is aborted, then it can be re-created under its name, selecting from the same good-run lists, with new jobs of its own', async () => {
  const sp = (await app.as(dpm).get('/reprocessing/sproc_e12_r3_6')).data;
  const abort = await app.as(dpm).post(`/reprocessing/${sp.name}/abort`, { reason: 'wrong release' });
  assert.equal(abort.status, 200, JSON.stringify(abort.data));
  assert.equal((await app.as(manager).post(`/reprocessing/${sp.name}/recreate`, {})).status, 403);
  // the run table changes after blessing; the re-created campaign still selects what the blessed list says
  await app.deps.prisma.run.update({ where: { exp_run: { exp: 12, run: 4 } }, data: { quality: { ...GOOD, cdc: 'bad' } } });
  const re = await app.as(dpm).post(`/reprocessing/${sp.name}/recreate`, { reason: 'with the right release' });
  assert.equal(re.status, 201, JSON.stringify(re.data));
  assert.notEqual(re.data.id, sp.id);
  assert.equal(re.data.name, 'sproc_e12_r3_6');
  assert.equal(re.data.recreatedFrom, sp.id);
  assert.equal(re.data.state, 'created');
  const plan = (await app.as(dpm).get(`/reprocessing/by-id/${re.data.id}`)).data.runPlan;
  assert.deepEqual(plan.filter((p: any) => p.selected).map((p: any) => p.run), [4, 5]);
  assert.equal((await app.as(dpm).post(`/reprocessing/${sp.name}/recreate`, {})).status, 409, 'the name is live again');
  assert.equal((await app.as(dpm).get('/reprocessing/sproc_e12_r3_6')).data.id, re.data.id, 'the name finds the live campaign');

  const launched = await app.as(dpm).post(`/reprocessing/${re.data.name}/launch`, {});
  assert.equal(launched.status, 200, JSON.stringify(launched.data));
  const fresh = await app.deps.prisma.job.findMany({ where: { campaignId: re.data.id } });
  const aborted = await app.deps.prisma.job.findMany({ where: { campaignId: sp.id } });
  assert.equal(fresh.length, aborted.length);
  assert.ok(fresh.every((j) => j.state === 'created'));
  assert.ok(aborted.every((j) => j.state === 'cancelled'));
  const keys = new Set(aborted.map((j) => j.idempotencyKey));
  assert.ok(fresh.every((j) => !keys.has(j.idempotencyKey)));
  // the two share a name: by id, each report is its own (the dashboard reads them so)
  const [oldReport, newReport] = await Promise.all([sp.id, re.data.id].map((id) => app.as(dpm).get(`/reprocessing/by-id/${id}/report`)));
  assert.deepEqual([oldReport.status, oldReport.data.campaign, oldReport.data.state], [200, sp.id, 'aborted']);
  assert.deepEqual([newReport.status, newReport.data.campaign, newReport.data.state], [200, re.data.id, 'running']);
  assert.equal((await app.as(dpm).get(`/reprocessing/${sp.name}/report`)).data.campaign, re.data.id, 'by name: the live one');
  assert.equal((await app.as(dpm).get('/reprocessing/by-id/999999/report')).status, 404);
  const audit = await app.deps.prisma.auditEvent.findFirstOrThrow({ where: { action: 'campaign.recreate' } });
  assert.equal(audit.actor, 'dp_manager');
});
