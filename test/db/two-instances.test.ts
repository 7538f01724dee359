/**
 * Two calibloop servers on one database (PostgreSQL in CI's second pass): both serve the API, and a scheduled tick
 * claimed by one is not run by the other while the first holds it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios from 'axios';
import { loadAppConfig } from '../../src/config/app-config.ts';
import { createDeps } from '../../src/bootstrap.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { Scheduler } from '../../src/scheduler/scheduler.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { createMemoryLogger } from '../../src/observability/logger.ts';
import type { Deps } from '../../src/deps.ts';
import { createTestDatabase } from '../helpers/db.ts';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
const home = mkdtempSync(join(tmpdir(), 'calibloop-two-'));
const instances: { deps: Deps; server: RunningServer }[] = [];

before(async () => {
  db = await createTestDatabase();
  const clock = new ManualClock();
  for (const id of ['instance-a', 'instance-b']) {
    const config = loadAppConfig({ CALIBLOOP_HOME: join(home, id), PORT: '0', CALIBLOOP_SCHEDULER: 'off', CALIBLOOP_INSTANCE_ID: id });
    const deps = await createDeps(config, { db, clock, logger: createMemoryLogger() });
    instances.push({ deps, server: await startServer(deps, { port: 0, host: '127.0.0.1', scheduler: false }) });
  }
});
after(async () => {
  for (const i of instances) await i.server.close();
  for (const i of instances) await i.deps.executor.close();
  await db.close();
  rmSync(home, { recursive: true, force: true });
});

test('when a token is made through one instance, then the other accepts it: both serve the same state', async () => {
  const [a, b] = instances;
  const { createToken } = await import('../../src/services/identity/tokens.ts');
  const { SYSTEM_ACTOR } = await import('../../src/domain/roles.ts');
  const admin = await createToken(a.deps.prisma, a.deps.clock, SYSTEM_ACTOR, { user: 'root-admin', role: 'admin' });
  const made = await axios.post(`${a.server.url}/api/v1/tokens`, { user: 'eve', role: 'calibration_manager' }, { headers: { Authorization: `Bearer ${admin.token}` } });
  assert.equal(made.status, 201);
  const who = await axios.get(`${b.server.url}/api/v1/whoami`, { headers: { Authorization: `Bearer ${made.data.token}` } });
  assert.equal(who.data.user, 'eve');
  for (const i of instances) assert.equal((await axios.get(`${i.server.url}/readyz`)).status, 200);
});

test('when both instances fire the same tick at once, then it runs in one of them only, and is recorded once', async () => {
  const [a, b] = instances;
  let runs = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const probe = (who: string) => ({
    name: 'two-instance-probe',
    cron: '0 0 1 1 *',
    run: async () => {
      runs++;
      await gate; // hold the claim while the other instance tries
      return who;
    },
  });
  const sa = new Scheduler(a.deps, [probe('a')]);
  const sb = new Scheduler(b.deps, [probe('b')]);
  const first = sa.runOnce('two-instance-probe');
  // wait until A holds the claim, then let B try
  for (let i = 0; i < 500 && runs === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(runs, 1);
  const second = await sb.runOnce('two-instance-probe');
  assert.deepEqual(second, { ran: false });
  release();
  assert.deepEqual(await first, { ran: true, result: 'a' });
  assert.equal(runs, 1);
  const row = await a.deps.prisma.schedule.findUnique({ where: { name: 'two-instance-probe' } });
  assert.ok(row?.lastRunAt, 'lastRunAt recorded');
  assert.equal(row?.lockedBy, null, 'claim released');
  await sa.stop();
  await sb.stop();
});

test('when both instances run every real tick concurrently on an empty database, then none fails', async () => {
  const [a, b] = instances;
  const names = ['run-sources', 'bucket-policy', 'production', 'jobs', 'calibration-plan', 'calibration-advance', 'calibration-finalise', 'loop-prompt', 'loop-fix-windows', 'loop-campaigns', 'loop-notifications'];
  const outcomes = await Promise.all(names.flatMap((n) => [a.server.scheduler.runOnce(n), b.server.scheduler.runOnce(n)]));
  for (const o of outcomes) assert.equal(o.error, undefined, JSON.stringify(o));
  assert.ok(outcomes.some((o) => o.ran));
});
