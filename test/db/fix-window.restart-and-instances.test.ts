/**
 * The fix window survives a restart with its stored deadline, is caught up after downtime, and two server instances
 * on one database (two pools on PostgreSQL in CI) close it exactly once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/domain/clock.ts';
import { closeExpiredWindows } from '../../src/services/loop/close-expired-windows.ts';
import { seedBucket, ensureRunningTag, startAppOn, persistentDatabase } from '../helpers/loop-fixtures.ts';

const H = 3600_000;

test('when the server restarts in the middle of the window, then it resumes with the same deadline and the first tick after downtime closes it', async () => {
  const store = await persistentDatabase();
  const clock = new ManualClock('2026-11-01T00:00:00Z');
  try {
    const db1 = await store.open();
    const a = await startAppOn(db1, clock);
    await seedBucket(a.deps.prisma, { firstRun: 1, lastRun: 4, stage: 'prompt_processing' });
    await ensureRunningTag(a.deps);
    await a.server.scheduler.runOnce('loop-prompt');
    const manager = await a.tokenFor('calibration_manager');
    const opened = (await a.as(manager).get('/windows/e12_bucket1')).data;
    assert.equal(opened.deadline, '2026-11-03T00:00:00.000Z');
    await a.close();
    await db1.close();

    // 20 h later a new process starts on the same database
    clock.advance(20 * H);
    const db2 = await store.open();
    const b = await startAppOn(db2, clock);
    const token = await b.tokenFor('calibration_manager');
    await b.server.scheduler.runOnce('loop-fix-windows');
    const resumed = (await b.as(token).get('/windows/e12_bucket1')).data;
    assert.equal(resumed.state, 'open');
    assert.equal(resumed.deadline, opened.deadline, 'same deadline after the restart');
    assert.equal(resumed.remainingS, 28 * 3600);
    await b.close();
    await db2.close();

    // down across the deadline: the first tick of the next start closes it, saying it was late
    clock.advance(40 * H);
    const db3 = await store.open();
    const c = await startAppOn(db3, clock);
    const t3 = await c.tokenFor('calibration_manager');
    await c.server.scheduler.runOnce('loop-fix-windows');
    const closed = (await c.as(t3).get('/windows/e12_bucket1')).data;
    assert.equal(closed.state, 'closed');
    assert.equal(closed.deadline, opened.deadline);
    assert.match(closed.closeReason, /expired at 2026-11-03T00:00:00.000Z, closed 720 min late/);
    await c.close();
    await db3.close();
  } finally {
    await store.dispose();
  }
});

test('when two server instances run the window tick at once after the deadline, then the window is closed exactly once', async () => {
  const store = await persistentDatabase();
  const clock = new ManualClock('2026-11-01T00:00:00Z');
  const dbA = await store.open();
  // PGlite belongs to one process: two instances share its connection; PostgreSQL gets a second pool.
  const dbB = process.env.DATABASE_URL ? await store.open() : dbA;
  const a = await startAppOn(dbA, clock, { CALIBLOOP_INSTANCE_ID: 'instance-a' });
  const b = await startAppOn(dbB, clock, { CALIBLOOP_INSTANCE_ID: 'instance-b' });
  try {
    for (let seq = 1; seq <= 3; seq++) await seedBucket(a.deps.prisma, { seq, firstRun: seq * 10, lastRun: seq * 10 + 3, stage: 'prompt_processing' });
    await ensureRunningTag(a.deps);
    await a.server.scheduler.runOnce('loop-prompt');
    assert.equal(await a.deps.prisma.fixWindow.count({ where: { state: 'open' } }), 3);
    // both instances have been running for a while (their schedule rows exist) when the deadline passes
    await a.server.scheduler.runOnce('loop-fix-windows');
    await b.server.scheduler.runOnce('loop-fix-windows');
    clock.advance(49 * H);
    // the scheduler's claim lets one instance run the tick at a time ...
    const ticks = await Promise.all([a.server.scheduler.runOnce('loop-fix-windows'), b.server.scheduler.runOnce('loop-fix-windows')]);
    assert.ok(ticks.some((t) => t.ran));
    // ... and the compare-and-set on the window settles a race of the services themselves
    const direct = await Promise.all([closeExpiredWindows(a.deps), closeExpiredWindows(b.deps), closeExpiredWindows(a.deps)]);
    const closedByTicks = ticks.flatMap((t) => ((t.result as { closed?: string[] } | undefined)?.closed ?? []));
    const closedDirect = direct.flatMap((d) => d.closed);
    assert.equal(closedByTicks.length + closedDirect.length, 3, 'each of the three windows closed once');
    assert.equal(await a.deps.prisma.fixWindow.count({ where: { state: 'closed' } }), 3);
    assert.equal(await a.deps.prisma.auditEvent.count({ where: { action: 'window.close' } }), 3);
    assert.equal(await a.deps.prisma.notification.count({ where: { kind: 'window_closed' } }), 3);
  } finally {
    await a.close();
    await b.close();
    await dbA.close();
    if (dbB !== dbA) await dbB.close();
    await store.dispose();
  }
});
