/**
 * Two buckets through the whole loop on the real services, ticks, local executor and reference toolkit, driven by the
 * demo's driver with a ManualClock (time jumps instead of waits): runs arrive, skims, cDST, calibrations, approvals,
 * running update, snapshot, prompt processing, fix window with one ECL fix, blessing, reprocessing. The second
 * bucket's calibration reads the fixing tag first in its chain, and the fix reaches bucket 1's reprocessing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig } from '../../src/config/app-config.ts';
import { createDeps } from '../../src/bootstrap.ts';
import { startServer } from '../../src/server.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { createMemoryLogger } from '../../src/observability/logger.ts';
import { prepareDemoEnvironment } from '../../src/services/demo/demo-environment.ts';
import { ensureDemoAccounts } from '../../src/services/demo/demo-accounts.ts';
import { demoPeople } from '../../src/services/demo/demo-people.ts';
import { driveDemo, serverTicks, type DemoView } from '../../src/services/demo/demo-driver.ts';
import { resolveChain } from '../../src/services/conditions/resolve-chain.ts';
import { createTestDatabase } from '../helpers/db.ts';

const FIXING = 'data_reprocessing_prompt_fix';

test('when two buckets go through the loop, then the second calibration reads the fixing tag first and the fix reaches the first bucket\'s reprocessing', { timeout: 15 * 60_000 }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'calibloop-e2e-'));
  const env = prepareDemoEnvironment({ home, baseEnv: { PATH: process.env.PATH ?? '' } });
  const config = loadAppConfig({ ...env.env, PORT: '0', LOG_LEVEL: 'info' });
  const clock = new ManualClock('2026-11-01T00:00:00Z');
  const db = await createTestDatabase();
  const deps = await createDeps(config, { db, clock, logger: createMemoryLogger() });
  const server = await startServer(deps, { port: 0, host: '127.0.0.1', scheduler: false });
  const lines: string[] = [];
  try {
    const accounts = await ensureDemoAccounts(deps, env.demo);
    const started = Date.now();
    const moveTime = (view: DemoView) => {
      // a few seconds pass per round (retry backoffs, early closes); a fix window with its fix in jumps to its end
      clock.advance(5_000);
      for (const b of view.buckets) {
        if (b.stage === 'fix_window' && b.window?.state === 'open' && b.fixes.some((f) => f.state === 'approved')) {
          clock.set(new Date(b.window.deadline.getTime() + 1000));
        }
      }
    };
    const outcome = await driveDemo({
      deps,
      ticks: serverTicks(deps, server),
      demo: env.demo,
      dirs: { raw: env.paths.raw, runlists: env.paths.runlists },
      people: demoPeople(server.url, accounts),
      manager: accounts.manager,
      expert: accounts.expert,
      say: (l) => lines.push(l),
      pauseMs: 100,
      beforeTicks: moveTime,
      shouldStop: () => Date.now() - started > 13 * 60_000,
      startedAt: started,
    });
    assert.equal(outcome.status, 'complete', `${outcome.summary}\n${lines.slice(-30).join('\n')}`);

    const [b1, b2] = await deps.prisma.bucket.findMany({ orderBy: { firstRun: 'asc' } });
    assert.deepEqual([b1.stage, b2.stage], ['done', 'done']);
    const fix = await deps.prisma.fix.findFirstOrThrow({ where: { state: 'approved' } });
    assert.equal(fix.submittedBy, 'demo_ecl_expert');
    assert.equal(fix.decidedBy, 'demo_manager');

    // the second bucket's calibration: the fixing tag first in its recorded chain ...
    const cal2 = await deps.prisma.calibrationRun.findFirstOrThrow({ where: { bucketId: b2.id, calibration: 'ecl_energy' }, include: { iterations: true } });
    assert.equal(cal2.tagChain[0], FIXING);
    assert.ok(cal2.iterations.length > 0 && cal2.iterations.every((i) => i.tagChain[0] === FIXING));
    const calJob = await deps.prisma.job.findFirstOrThrow({ where: { calibrationRunId: cal2.id } });
    assert.equal(calJob.tagChain[0], FIXING);
    // ... and that chain resolves the fixed payload from the fixing tag for the runs it covers
    const resolved = await resolveChain(deps, { tags: cal2.tagChain, exp: 12, run: b1.firstRun });
    const ecl = resolved.payloads.find((p) => p.name === 'ECLCrystalEnergyScale')!;
    assert.equal(ecl.tag, FIXING);
    assert.equal(ecl.revision, fix.revision);

    // the fix is in bucket 1's blessed final tag and its reprocessing read it; prompt processing read the snapshot's
    const final1 = await resolveChain(deps, { tags: ['data_reprocessing_prompt_e12_bucket1'], exp: 12, run: b1.firstRun });
    assert.equal(final1.payloads.find((p) => p.name === 'ECLCrystalEnergyScale')!.revision, fix.revision);
    const conditionsOf = (logPath: string | null) => {
      const last = readFileSync(logPath!, 'utf8').trim().split('\n').reverse().find((l) => l.startsWith('{"'));
      return (JSON.parse(last!) as { conditions: Record<string, number> }).conditions;
    };
    const reproJob = await deps.prisma.job.findFirstOrThrow({ where: { bucketId: b1.id, step: 'reprocessing_mdst', state: 'succeeded' } });
    assert.equal(conditionsOf(reproJob.logPath).ECLCrystalEnergyScale, fix.revision);
    const promptJob = await deps.prisma.job.findFirstOrThrow({ where: { bucketId: b1.id, step: 'prompt_mdst', state: 'succeeded' } });
    assert.notEqual(conditionsOf(promptJob.logPath).ECLCrystalEnergyScale, fix.revision);

    // both campaigns finished with the blessed tags, and the people's actions are audited under the demo accounts
    const campaigns = await deps.prisma.reprocessingCampaign.findMany({ orderBy: { id: 'asc' } });
    assert.deepEqual(campaigns.map((c) => [c.state, c.tagName, c.launchedBy]), [
      ['finished', 'data_reprocessing_prompt_e12_bucket1', 'demo_manager'],
      ['finished', 'data_reprocessing_prompt_e12_bucket2', 'demo_manager'],
    ]);
    const actions = await deps.prisma.auditEvent.findMany({ where: { actor: 'demo_manager' }, select: { action: true } });
    for (const a of ['fix.approve', 'bucket.stage.blessed', 'campaign.launch', 'window.close']) assert.ok(actions.some((x) => x.action === a), `${a} audited as demo_manager`);
  } finally {
    await server.close();
    await deps.executor.close();
    await db.close();
    rmSync(home, { recursive: true, force: true });
  }
});
