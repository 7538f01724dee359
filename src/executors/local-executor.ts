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
 * | `.launched` but no `.pid` yet | running (starting) while the wrapper named in it lives; lost once it is dead |
 * | only `.spec.json` | queued; a restarted executor adopts it into its queue again |
 * | nothing | lost |
 *
 * Wrappers are pre-forked (Node's start-up is most of a short job's turnaround): `prefork` idle wrappers wait, each for
 * one work directory on its stdin, so a freed slot runs its next program within milliseconds. The wrapper, not the
 * server, creates `.launched` (O_EXCL) when it takes the job, so the marker exists only for a wrapper that runs.
 *
 * Every moment a `kill -9` of the server can hit, and why no program starts twice and no attempt is lost:
 * 1. before `.spec.json` is renamed into place: nothing of the attempt exists; the job engine hands the job over again
 *    after its submit grace (same key, same directory) and the spec is written then;
 * 2. spec written, the id still in this executor's queue: "only `.spec.json`" → queued; the restarted executor adopts
 *    and launches it;
 * 3. the directory written to an idle wrapper's stdin, not yet taken: the wrapper reads the line before it sees the
 *    pipe's end, so it takes the job and runs it; the restarted executor may also adopt the directory (no marker yet)
 *    and hand it to a wrapper of its own — both race for `.launched` with O_EXCL and exactly one starts the program,
 *    the other exits with 3 and the directory's files name the winner;
 * 4. `.launched` created (pid inside, or being written): the wrapper lives on without the server; the restarted
 *    executor sees a live pid and adopts it as running (an empty marker counts as starting for `startGraceMs`);
 * 5. `.pid`, `.starts`, the program running or `.exit` written: followed from the files as before;
 * 6. between the server's own claim of `.launched` (cancel of a job no wrapper took, or a wrapper that crashed before
 *    taking it) and its `.exit`: a marker without a pid, reported lost after `startGraceMs`. The program never ran and
 *    the job was being ended anyway; this is the one window where a kill still yields `lost`.
 * An idle wrapper that sees its stdin end (server dead) exits without taking anything. So a server kill never turns an
 * attempt that was to run into `lost`; only a wrapper that dies itself (killed, machine reboot) does.
 *
 * `submit` is idempotent per spec key: a spec whose work directory already holds the same key is not started again
 * (the job engine re-submits with the same key after a crash between its claim and the executor's answer).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, openSync, closeSync, statSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AttemptResources, Executor, ExecutorCapabilities, ExecutorStatus, JobSpec, EndReason } from './executor.ts';
import type { Logger } from '../observability/logger.ts';
import { readTail } from './read-tail.ts';

const WRAPPER = join(dirname(fileURLToPath(import.meta.url)), 'local-job-wrapper.mjs');

export interface LocalExecutorOptions {
  concurrency: number;
  logger?: Logger;
  /** how long a `.launched` marker without a readable pid (being written, or from an older version) counts as starting */
  startGraceMs?: number;
  /** idle wrappers kept started ahead of need (default: the concurrency, at most 4); 0 starts each on demand */
  prefork?: number;
  /** an idle wrapper exits after this long without a job (default 60 s) */
  idleMs?: number;
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

/** What the wrapper writes into `.launched` when it takes a job. */
interface LaunchRecord {
  pid?: number;
  procStart?: number;
  at?: string;
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/**
 * The server's own claim on `.launched` (O_EXCL), made only to end a job no wrapper has taken (cancel while queued, a
 * wrapper that died before taking it): if it wins, no wrapper can start the program any more.
 */
function claimLaunch(id: string, why: string): boolean {
  let fd: number;
  try {
    fd = openSync(join(id, '.launched'), 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, JSON.stringify({ by: 'server', why, at: new Date().toISOString() }) + '\n');
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

/** Start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat). */
function procStartOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return undefined;
  }
}

/** Is `pid` still the wrapper of `workDir`? Guards against pid reuse with the start time recorded in `.launched`. */
function pidAlive(pid: number, workDir: string, procStart?: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (procStart !== undefined && Number.isFinite(procStart)) {
    const now = procStartOf(pid);
    return now === undefined || now === procStart;
  }
  // a wrapper of an older version had its work directory on its command line
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
  /** work dirs holding a slot: handed to a wrapper of this instance (child) or adopted after a restart (null) */
  private readonly live = new Map<string, ChildProcess | null>();
  /** idle pre-forked wrappers, oldest first */
  private readonly idle: ChildProcess[] = [];
  private seq = 0;
  private closed = false;
  private readonly endListeners: Array<() => void> = [];
  private readonly startGraceMs: number;
  private readonly prefork: number;
  private readonly idleMs: number;

  constructor(private readonly opts: LocalExecutorOptions) {
    this.capabilities = { arrays: false, enforcesMemory: true, maxConcurrent: opts.concurrency };
    this.startGraceMs = opts.startGraceMs ?? 30_000;
    this.prefork = opts.prefork ?? Math.min(opts.concurrency, 4);
    this.idleMs = opts.idleMs ?? 60_000;
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
      if (!this.isLaunched(id) && !this.live.has(id) && !this.queue.some((q) => q.id === id)) this.enqueue(id, spec.priority ?? 0);
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
      // not taken by a wrapper yet (queued, or on its way to one): our claim shuts every wrapper out
      if (!existsSync(join(id, '.launched')) && claimLaunch(id, 'cancelled while queued')) {
        writeAtomic(join(id, '.exit'), JSON.stringify({ exitCode: null, signal: null, reason: 'cancelled', detail: 'cancelled while queued', finishedAt: new Date().toISOString() }));
        continue;
      }
      writeFileSync(join(id, '.cancel'), new Date().toISOString());
      const pid = this.pidOf(id);
      if (pid !== undefined && pidAlive(pid, id, this.launchOf(id)?.procStart)) {
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
    // Detached jobs keep running; a restarted executor adopts them. Only stop starting new ones; idle wrappers exit
    // when their stdin ends.
    this.closed = true;
    for (const w of this.idle.splice(0)) w.stdin?.end();
  }

  /** Pids of the idle pre-forked wrappers (observability and tests). */
  get idleWrapperPids(): number[] {
    return this.idle.flatMap((w) => (w.pid === undefined ? [] : [w.pid]));
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

  private launchOf(id: string): LaunchRecord | undefined {
    return readJson<LaunchRecord>(join(id, '.launched'));
  }

  private pump(): void {
    this.releaseEndedAdoptions();
    while (!this.closed && this.live.size < this.opts.concurrency && this.queue.length > 0) {
      const next = this.queue.shift()!;
      if (this.isLaunched(next.id)) continue;
      this.handOver(next.id);
    }
    // keep wrappers started ahead while there is work about (idle ones leave by themselves after idleMs)
    while (!this.closed && this.idle.length < this.prefork && (this.queue.length > 0 || this.live.size > 0)) {
      this.idle.push(this.startWrapper());
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
      const launch = this.launchOf(id);
      const pid = this.pidOf(id) ?? launch?.pid;
      if (existsSync(join(id, '.exit')) || pid === undefined || !pidAlive(pid, id, launch?.procStart)) this.live.delete(id);
    }
  }

  /** Gives the job to an idle wrapper (or a new one, which reads its stdin once it is up); it holds a slot from now. */
  private handOver(id: string): void {
    const w = this.idle.shift() ?? this.startWrapper();
    this.live.set(id, w);
    jobOf.set(w, id);
    w.stdin?.write(`${id}\n`);
  }

  private startWrapper(): ChildProcess {
    const w = spawn(process.execPath, [WRAPPER, String(this.idleMs)], { detached: true, stdio: ['pipe', 'ignore', 'ignore'], cwd: '/' });
    w.unref();
    // the pipe must not keep this process alive; a write to a wrapper that died fails here and is handled on its exit
    (w.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    w.stdin?.on('error', () => {});
    let ended = false;
    const ended_ = (code: number | null, why: string) => {
      if (ended) return;
      ended = true;
      this.wrapperEnded(w, code, why);
    };
    w.once('exit', (code, signal) => ended_(code, signal ? `signal ${signal}` : `exit ${code}`));
    w.once('error', (e) => {
      this.opts.logger?.error('local executor could not start a job wrapper', { error: e.message });
      ended_(127, `wrapper failed to start: ${e.message}`);
    });
    return w;
  }

  /**
   * A wrapper ended. Idle: forget it. With a job: free the slot and refill at once; the files tell its outcome, except
   * when no `.launched` exists (it never took the job): after "took nothing" (exit 0: its idle time ran out as the job
   * arrived) the job goes back to the queue; after a crash it is ended as failed so a broken wrapper cannot loop.
   */
  private wrapperEnded(w: ChildProcess, code: number | null, why: string): void {
    const i = this.idle.indexOf(w);
    if (i >= 0) this.idle.splice(i, 1);
    const id = jobOf.get(w);
    if (id === undefined) return;
    if (this.live.get(id) === w) this.live.delete(id);
    if (!this.closed && !this.isLaunched(id)) {
      if (code === 0) this.enqueue(id, readJson<{ priority?: number }>(join(id, '.spec.json'))?.priority ?? 0);
      else if (claimLaunch(id, 'wrapper ended before taking the job')) {
        writeAtomic(join(id, '.exit'), JSON.stringify({ exitCode: 127, signal: null, reason: 'exit', detail: `job wrapper ended before taking the job (${why})`, finishedAt: new Date().toISOString() }));
      }
    }
    this.pump();
    for (const l of this.endListeners) l();
  }

  private status(id: string): ExecutorStatus {
    const exit = this.readExit(id);
    if (exit) {
      this.live.delete(id);
      return exitStatus(id, exit);
    }
    if (!existsSync(join(id, '.spec.json'))) return { executorJobId: id, state: 'lost', reason: 'lost', detail: 'unknown work directory' };
    const launch = existsSync(join(id, '.launched')) ? (this.launchOf(id) ?? {}) : undefined;
    const pid = this.pidOf(id) ?? launch?.pid;
    if (pid !== undefined) {
      if (pidAlive(pid, id, launch?.procStart)) {
        if (!this.live.has(id)) this.live.set(id, null); // adopted after a restart: it holds a slot
        return { executorJobId: id, state: 'running', ...(this.pidOf(id) === undefined ? { detail: 'starting' } : {}) };
      }
      // the wrapper writes .exit before it ends; look again in case it just did
      const late = this.readExit(id);
      if (this.live.get(id) === null) this.live.delete(id);
      if (late) return exitStatus(id, late);
      return { executorJobId: id, state: 'lost', reason: 'lost', detail: `wrapper ${pid} is gone without an exit record` };
    }
    if (launch) {
      // a marker without a pid: being written this instant, or left by an older version (an ISO date inside)
      const text = readFileSync(join(id, '.launched'), 'utf8');
      const at = Date.parse(launch.at ?? text) || statSync(join(id, '.launched')).mtimeMs;
      if (Date.now() - at < this.startGraceMs) return { executorJobId: id, state: 'running', detail: 'starting' };
      return { executorJobId: id, state: 'lost', reason: 'lost', detail: 'launched but the wrapper never started' };
    }
    if (this.live.has(id)) return { executorJobId: id, state: 'queued', detail: 'handed to a wrapper' };
    if (!this.queue.some((q) => q.id === id)) {
      const spec = readJson<{ priority?: number }>(join(id, '.spec.json'));
      this.enqueue(id, spec?.priority ?? 0); // queued by a previous instance (or its wrapper never took it): adopt
    }
    return { executorJobId: id, state: 'queued' };
  }

  private readExit(id: string): ExitRecord | undefined {
    return readJson<ExitRecord>(join(id, '.exit'));
  }
}

/** The job a wrapper was handed (idle wrappers have none). */
const jobOf = new WeakMap<ChildProcess, string>();

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
