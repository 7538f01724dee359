/** A bucket whose prompt processing finished (its fix window open, 48 h) with one ECL fix uploaded and pending. */
import assert from 'node:assert/strict';
import type { TestApp } from './app.ts';
import { seedBucket, ensureRunningTag } from './loop-fixtures.ts';

export async function openWindowWithPendingFix(app: TestApp, bucket = { firstRun: 1, lastRun: 4 }): Promise<void> {
  await seedBucket(app.deps.prisma, { ...bucket, stage: 'prompt_processing' });
  await ensureRunningTag(app.deps);
  assert.equal((await app.server.scheduler.runOnce('loop-prompt')).error, undefined);
  const ecl = await app.tokenFor('detector_expert', ['ecl'], 'ecl_expert');
  const fix = await app.as(ecl).post('/windows/e12_bucket1/fixes', {
    name: 'ECLCrystalEnergyScale',
    iov: { firstExp: 12, firstRun: bucket.firstRun, finalExp: 12, finalRun: bucket.lastRun },
    reason: 'crystal 1234 miscalibrated in prompt',
    contentBase64: Buffer.from('{"scale":1.01}').toString('base64'),
  });
  assert.equal(fix.status, 201, JSON.stringify(fix.data));
}
