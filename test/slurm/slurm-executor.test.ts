/**
 * The Slurm executor against a real Slurm (one node is enough: `.ci/slurm-up.sh`). Skipped unless
 * CALIBLOOP_TEST_SLURM=1. The node-failure test stops and restarts slurmd, so it needs root and runs last, alone.
 *
 * Timing on the CI cluster (.ci/slurm-up.sh): the time limit is checked about every 30 s, so a 1-minute limit ends
 * the job 60–90 s after it started; a stopped slurmd makes the node DOWN after SlurmdTimeout=20 s plus a ping.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { ExecutorStatus, JobSpec } from '../../src/executors/executor.ts';
import { SlurmExecutor } from '../../src/executors/slurm-executor.ts';

const run = promisify(execFile);
const enabled = process.env.CALIBLOOP_TEST_SLURM === '1';
const skip = enabled ? false : 'Slurm tests skipped: set CALIBLOOP_TEST_SLURM=1 on a machine with a running Slurm (bash .ci/slurm-up.sh)';
if (!enabled) console.log(`# ${skip}`);

const TOOLKIT = resolve(import.meta.dirname, '../../toolkit/b2sim.mjs');
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'lost']);

let base = '';
let ex: SlurmExecutor;
let seq = 0;

function spec(command: string[], opts: Partial<JobSpec> = {}): JobSpec {
  const n = seq++;
  const workDir = join(base, 'jobs', `j${n}`);
  mkdirSync(workDir, { recursive: true });
  return { key: `slurm-test-${process.pid}-${n}`, command, workDir, logPath: join(workDir, 'job.log'), memoryMb: 300, timeLimitS: 120, ...opts };
}
const stress = (...args: string[]) => [process.execPath, TOOLKIT, 'stress', ...args];

/** Polls until every id satisfies `done` (bounded); returns the last statuses. */
async function waitFor(ids: string[], done: (s: ExecutorStatus) => boolean, timeoutMs: number, what: string): Promise<Map<string, ExecutorStatus>> {
  const deadline = Date.now() + timeoutMs;
  let last = new Map<string, ExecutorStatus>();
  for (;;) {
    last = await ex.poll(ids);
    if (ids.every((id) => last.get(id) && done(last.get(id)!))) return last;
    if (Date.now() > deadline) {
      const states = ids.map((id) => `${id}: ${last.get(id)?.state} ${last.get(id)?.detail ?? ''}`).join('; ');
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}: ${states}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
const finished = (ids: string[], timeoutMs = 60_000) => waitFor(ids, (s) => TERMINAL.has(s.state), timeoutMs, 'the jobs to finish');

async function nodeState(): Promise<string> {
  const { stdout } = await run('sinfo', ['-h', '-N', '-o', '%T']);
  return stdout.trim().split('\n')[0] ?? '';
}

before(() => {
  if (!enabled) return;
  base = mkdtempSync(join(process.env.CALIBLOOP_TEST_SLURM_DIR ?? tmpdir(), 'calibloop-slurm-'));
  ex = new SlurmExecutor({ stateDir: join(base, 'state') });
});
after(() => {
  if (enabled && process.env.CALIBLOOP_KEEP_TEST_DIRS !== '1') rmSync(base, { recursive: true, force: true });
});

describe('Slurm executor on a real Slurm', { skip, concurrency: true }, () => {
  it('when 20 jobs are submitted in one call, then they become one job array and all succeed', async () => {
    const specs = Array.from({ length: 20 }, (_, i) => spec(stress('--output', `out-${i}.json`), { memoryMb: 100 }));
    const ids = await ex.submit(specs);
    assert.equal(ids.length, 20);
    const arrays = new Set(ids.map((id) => id.split('_')[0]));
    assert.equal(arrays.size, 1, `one sbatch array, got ${[...arrays].join(',')}`);
    assert.deepEqual(ids.map((id) => Number(id.split('_')[1])), [...Array(20).keys()]);
    const st = await finished(ids, 120_000);
    for (const [i, id] of ids.entries()) {
      assert.equal(st.get(id)!.state, 'succeeded', `${id}: ${st.get(id)!.detail}`);
      assert.equal(st.get(id)!.exitCode, 0);
      assert.ok(st.get(id)!.startedAt && st.get(id)!.finishedAt);
      // each task ran its own argv in its own work dir
      assert.deepEqual(JSON.parse(readFileSync(join(specs[i]!.workDir, `out-${i}.json`), 'utf8')).exitCode, 0);
    }
  });

  it('when a batch mixes resources or exceeds the array size, then it is split into arrays and ids keep the order', async () => {
    const small = new SlurmExecutor({ stateDir: join(base, 'state'), maxArraySize: 5 });
    const specs = Array.from({ length: 12 }, (_, i) => spec(['/bin/sh', '-c', `echo ${i}`], { memoryMb: i % 2 ? 64 : 96 }));
    const ids = await small.submit(specs);
    // 6 + 6 jobs by memory, at most 5 per array: 4 arrays
    assert.equal(new Set(ids.map((id) => id.split('_')[0])).size, 4);
    const st = await finished(ids, 120_000);
    for (const [i, id] of ids.entries()) {
      assert.equal(st.get(id)!.state, 'succeeded', st.get(id)!.detail);
      assert.equal(await small.logs(id, specs[i]!.logPath), `${i}\n`);
    }
  });

  it('when a job succeeds, then it is succeeded with its log, env and work dir, and its exit file agrees', async () => {
    const s = spec(['/bin/sh', '-c', 'echo "hello $GREETING from $(pwd)"'], { env: { GREETING: "it's a\nmulti-line value" } });
    const [id] = await ex.submit([s]);
    const st = (await finished([id!])).get(id!)!;
    assert.equal(st.state, 'succeeded');
    assert.equal(st.reason, 'exit');
    const log = await ex.logs(id!, s.logPath);
    assert.equal(log, `hello it's a\nmulti-line value from ${s.workDir}\n`);
    // outcome survives slurmctld forgetting the job (MinJobAge, no accounting): the wrapper's exit file
    const fromFile = ex.statusFromExitFile(id!);
    assert.equal(fromFile.state, 'succeeded');
    assert.equal(fromFile.exitCode, 0);
  });

  it('when the program fails, then the job is failed/exit with the program exit code', async () => {
    const [id] = await ex.submit([spec(stress('--exit-code', '3'))]);
    const st = (await finished([id!])).get(id!)!;
    assert.equal(st.state, 'failed');
    assert.equal(st.reason, 'exit');
    assert.equal(st.exitCode, 3);
    assert.match(st.detail ?? '', /FAILED.*exit 3/);
    const fromFile = ex.statusFromExitFile(id!);
    assert.deepEqual([fromFile.state, fromFile.reason, fromFile.exitCode], ['failed', 'exit', 3]);
  });

  it('when a job exceeds its memory limit, then it is failed/out_of_memory', async () => {
    const s = spec(stress('--alloc-mb', '600', '--sleep-s', '5'), { memoryMb: 200 });
    const [id] = await ex.submit([s]);
    const st = (await finished([id!])).get(id!)!;
    assert.equal(st.state, 'failed', st.detail);
    assert.equal(st.reason, 'out_of_memory', st.detail);
    assert.match(await ex.logs(id!, s.logPath), /oom-kill|Killed|exceeded memory limit/);
  });

  it('when a job runs past its time limit, then it is failed/timeout', async () => {
    const s = spec(stress('--sleep-s', '300'), { timeLimitS: 60, memoryMb: 100 });
    const [id] = await ex.submit([s]);
    const st = (await waitFor([id!], (x) => TERMINAL.has(x.state), 150_000, 'the time limit')).get(id!)!;
    assert.equal(st.state, 'failed', st.detail);
    assert.equal(st.reason, 'timeout', st.detail);
    const ranS = (st.finishedAt!.getTime() - st.startedAt!.getTime()) / 1000;
    assert.ok(ranS >= 59 && ranS < 130, `ran ${ranS} s`);
    assert.match(await ex.logs(id!, s.logPath), /DUE TO TIME LIMIT/);
  });

  it('when a job is cancelled outside calibloop (scancel), then poll reports it cancelled from outside', async () => {
    const [id] = await ex.submit([spec(stress('--sleep-s', '300'), { memoryMb: 100 })]);
    await waitFor([id!], (x) => x.state === 'running' || TERMINAL.has(x.state), 60_000, 'the job to start');
    await run('scancel', [id!]);
    const st = (await finished([id!])).get(id!)!;
    assert.equal(st.state, 'cancelled');
    assert.equal(st.reason, 'cancelled');
    assert.match(st.detail ?? '', /outside calibloop/);
  });

  it('when calibloop cancels a job, then it is cancelled by calibloop and cancel is idempotent', async () => {
    const [id] = await ex.submit([spec(stress('--sleep-s', '300'), { memoryMb: 100 })]);
    await ex.cancel([id!]);
    await ex.cancel([id!]);
    const st = (await finished([id!])).get(id!)!;
    assert.equal(st.state, 'cancelled');
    assert.match(st.detail ?? '', /by calibloop/);
    // a new executor instance (server restart) still knows who cancelled it
    const again = (await new SlurmExecutor({ stateDir: join(base, 'state') }).poll([id!])).get(id!)!;
    assert.match(again.detail ?? '', /by calibloop/);
  });

  it('when an id is unknown to Slurm and left no exit file, then it is lost', async () => {
    const st = (await ex.poll(['987654321_0', 'not-an-id'])) as Map<string, ExecutorStatus>;
    assert.equal(st.get('987654321_0')!.state, 'lost');
    assert.equal(st.get('987654321_0')!.reason, 'lost');
    assert.equal(st.get('not-an-id')!.state, 'lost');
  });
});

describe('Slurm executor when Slurm takes the node away (alone: these affect every job on the node)', { skip }, () => {
  it('when a higher-priority partition pre-empts a job, then it is failed/preempted', async (t) => {
    const { stdout: parts } = await run('sinfo', ['-h', '-o', '%P']);
    if (!parts.split('\n').includes('urgent')) return t.skip('no partition "urgent" with pre-emption (.ci/slurm-up.sh makes one)');
    const [id] = await ex.submit([spec(stress('--sleep-s', '300'), { memoryMb: 100 })]);
    await waitFor([id!], (x) => x.state === 'running', 60_000, 'the job to start');
    // someone else's urgent job that needs the whole node
    const { stdout: urgent } = await run('sbatch', ['--parsable', '-p', 'urgent', '--mem=0', '--time=1', '-o', '/dev/null', '--wrap', 'sleep 1']);
    try {
      const st = (await finished([id!])).get(id!)!;
      assert.equal(st.state, 'failed', st.detail);
      assert.equal(st.reason, 'preempted', st.detail);
    } finally {
      await run('scancel', [urgent.trim()]).catch(() => undefined);
    }
  });

  it('when slurmd is killed during a job, then the job is a node failure, and once slurmd is back a resubmission succeeds', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to stop and start slurmd');
    const s = spec(stress('--sleep-s', '600'), { memoryMb: 100, timeLimitS: 900 });
    const [id] = await ex.submit([s]);
    await waitFor([id!], (x) => x.state === 'running', 60_000, 'the job to start');
    const { stdout } = await run('scontrol', ['show', 'config']);
    const pidFile = /SlurmdPidFile\s*=\s*(\S+)/.exec(stdout)![1]!;
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    process.kill(pid, 'SIGKILL');
    try {
      const st = (await waitFor([id!], (x) => TERMINAL.has(x.state), 120_000, 'slurmctld to notice the node is gone')).get(id!)!;
      assert.equal(st.state, 'failed', st.detail);
      assert.equal(st.reason, 'node_failure', st.detail);
    } finally {
      await run('slurmd', []);
    }
    const deadline = Date.now() + 60_000;
    let node = await nodeState();
    while (!/^(idle|mixed|allocated)$/.test(node) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      node = await nodeState();
    }
    assert.match(node, /^(idle|mixed|allocated)$/, `node is ${node} after slurmd restarted`);
    // calibloop's retry: the same job, next attempt
    const [id2] = await ex.submit([{ ...s, key: `${s.key}-attempt2`, command: stress('--sleep-s', '1') }]);
    const st2 = (await finished([id2!], 90_000)).get(id2!)!;
    assert.equal(st2.state, 'succeeded', st2.detail);
  });
});
