import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalExecutor } from '../../src/executors/local-executor.ts';
import type { JobSpec } from '../../src/executors/executor.ts';
import { TOOLKIT, waitFor } from '../helpers/production-support.ts';

const root = mkdtempSync(join(tmpdir(), 'local-exec-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function spec(args: string[], o: Partial<JobSpec> = {}): JobSpec {
  const dir = join(root, `job${++n}`);
  return { key: `test/${n}#a1`, command: [process.execPath, TOOLKIT, 'stress', ...args], workDir: dir, memoryMb: 2048, timeLimitS: 60, logPath: join(dir, 'job.log'), ...o };
}

const starts = (id: string) => (existsSync(join(id, '.starts')) ? readFileSync(join(id, '.starts'), 'utf8').trim().split('\n').length : 0);

async function final(ex: LocalExecutor, id: string) {
  return waitFor(`job ${id} to end`, async () => {
    const s = (await ex.poll([id])).get(id)!;
    return ['succeeded', 'failed', 'cancelled', 'lost'].includes(s.state) ? s : undefined;
  });
}

test('when a job exits 0, then poll reports succeeded with its times, the log holds its summary, and it started once', async () => {
  const ex = new LocalExecutor({ concurrency: 2 });
  const out = join(root, 'out1.txt');
  const [id] = await ex.submit([spec(['--output', out])]);
  const s = await final(ex, id);
  assert.equal(s.state, 'succeeded');
  assert.equal(s.exitCode, 0);
  assert.ok(s.startedAt && s.finishedAt);
  assert.match(await ex.logs(id, join(id, 'job.log')), /"outputs"/);
  assert.ok(existsSync(out));
  assert.equal(starts(id), 1);
});

test('when more jobs are submitted than the concurrency limit, then at most that many run at once', async () => {
  const ex = new LocalExecutor({ concurrency: 2 });
  const ids = await ex.submit([0, 1, 2, 3].map(() => spec(['--sleep-s', '0.6'])));
  let maxRunning = 0;
  await waitFor('all four to finish', async () => {
    const st = await ex.poll(ids);
    const states = [...st.values()].map((s) => s.state);
    maxRunning = Math.max(maxRunning, states.filter((s) => s === 'running').length);
    return states.every((s) => s === 'succeeded');
  });
  assert.ok(maxRunning <= 2, `ran ${maxRunning} at once`);
  assert.ok(maxRunning >= 1);
  for (const id of ids) assert.equal(starts(id), 1);
});

test('when the same key is submitted again (a crash between claim and record), then the program does not start twice', async () => {
  const ex = new LocalExecutor({ concurrency: 2 });
  const s = spec(['--sleep-s', '0.3']);
  const [a] = await ex.submit([s]);
  const [b] = await ex.submit([s]);
  assert.equal(a, b);
  const again = new LocalExecutor({ concurrency: 2 });
  const [c] = await again.submit([s]);
  assert.equal(c, a);
  await final(ex, a);
  assert.equal(starts(a), 1);
});

test('when the executor is replaced (server restart), then the new one recovers running and queued jobs from their files', async () => {
  const first = new LocalExecutor({ concurrency: 1 });
  const ids = await first.submit([spec(['--sleep-s', '1']), spec(['--sleep-s', '0.2'])]);
  await waitFor('the first to run', async () => (await first.poll([ids[0]])).get(ids[0])!.state === 'running');
  await first.close(); // the old instance is gone: it starts nothing more
  const second = new LocalExecutor({ concurrency: 1 });
  const st = await second.poll(ids);
  assert.equal(st.get(ids[0])!.state, 'running');
  assert.equal(st.get(ids[1])!.state, 'queued');
  for (const id of ids) assert.equal((await final(second, id)).state, 'succeeded');
  for (const id of ids) assert.equal(starts(id), 1);
});

test('when a running job is cancelled, then it ends as cancelled; a queued one never starts', async () => {
  const ex = new LocalExecutor({ concurrency: 1 });
  const [a, b] = await ex.submit([spec(['--sleep-s', '30']), spec(['--sleep-s', '30'])]);
  await waitFor('a to run', async () => (await ex.poll([a])).get(a)!.state === 'running');
  await ex.cancel([b, a]);
  const fa = await final(ex, a);
  assert.equal(fa.state, 'cancelled', JSON.stringify(fa));
  assert.equal((await final(ex, b)).state, 'cancelled');
  assert.equal(starts(b), 0);
});

test('when a cancel\'s SIGTERM reaches the program before the wrapper, then the job still ends as cancelled, not failed', async () => {
  // the server signals the whole group; which of wrapper and program handles it first is up to the kernel. Here the
  // program alone gets it, after the .cancel the server writes before signalling: the order that used to read as a
  // failure ("signal SIGTERM", reason exit)
  const ex = new LocalExecutor({ concurrency: 1 });
  const [id] = await ex.submit([spec(['--sleep-s', '30'])]);
  await waitFor('a to run', async () => (await ex.poll([id])).get(id)!.state === 'running');
  const wrapper = Number(readFileSync(join(id, '.pid'), 'utf8'));
  const program = await waitFor('the program process', () => {
    const kids = readFileSync(`/proc/${wrapper}/task/${wrapper}/children`, 'utf8').trim();
    return kids ? Number(kids.split(/\s+/)[0]) : undefined;
  });
  writeFileSync(join(id, '.cancel'), new Date().toISOString());
  process.kill(program, 'SIGTERM');
  const s = await final(ex, id);
  assert.equal(s.state, 'cancelled', JSON.stringify(s));
  assert.match(readFileSync(join(id, '.exit'), 'utf8'), /"reason":"cancelled"/);
});

test('when a job runs past its time limit, then it is stopped with reason timeout', async () => {
  const ex = new LocalExecutor({ concurrency: 1 });
  const [id] = await ex.submit([spec(['--sleep-s', '30'], { timeLimitS: 1 })]);
  const s = await final(ex, id);
  assert.equal(s.state, 'failed');
  assert.equal(s.reason, 'timeout');
});

test('when a job uses more memory than requested, then it is killed with reason out_of_memory', async () => {
  const ex = new LocalExecutor({ concurrency: 1 });
  const [id] = await ex.submit([spec(['--alloc-mb', '400', '--sleep-s', '3'], { memoryMb: 150 })]);
  const s = await final(ex, id);
  assert.equal(s.state, 'failed');
  assert.equal(s.reason, 'out_of_memory');
});

test('when the wrapper is killed -9, then the job is reported lost', async () => {
  const ex = new LocalExecutor({ concurrency: 1 });
  const [id] = await ex.submit([spec(['--sleep-s', '30'])]);
  await waitFor('pid file', () => existsSync(join(id, '.pid')));
  const pid = Number(readFileSync(join(id, '.pid'), 'utf8'));
  process.kill(-pid, 'SIGKILL');
  const s = await final(ex, id);
  assert.equal(s.state, 'lost');
  assert.equal(s.reason, 'lost');
});

test('when an unknown id is polled, then it is lost', async () => {
  const ex = new LocalExecutor({ concurrency: 1 });
  const s = (await ex.poll([join(root, 'nothing-here')])).values().next().value!;
  assert.equal(s.state, 'lost');
});

/** Runs test/fixtures/local-executor-killed.ts (a server stand-in that kills itself -9 at `mode`); its stdout. */
async function serverKilledAt(mode: 'handed' | 'idle', s: JobSpec): Promise<string> {
  const file = join(root, `spec${n}.json`);
  writeFileSync(file, JSON.stringify(s));
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/local-executor-killed.ts', mode, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const signal = await new Promise((r) => child.once('exit', (_code, sig) => r(sig)));
  assert.equal(signal, 'SIGKILL');
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('when the server is killed -9 after handing a job to a wrapper that has not taken it yet, then the restarted executor runs it once and nothing is lost', async () => {
  const s = spec(['--sleep-s', '0.3']);
  await serverKilledAt('handed', s);
  const id = s.workDir;
  // the orphaned wrapper may take the job, or the restarted executor's wrapper: O_EXCL on .launched lets exactly one
  const again = new LocalExecutor({ concurrency: 1 });
  const first = (await again.poll([id])).get(id)!;
  assert.ok(['queued', 'running'].includes(first.state), `after the restart: ${first.state}`);
  const end = await final(again, id);
  assert.equal(end.state, 'succeeded', JSON.stringify(end));
  assert.equal(starts(id), 1);
  await again.close();
});

test('when the server is killed -9, then its idle pre-forked wrappers exit and the one running a job finishes it', async () => {
  const s = spec(['--sleep-s', '8']);
  const { idle } = JSON.parse(await serverKilledAt('idle', s)) as { idle: number[] };
  assert.equal(idle.length, 2);
  const again = new LocalExecutor({ concurrency: 1, prefork: 0 });
  const st = (await again.poll([s.workDir])).get(s.workDir)!;
  assert.equal(st.state, 'running', JSON.stringify(st));
  await waitFor('the idle wrappers to exit', () => idle.every((pid) => !alive(pid)), { timeoutMs: 10_000 });
  assert.equal((await final(again, s.workDir)).state, 'succeeded');
  assert.equal(starts(s.workDir), 1);
});

test('when a job is cancelled after it was handed to a wrapper but before the wrapper took it, then it never starts', async () => {
  const ex = new LocalExecutor({ concurrency: 1, prefork: 0 });
  const [id] = await ex.submit([spec(['--sleep-s', '0.3'])]);
  // the wrapper's Node is still starting: the job is on its stdin, not taken
  assert.equal(existsSync(join(id, '.launched')), false);
  await ex.cancel([id]);
  assert.equal((await final(ex, id)).state, 'cancelled');
  await new Promise((r) => setTimeout(r, 1500)); // let the wrapper come up, find the job taken, and leave
  assert.equal(starts(id), 0);
  assert.equal((await ex.poll([id])).get(id)!.state, 'cancelled');
});
