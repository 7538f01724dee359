/**
 * The embedded executor: real child processes on this machine, at most `concurrency` at once.
 *
 * It must survive a `kill -9` of the server. Every attempt runs detached (own session and process group) through
 * `local-job-wrapper.mjs`, and everything the executor knows is in the attempt's work directory (see the wrapper's
 * comment for the files), so the executor id *is* the work directory and `poll` after a restart answers from files:
 *
 * | files in the work directory | state |
 * |---|---|
 * | `.exit` | the outcome it records (succeeded / failed / cancelled) |
 * | `.pid` of a live wrapper | running |
 * | `.pid` of a dead wrapper, no `.exit` | lost (the wrapper was killed) |
 * | `.launched` but no `.pid` yet | running (starting) for `startGraceMs`, lost after |
 * | only `.spec.json` | queued; a restarted executor adopts it into its queue again |
 * | nothing | lost |
 *
 * `submit` is idempotent per spec key: a spec whose work directory already holds the same key is not started again
 * (the job engine re-submits with the same key after a crash between its claim and the executor's answer).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, openSync, readSync, closeSync, fstatSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AttemptResources, Executor, ExecutorCapabilities, ExecutorStatus, JobSpec, EndReason } from './executor.ts';
import type { Logger } from '../observability/logger.ts';
import { readTail } from './read-tail.ts';

const WRAPPER = join(dirname(fileURLToPath(import.meta.url)), 'local-job-wrapper.mjs');

export interface LocalExecutorOptions {
  concurrency: number;
  logger?: Logger;
  /** how long a launched wrapper may take to write its pid before the job counts as lost */
  startGraceMs?: number;
}

interface Queued {
  id: string;
  priority: number;
  seq: number;
}

interface ExitRecord {
  exitCode: number | null;
  signal: string | null;
  reason: EndReason;
  detail: string;
  startedAt?: string;
  finishedAt?: string;
  resources?: AttemptResources;
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/**
 * `.launched`, created exclusively (O_EXCL): two server instances on one machine may both have the spec queued (one
 * adopted it while polling), and only the one that creates the file starts the program.
 */
function claimLaunch(id: string): boolean {
  let fd: number;
  try {
    fd = openSync(join(id, '.launched'), 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, new Date().toISOString());
  } finally {
    closeSync(fd);
  }
  return true;
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function pidAlive(pid: number, workDir: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // guard against pid reuse: the live process must be our wrapper for this directory
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(workDir);
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

export class LocalExecutor implements Executor {
  readonly name = 'local';
  readonly capabilities: ExecutorCapabilities;
  private readonly queue: Queued[] = [];
  /** work dirs whose wrapper is alive: started by this instance or adopted after a restart */
  private readonly live = new Map<string, ChildProcess | null>();
  private seq = 0;
  private closed = false;
  private readonly endListeners: Array<() => void> = [];
  private readonly startGraceMs: number;

  constructor(private readonly opts: LocalExecutorOptions) {
    this.capabilities = { arrays: false, enforcesMemory: true, maxConcurrent: opts.concurrency };
    this.startGraceMs = opts.startGraceMs ?? 30_000;
  }

  async submit(specs: JobSpec[]): Promise<string[]> {
    const ids: string[] = [];
    for (const spec of specs) {
      const id = resolve(spec.workDir);
      mkdirSync(id, { recursive: true });
      const specFile = join(id, '.spec.json');
      const existing = readJson<{ key: string }>(specFile);
      if (existing && existing.key !== spec.key) {
        throw new Error(`work directory ${id} belongs to ${existing.key}, not ${spec.key}`);
      }
      if (!existing) {
        writeAtomic(
          specFile,
          JSON.stringify({ key: spec.key, command: spec.command, env: spec.env ?? {}, logPath: resolve(spec.logPath), memoryMb: spec.memoryMb, timeLimitS: spec.timeLimitS, priority: spec.priority ?? 0, inputs: spec.inputs ?? [], outputs: spec.outputs ?? [] }),
        );
      }
      // already submitted by this or a previous instance: keep tracking, never start twice
      if (!this.isLaunched(id) && !this.queue.some((q) => q.id === id)) this.enqueue(id, spec.priority ?? 0);
      ids.push(id);
    }
    this.pump();
    return ids;
  }

  onJobEnded(listener: () => void): void {
    this.endListeners.push(listener);
  }

  async poll(executorJobIds: string[]): Promise<Map<string, ExecutorStatus>> {
    const out = new Map<string, ExecutorStatus>();
    for (const id of executorJobIds) out.set(id, this.status(id));
    this.pump();
    return out;
  }

  async cancel(executorJobIds: string[]): Promise<void> {
    for (const id of executorJobIds) {
      const qi = this.queue.findIndex((q) => q.id === id);
      if (qi >= 0) this.queue.splice(qi, 1);
      if (!existsSync(id) || existsSync(join(id, '.exit'))) continue;
      if (!this.isLaunched(id)) {
        writeAtomic(join(id, '.exit'), JSON.stringify({ exitCode: null, signal: null, reason: 'cancelled', detail: 'cancelled while queued', finishedAt: new Date().toISOString() }));
        continue;
      }
      writeFileSync(join(id, '.cancel'), new Date().toISOString());
      const pid = this.pidOf(id);
      if (pid !== undefined && pidAlive(pid, id)) {
        try {
          process.kill(-pid, 'SIGTERM');
        } catch {
          try {
            process.kill(pid, 'SIGTERM');
          } catch {
            // gone
          }
        }
      }
    }
    this.pump();
  }

  async logs(_executorJobId: string, logPath: string, maxBytes = 64 * 1024): Promise<string> {
    return readTail(logPath, maxBytes);
  }

  async close(): Promise<void> {
    // Detached jobs keep running; a restarted executor adopts them. Only stop starting new ones.
    this.closed = true;
  }

  /** Jobs this instance knows to be running (started or adopted). */
  get runningCount(): number {
    return this.live.size;
  }

  private enqueue(id: string, priority: number): void {
    this.queue.push({ id, priority, seq: this.seq++ });
    this.queue.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
  }

  private isLaunched(id: string): boolean {
    return existsSync(join(id, '.launched')) || existsSync(join(id, '.exit'));
  }

  private pidOf(id: string): number | undefined {
    try {
      const n = Number(readFileSync(join(id, '.pid'), 'utf8').trim());
      return Number.isInteger(n) && n > 0 ? n : undefined;
    } catch {
      return undefined;
    }
  }

  private pump(): void {
    this.releaseEndedAdoptions();
    while (!this.closed && this.live.size < this.opts.concurrency && this.queue.length > 0) {
      const next = this.queue.shift()!;
      if (this.isLaunched(next.id) || !claimLaunch(next.id)) continue;
      this.launch(next.id);
    }
  }

  /**
   * An adopted wrapper (started by another instance or before a restart, seen running by our poll) holds one of our
   * slots. With two instances the other one may be the one that polls it to its end, and we would never poll it again:
   * free the slot once its wrapper is gone, or it leaks and, with every slot leaked, nothing of ours starts any more.
   */
  private releaseEndedAdoptions(): void {
    for (const [id, child] of this.live) {
      if (child !== null) continue;
      const pid = this.pidOf(id);
      if (existsSync(join(id, '.exit')) || pid === undefined || !pidAlive(pid, id)) this.live.delete(id);
    }
  }

  /** Called after `claimLaunch` won: a crash before the wrapper writes .pid ends as `lost`, never as a second start. */
  private launch(id: string): void {
    const child = spawn(process.execPath, [WRAPPER, id], { detached: true, stdio: 'ignore', cwd: id });
    child.unref();
    this.live.set(id, child);
    const done = () => {
      if (this.live.get(id) === child) this.live.delete(id);
      this.pump();
      for (const l of this.endListeners) l();
    };
    child.once('exit', done);
    child.once('error', (e) => {
      this.opts.logger?.error('local executor could not start the job wrapper', { workDir: id, error: e.message });
      if (!existsSync(join(id, '.exit'))) {
        writeAtomic(join(id, '.exit'), JSON.stringify({ exitCode: 127, signal: null, reason: 'exit', detail: `wrapper failed to start: ${e.message}` }));
      }
      done();
    });
  }

  private status(id: string): ExecutorStatus {
    const exit = this.readExit(id);
    if (exit) {
      this.live.delete(id);
      return exitStatus(id, exit);
    }
    if (!existsSync(join(id, '.spec.json'))) return { executorJobId: id, state: 'lost', reason: 'lost', detail: 'unknown work directory' };
    const pid = this.pidOf(id);
    if (pid !== undefined) {
      if (pidAlive(pid, id)) {
        if (!this.live.has(id)) this.live.set(id, null); // adopted after a restart: it holds a slot
        return { executorJobId: id, state: 'running' };
      }
      // the wrapper writes .exit before it ends; look again in case it just did
      const late = this.readExit(id);
      this.live.delete(id);
      if (late) return exitStatus(id, late);
      return { executorJobId: id, state: 'lost', reason: 'lost', detail: `wrapper ${pid} is gone without an exit record` };
    }
    if (existsSync(join(id, '.launched'))) {
      const at = Date.parse(readFileSync(join(id, '.launched'), 'utf8'));
      if (Number.isFinite(at) && Date.now() - at < this.startGraceMs) return { executorJobId: id, state: 'running', detail: 'starting' };
      return { executorJobId: id, state: 'lost', reason: 'lost', detail: 'launched but the wrapper never started' };
    }
    if (!this.queue.some((q) => q.id === id)) {
      const spec = readJson<{ priority?: number }>(join(id, '.spec.json'));
      this.enqueue(id, spec?.priority ?? 0); // queued by a previous instance: adopt
    }
    return { executorJobId: id, state: 'queued' };
  }

  private readExit(id: string): ExitRecord | undefined {
    return readJson<ExitRecord>(join(id, '.exit'));
  }
}

function exitStatus(id: string, e: ExitRecord): ExecutorStatus {
  const base = {
    executorJobId: id,
    exitCode: e.exitCode,
    detail: e.detail,
    ...(e.startedAt ? { startedAt: new Date(e.startedAt) } : {}),
    ...(e.finishedAt ? { finishedAt: new Date(e.finishedAt) } : {}),
    ...(e.resources ? { resources: e.resources } : {}),
  };
  if (e.reason === 'cancelled') return { ...base, state: 'cancelled', reason: 'cancelled' };
  if (e.reason === 'exit' && e.exitCode === 0) return { ...base, state: 'succeeded', reason: 'exit' };
  return { ...base, state: 'failed', reason: e.reason };
}


export function createLocalExecutor(opts: LocalExecutorOptions): LocalExecutor {
  return new LocalExecutor(opts);
}
