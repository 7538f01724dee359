/**
 * A tick's ownership ends with its owner: a process that holds a tick is killed -9 mid-run, and another instance takes
 * the tick within seconds (PostgreSQL session advisory locks; the old lease made a successor wait minutes). PGlite
 * belongs to one process, so there the test only checks that one scheduler over the database excludes another.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig } from '../../src/config/app-config.ts';
import { createDeps } from '../../src/bootstrap.ts';
import { Scheduler } from '../../src/scheduler/scheduler.ts';
import { createMemoryLogger } from '../../src/observability/logger.ts';
import type { Deps } from '../../src/deps.ts';
import { createTestDatabase, usingPostgres } from '../helpers/db.ts';

const home = mkdtempSync(join(tmpdir(), 'calibloop-own-'));
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let deps: Deps;
after(async () => {
  await deps?.executor.close();
  await db?.close();
  rmSync(home, { recursive: true, force: true });
});

async function localDeps(): Promise<Deps> {
  db = await createTestDatabase();
  const config = loadAppConfig({ CALIBLOOP_HOME: home, CALIBLOOP_SCHEDULER: 'off', CALIBLOOP_INSTANCE_ID: 'survivor' });
  deps = await createDeps(config, { db, logger: createMemoryLogger() });
  return deps;
}

test('when the process running a tick is killed -9, then another instance runs that tick within seconds', { skip: !usingPostgres && 'PostgreSQL only (PGlite has one process)' }, async (t) => {
  const d = await localDeps();
  let runs = 0;
  const survivor = new Scheduler(d, [{ name: 'owned-probe', cron: '0 0 1 1 *', run: async () => ++runs }]);
  const holder = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/hold-tick.ts', db.url!, 'owned-probe'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout!.on('data', (b: Buffer) => b.toString().includes('holding') && resolve());
      holder.once('exit', (c) => reject(new Error(`holder exited ${c}`)));
    });
    assert.deepEqual(await survivor.runOnce('owned-probe'), { ran: false }, 'held by the live holder');
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    const killedAt = Date.now();
    let outcome = await survivor.runOnce('owned-probe');
    while (!outcome.ran && Date.now() - killedAt < 30_000) {
      await new Promise((r) => setTimeout(r, 50));
      outcome = await survivor.runOnce('owned-probe');
    }
    const tookOverMs = Date.now() - killedAt;
    assert.deepEqual(outcome, { ran: true, result: 1 });
    t.diagnostic(`took over ${tookOverMs} ms after the kill`);
    assert.ok(tookOverMs <= 5_000, `took over after ${tookOverMs} ms`);
  } finally {
    holder.kill('SIGKILL');
    await survivor.stop();
  }
});

test('when one scheduler runs a tick, then a second scheduler over the same database does not run it meanwhile', async () => {
  const d = deps ?? (await localDeps());
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const one = new Scheduler(d, [{ name: 'excl-probe', cron: '0 0 1 1 *', run: () => gate.then(() => 'one') }]);
  const two = new Scheduler(d, [{ name: 'excl-probe', cron: '0 0 1 1 *', run: async () => 'two' }]);
  const first = one.runOnce('excl-probe');
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await two.runOnce('excl-probe'), { ran: false });
  release();
  assert.deepEqual(await first, { ran: true, result: 'one' });
  assert.deepEqual(await two.runOnce('excl-probe'), { ran: true, result: 'two' }, 'free again once the first is done');
  await one.stop();
  await two.stop();
});
