/**
 * The world the dashboard's browser tests look at: one bucket calibrated by the real machinery (toolkit jobs as child
 * processes) and waiting for payload approval; one bucket in its fix window with three fixes uploaded by the ECL
 * expert; a blessed bucket whose reprocessing campaign waits to be launched; a tag with five IoVs over two payload names; tokens for each role.
 */
import { Readable } from 'node:stream';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { calibrateUntil, produceBucket } from '../helpers/calibration-fixtures.ts';
import { seedBucket } from '../helpers/loop-fixtures.ts';
import { SYSTEM_ACTOR, type Actor } from '../../src/domain/roles.ts';
import { ensureTag } from '../../src/services/conditions/create-tag.ts';
import { uploadPayload } from '../../src/services/conditions/upload-payload.ts';
import { addIov } from '../../src/services/conditions/add-iov.ts';
import { uploadFix } from '../../src/services/loop/upload-fix.ts';

export interface DashboardWorld {
  app: TestApp;
  approvalBucket: string;
  windowBucket: string;
  /** blessed, its reprocessing campaign created and waiting for the data-production manager */
  campaignBucket: string;
  iovTag: string;
  tokens: { manager: string; expert: string; production: string };
  /** marks each plot must draw */
  expected: { fixes: number; tagIovs: number };
}

export async function dashboardWorld(): Promise<DashboardWorld> {
  const app = await startTestApp();
  const tokens = {
    manager: await app.tokenFor('calibration_manager', [], 'carla'),
    expert: await app.tokenFor('detector_expert', ['ecl'], 'erik'),
    production: await app.tokenFor('data_production_manager', [], 'dora'),
  };
  const approvalBucket = await produceBucket(app.deps, app.server.scheduler, { dir: app.home, firstRun: 1, lastRun: 4, eventsPerFile: 4000, seed: 5 });
  const stage = await calibrateUntil(app.deps, app.server.scheduler, approvalBucket, ['awaiting_approval', 'failed']);
  if (stage !== 'awaiting_approval') throw new Error(`${approvalBucket} ended ${stage}, not awaiting_approval`);

  const now = app.clock.now();
  const w = await seedBucket(app.deps.prisma, { seq: 2, firstRun: 10, lastRun: 20, stage: 'fix_window' });
  await app.deps.prisma.fixWindow.create({ data: { bucketId: w.id, state: 'open', openedAt: now, deadline: new Date(now.getTime() + 30 * 3600_000), initialDeadline: new Date(now.getTime() + 30 * 3600_000) } });
  const erik: Actor = { user: 'erik', role: 'detector_expert', detectors: ['ecl'] };
  const fixes: Array<[number, number]> = [[10, 12], [13, 16], [17, 20]];
  for (const [first, last] of fixes) {
    await uploadFix(app.deps, erik, { bucket: w.name, name: 'ECLCrystalEnergyScale', iov: { firstExp: 12, firstRun: first, finalExp: 12, finalRun: last }, reason: `gain drift in runs ${first}-${last}`, content: Buffer.from(`{"values":{"g0":${1 + first / 1000}}}`) });
  }

  const blessed = await seedBucket(app.deps.prisma, { seq: 3, firstRun: 30, lastRun: 35, stage: 'blessed' });
  const runPlan = Array.from({ length: 6 }, (_, i) => ({ exp: 12, run: 30 + i, selected: i !== 2, reason: i === 2 ? 'cdc bad' : 'physics, good' }));
  await app.deps.prisma.reprocessingCampaign.create({ data: { name: `${blessed.name}_reprocessing`, bucketId: blessed.id, tagName: 'data_final_e12_bucket3', tagChain: ['data_final_e12_bucket3'], state: 'created', createdBy: 'carla', runPlan } });

  const iovTag = 'dashboard_iov_example';
  await ensureTag(app.deps, SYSTEM_ACTOR, { name: iovTag, type: 'release', description: 'two payload names, five IoVs' });
  const iovs: Array<[string, number, number]> = [['BeamSpot', 1, 10], ['BeamSpot', 11, 20], ['BeamSpot', 21, -1], ['SVDTimeShift', 1, 15], ['SVDTimeShift', 16, 30]];
  for (const [name, first, last] of iovs) {
    const p = await uploadPayload(app.deps, SYSTEM_ACTOR, { name, source: Readable.from([Buffer.from(`{"values":{"x":${first}}}`)]) });
    await addIov(app.deps, SYSTEM_ACTOR, { tag: iovTag, payload: { name: p.name, revision: p.revision }, iov: { firstExp: 12, firstRun: first, finalExp: last === -1 ? -1 : 12, finalRun: last } });
  }
  return { app, approvalBucket, windowBucket: w.name, campaignBucket: blessed.name, iovTag, tokens, expected: { fixes: fixes.length, tagIovs: iovs.length } };
}
