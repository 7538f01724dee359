/**
 * The job engine reacts to a Slurm job's end at once (issue 12): the Slurm executor's end watcher sees the job leave
 * squeue's live states and fires `onJobEnded`, wired to the jobs tick exactly as `src/server.ts` wires it. Real Slurm,
 * real database, the real scheduler with the real jobs tick. Skipped unless CALIBLOOP_TEST_SLURM=1.
 *
 * The jobs tick's own firing is set to once a year, and the scheduler runs only that tick (in the server, ticks that
 * may create jobs also trigger it), so nothing but the executor's event can run the tick that submits the second job:
 * the assertions are about that mechanism, not about speed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig } from '../../src/config/app-config.ts';
import { createDeps } from '../../src/bootstrap.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { createMemoryLogger } from '../../src/observability/logger.ts';
import { SlurmExecutor } from '../../src/executors/slurm-executor.ts';
import { Scheduler } from '../../src/scheduler/scheduler.ts';
import { allTicks, JOB_ENGINE_TICK } from '../../src/scheduler/ticks.ts';
import { createJobs } from '../../src/services/jobs/create-jobs.ts';
import type { Deps } from '../../src/deps.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { testProduction, waitFor } from '../helpers/production-support.ts';

const enabled = process.env.CALIBLOOP_TEST_SLURM === '1';
const skip = enabled ? false : 'Slurm tests skipped: set CALIBLOOP_TEST_SLURM=1 on a machine with a running Slurm (bash .ci/slurm-up.sh)';

let home = '';
let deps: Deps;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let ex: SlurmExecutor;

before(async () => {
  if (!enabled) return;
  home = mkdtempSync(join(process.env.CALIBLOOP_TEST_SLURM_DIR ?? tmpdir(), 'calibloop-slurm-engine-'));
  const config = loadAppConfig({ CALIBLOOP_HOME: home, PORT: '0', CALIBLOOP_SCHEDULER: 'off' });
  const production = testProduction(join(home, 'config'), home, {
    jobs: { max_in_flight: 1 },
    schedule: { jobs: '0 0 0 1 1 *' },
  });
  ex = new SlurmExecutor({ stateDir: join(home, 'slurm'), endPollIntervalMs: 1000 });
  db = await createTestDatabase();
  // the real clock: submittedAt and Slurm's end times are compared
  deps = await createDeps(config, { db, clock: systemClock, logger: createMemoryLogger(), production, executor: ex });
});
after(async () => {
  if (!enabled) return;
  await ex.close();
  await db.close();
  rmSync(home, { recursive: true, force: true });
});

describe('job engine on Slurm', { skip }, () => {
  it('when a Slurm job ends, then the next job is submitted at once, not at the next firing of the jobs tick', async () => {
    const scheduler = new Scheduler(deps, allTicks(deps).filter((t) => t.name === JOB_ENGINE_TICK));
    deps.executor.onJobEnded?.(() => scheduler.trigger(JOB_ENGINE_TICK)); // as src/server.ts
    scheduler.start();
    try {
      // one slot (max_in_flight 1): the second job can only go in once the engine has recorded the first one's end
      await createJobs(deps, [
        { idempotencyKey: `engine-a-${process.pid}`, step: 'test', command: ['sleep', '3'], memoryMb: 100, timeLimitS: 120, priority: 2 },
        { idempotencyKey: `engine-b-${process.pid}`, step: 'test', command: ['sleep', '1'], memoryMb: 100, timeLimitS: 120, priority: 1 },
      ]);
      scheduler.trigger(JOB_ENGINE_TICK); // as after the tick that created them
      const jobA = () => deps.prisma.job.findFirstOrThrow({ where: { idempotencyKey: `engine-a-${process.pid}` } });
      const jobB = () => deps.prisma.job.findFirstOrThrow({ where: { idempotencyKey: `engine-b-${process.pid}` } });
      const a = await waitFor('the first job submitted', async () => ((await jobA()).executorJobId ? jobA() : undefined), { timeoutMs: 60_000 });
      assert.equal((await jobB()).executorJobId, null, 'one slot: the second job waits');

      const b = await waitFor('the second job submitted', async () => ((await jobB()).submittedAt ? jobB() : undefined), { timeoutMs: 90_000, intervalMs: 200 });
      const aDone = await jobA();
      assert.equal(aDone.state, 'succeeded', `first job: ${aDone.state} ${aDone.errorMessage ?? ''}`);
      // Slurm's own end time of the first job (squeue EndTime, whole seconds; the exit file once slurmctld forgot it)
      const slurmEnd = (await ex.poll([a.executorJobId!])).get(a.executorJobId!)!.finishedAt;
      assert.ok(slurmEnd, 'Slurm knows when the first job ended');
      const submittedB = b.submittedAt!.getTime();
      // causal order: the first job ended in Slurm, the engine recorded it, then it submitted the second
      assert.ok(slurmEnd.getTime() <= submittedB + 1000, `B submitted ${submittedB - slurmEnd.getTime()} ms after A ended`);
      assert.ok(aDone.finishedAt!.getTime() <= submittedB, 'the first job was recorded finished before the second was submitted');
      // the jobs tick fires once a year: only the end watcher's event can have run the tick that submitted B
      const gapMs = submittedB - slurmEnd.getTime();
      assert.ok(gapMs < 30_000, `the second job went in ${gapMs} ms after the first ended (a tick every 60 s or more could not)`);
      assert.ok(ex.endWatcherCalls >= 1, 'the end watcher asked squeue');
      console.log(`# second job submitted ${gapMs} ms after Slurm ended the first (end watcher: ${ex.endWatcherCalls} squeue calls)`);
    } finally {
      await scheduler.stop();
    }
  });
});
