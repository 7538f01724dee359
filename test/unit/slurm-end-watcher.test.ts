/**
 * The Slurm end watcher's parts that need no cluster: squeue's task-range names, and what the watcher does while
 * squeue fails — a real failure (the tools are not where it looks), no fake squeue. Its reaction to real job ends is
 * tested against a real Slurm in test/slurm/slurm-end-watcher.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SlurmCli, TaskSet } from '../../src/executors/slurm-cli.ts';
import { LIVE_SLURM_STATES, SlurmEndWatcher } from '../../src/executors/slurm-end-watcher.ts';
import { SLURM_STATE_TABLE } from '../../src/domain/slurm-states.ts';
import { createMemoryLogger } from '../../src/observability/logger.ts';
import { loadAppConfig } from '../../src/config/app-config.ts';
import { loadSlurmExecutorOptions } from '../../src/config/slurm-config.ts';

describe('Slurm end watcher', () => {
  it('when squeue names pending tasks by ranges, then the task set answers for each task', () => {
    const s = new TaskSet();
    for (const id of ['12_[2-5,9,20-26:3%4]', '12_0', '13_7', 'garbage', '', '14_[]']) s.addSqueueId(id);
    const tasks12 = [...Array(30).keys()].filter((t) => s.has('12', t));
    assert.deepEqual(tasks12, [0, 2, 3, 4, 5, 9, 20, 23, 26]);
    assert.ok(s.has('13', 7));
    assert.ok(!s.has('13', 0));
    assert.ok(!s.has('14', 0));
    assert.ok(!s.has('99', 0));
  });

  it('when the live states are derived, then they are exactly the states the table maps to queued or running', () => {
    assert.ok(LIVE_SLURM_STATES.includes('PENDING') && LIVE_SLURM_STATES.includes('RUNNING') && LIVE_SLURM_STATES.includes('COMPLETING'));
    for (const [state, row] of Object.entries(SLURM_STATE_TABLE)) {
      assert.equal(LIVE_SLURM_STATES.includes(state), row.state === 'queued' || row.state === 'running', state);
    }
  });

  it('when squeue keeps failing, then the watcher warns once, backs off and fires nothing', async () => {
    const logger = createMemoryLogger();
    const broken = new SlurmCli({ binDir: '/nonexistent/slurm/bin' });
    const watcher = new SlurmEndWatcher((arrays) => broken.tasksInStates(arrays, LIVE_SLURM_STATES), { intervalMs: 50, maxBackoffMs: 400, logger });
    let ended = 0;
    watcher.onEnded(() => ended++);
    watcher.watch(['100_0', '100_1', '101_0', 'not-a-task']);
    assert.equal(watcher.size, 3, 'only array task ids are watched');
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    const elapsed = Date.now() - t0;
    const calls = watcher.calls;
    // 50, 100, 200, 400, 400, ... ms apart: without backoff 1.5 s would be ~30 calls
    assert.ok(calls >= 2 && calls <= Math.ceil(elapsed / 400) + 4, `${calls} calls in ${elapsed} ms`);
    assert.equal(ended, 0, 'a failing squeue says nothing about job ends');
    assert.equal(watcher.size, 3, 'the tasks stay watched');
    const warnings = logger.lines.filter((l) => l.level === 'warn' && /squeue for job ends failed/.test(String(l.message)));
    assert.equal(warnings.length, 1, 'one warning per streak of failures');
    assert.match(String(warnings[0]!.error), /not installed/);
    await watcher.close();
    const closedAt = watcher.calls;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(watcher.calls, closedAt, 'closed: no more calls');
  });

  it('when nobody listens or the interval is 0, then squeue is never called', async () => {
    const cli = new SlurmCli({ binDir: '/nonexistent/slurm/bin' });
    const list = (arrays: string[]) => cli.tasksInStates(arrays, LIVE_SLURM_STATES);
    const nobody = new SlurmEndWatcher(list, { intervalMs: 20 });
    nobody.watch(['1_0']);
    const off = new SlurmEndWatcher(list, { intervalMs: 0 });
    off.onEnded(() => undefined);
    off.watch(['1_0']);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual([nobody.calls, off.calls], [0, 0]);
    await Promise.all([nobody.close(), off.close()]);
  });

  it('when CALIBLOOP_SLURM_END_POLL_S is set, then the executor gets its interval; default 2 s, 0 is off, negative is refused', () => {
    const config = loadAppConfig({ CALIBLOOP_HOME: '/tmp/calibloop-unused', PORT: '0' });
    assert.equal(loadSlurmExecutorOptions(config, {}).endPollIntervalMs, 2000);
    assert.equal(loadSlurmExecutorOptions(config, { CALIBLOOP_SLURM_END_POLL_S: '0.5' }).endPollIntervalMs, 500);
    assert.equal(loadSlurmExecutorOptions(config, { CALIBLOOP_SLURM_END_POLL_S: '0' }).endPollIntervalMs, 0);
    assert.throws(() => loadSlurmExecutorOptions(config, { CALIBLOOP_SLURM_END_POLL_S: '-1' }), /CALIBLOOP_SLURM_END_POLL_S/);
  });
});
