/**
 * The Slurm executor's end watcher against a real Slurm: it fires `onJobEnded` when a task leaves the live states,
 * asks with one squeue per interval whatever the number of tasks and arrays, stops asking when nothing is live, and
 * picks up after squeue failed. Skipped unless CALIBLOOP_TEST_SLURM=1.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobSpec } from '../../src/executors/executor.ts';
import { SlurmExecutor } from '../../src/executors/slurm-executor.ts';
import { SlurmCli, type SlurmCommand } from '../../src/executors/slurm-cli.ts';
import { LIVE_SLURM_STATES, SlurmEndWatcher } from '../../src/executors/slurm-end-watcher.ts';
import { createMemoryLogger } from '../../src/observability/logger.ts';

const enabled = process.env.CALIBLOOP_TEST_SLURM === '1';
const skip = enabled ? false : 'Slurm tests skipped: set CALIBLOOP_TEST_SLURM=1 on a machine with a running Slurm (bash .ci/slurm-up.sh)';
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'lost']);

let base = '';
let seq = 0;
function spec(command: string[]): JobSpec {
  const workDir = join(base, 'jobs', `w${seq++}`);
  mkdirSync(workDir, { recursive: true });
  return { key: `slurm-watch-${process.pid}-${seq}`, command, workDir, logPath: join(workDir, 'job.log'), memoryMb: 64, timeLimitS: 120 };
}
async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(() => {
  if (enabled) base = mkdtempSync(join(process.env.CALIBLOOP_TEST_SLURM_DIR ?? tmpdir(), 'calibloop-slurm-watch-'));
});
after(() => {
  if (enabled) rmSync(base, { recursive: true, force: true });
});

describe('Slurm end watcher on a real Slurm', { skip }, () => {
  it('when tasks of several arrays are live, then one squeue per interval covers them all and an end fires the listeners', async () => {
    const ex = new SlurmExecutor({ stateDir: join(base, 'state'), endPollIntervalMs: 500 });
    // count the squeue processes really started (the executor's own CLI, real squeue behind it)
    const watcherSqueues: string[][] = [];
    const run = ex.cli.run.bind(ex.cli);
    ex.cli.run = (cmd: SlurmCommand, args, allowFailure, env) => {
      // poll asks --states=all; the watcher only the live states
      if (cmd === 'squeue' && args.some((a) => a.startsWith('--states=') && a !== '--states=all')) watcherSqueues.push(args);
      return run(cmd, args, allowFailure, env);
    };
    const events: Array<{ at: number; squeues: number }> = [];
    ex.onJobEnded(() => events.push({ at: Date.now(), squeues: watcherSqueues.length }));
    try {
      const t0 = Date.now();
      // the short job last: the call that sees it end necessarily came after all three arrays were submitted
      const long = [...(await ex.submit(Array.from({ length: 5 }, () => spec(['sleep', '300'])))), ...(await ex.submit([spec(['sleep', '300'])]))];
      const short = await ex.submit([spec(['sleep', '1'])]);
      await until('the short job end to fire the listener', () => events.length > 0, 60_000);
      const firstEvent = events[0]!;
      assert.equal(ex.endWatcherCalls, watcherSqueues.length, 'one squeue process per watcher call');
      const st = await ex.poll(short);
      assert.ok(TERMINAL.has(st.get(short[0]!)!.state), `the event follows the end: ${st.get(short[0]!)!.state}`);
      // three arrays, seven tasks: each call asked about every array at once
      const callsBefore = watcherSqueues.slice(0, firstEvent.squeues);
      assert.ok(callsBefore.length >= 1);
      // the last call before the event saw all three arrays; earlier ones those submitted by then
      const jobs = callsBefore.at(-1)![callsBefore.at(-1)!.indexOf('--jobs') + 1]!.split(',');
      assert.equal(jobs.length, 3, `one squeue for all arrays: ${jobs.join(',')}`);
      const elapsed = firstEvent.at - t0;
      assert.ok(callsBefore.length <= Math.ceil(elapsed / 500) + 2, `${callsBefore.length} squeue calls in ${elapsed} ms: one per interval, not one per task`);

      // the long jobs end (cancelled): another event; then nothing is live and the watcher stops asking
      const before = events.length;
      await ex.cancel(long);
      await until('the cancellations to fire the listener', () => events.length > before, 60_000);
      await until('every long task to have ended in Slurm', async () => [...(await ex.poll(long)).values()].every((s) => TERMINAL.has(s.state)), 60_000);
      await new Promise((r) => setTimeout(r, 1500)); // an ending might still be in flight
      const calls = ex.endWatcherCalls;
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal(ex.endWatcherCalls, calls, 'nothing live: no squeue calls');
    } finally {
      await ex.close();
    }
  });

  it('when squeue failed for a while, then the watcher picks up and reports the ends it missed', async () => {
    const ex = new SlurmExecutor({ stateDir: join(base, 'state') });
    const [id] = await ex.submit([spec(['true'])]);
    const logger = createMemoryLogger();
    const broken = new SlurmCli({ binDir: '/nonexistent/slurm/bin' });
    let failing = true; // injected failure: the tools are missing until we say so
    const watcher = new SlurmEndWatcher((arrays) => (failing ? broken : ex.cli).tasksInStates(arrays, LIVE_SLURM_STATES), { intervalMs: 200, maxBackoffMs: 800, logger });
    let ended = 0;
    watcher.onEnded(() => ended++);
    watcher.watch([id!]);
    try {
      await until('the job to end in Slurm', async () => TERMINAL.has((await ex.poll([id!])).get(id!)!.state), 60_000);
      await until('a few failed calls', () => watcher.calls >= 3, 20_000);
      assert.equal(ended, 0);
      failing = false;
      await until('the missed end to be reported', () => ended > 0, 30_000);
      assert.equal(watcher.size, 0);
      assert.equal(logger.lines.filter((l) => /squeue for job ends failed/.test(String(l.message))).length, 1);
      assert.ok(logger.lines.some((l) => /answers again/.test(String(l.message))));
    } finally {
      await watcher.close();
      await ex.close();
    }
  });
});
