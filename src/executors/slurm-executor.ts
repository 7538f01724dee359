/**
 * The Slurm executor: calibloop's jobs as Slurm job arrays.
 *
 * Submission. A batch of N specs becomes one `sbatch --array=0-(N-1)` per group of equal resources (memory, time
 * limit, priority), split further only where the cluster's MaxArraySize demands it — a bucket's 50,000 jobs are a
 * handful of sbatch calls, not 50,000. Each call writes a submission directory under `stateDir` (which must be on a
 * file system the compute nodes see):
 *
 *   submissions/<day>/<stamp>-<rand>/manifest   one line per task: work dir, log path, env, argv (bash $'..' words)
 *   submissions/<day>/<stamp>-<rand>/job.sh     the wrapper: picks line $SLURM_ARRAY_TASK_ID+1, runs the program
 *                                               without a shell in its work dir, output → the spec's logPath
 *   submissions/<day>/<stamp>-<rand>/out/<t>.out  Slurm's own messages for task t (oom-kill, time limit, cancel)
 *   submissions/<day>/<stamp>-<rand>/exit/<t>     `exit=<code> term=<0|1> start=<s> end=<s>`, written by the wrapper
 *   submissions/<day>/<stamp>-<rand>/cancelled    task ids calibloop cancelled itself, one per line
 *   submissions/<day>/<stamp>-<rand>/accepted     written once sbatch returned the array id; tasks wait for it (60 s
 *                                               at most) and run nothing without it, so an array that sbatch queued
 *                                               but reported as failed (timeout) never runs unseen (`abandoned`)
 *   arrays/<arrayJobId> → the submission directory (made by the executor after sbatch, and by the wrapper)
 *
 * Executor ids are `<arrayJobId>_<taskId>`, Slurm's own names for array tasks (`squeue`, `scancel` take them).
 *
 * Status. `squeue --array --states=all` for the arrays asked about: pending, running, and finished tasks that
 * slurmctld still keeps (MinJobAge). The state, reason and exit status are mapped by `src/domain/slurm-states.ts`.
 * A task squeue no longer lists is answered from its exit file (outcome kept across accounting gaps: no slurmdbd
 * needed), else it is `lost`. Jobs cancelled outside calibloop (scancel by a person), killed by a node failure or
 * requeued by Slurm are noticed the same way; a requeued job is scancelled so that only calibloop retries it.
 *
 * Jobs start with `baseEnv` (PATH, HOME, LANG, TZ of the server by default) plus the SLURM_* and SBATCH_* variables of
 * the server, then each spec's `env`: sbatch runs with exactly that environment and the default `--export=ALL`, so
 * the server's own environment (database URL, tokens) does not leak into jobs, and no `--export=NONE` makes slurmd
 * load a login environment for every task. `--no-requeue`: a node failure ends the job (calibloop resubmits it with
 * backoff) instead of Slurm silently running it again.
 *
 * Job ends. Slurm announces nothing, so `src/executors/slurm-end-watcher.ts` asks squeue every `endPollIntervalMs`
 * (one call for all live tasks) and tells `onJobEnded` listeners when a task left the live states; poll still reads
 * and reports the outcome.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, readlinkSync, appendFileSync, symlinkSync, writeFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Executor, ExecutorCapabilities, ExecutorStatus, JobSpec } from './executor.ts';
import { SlurmCli, taskRanges, type SqueueRow } from './slurm-cli.ts';
import { LIVE_SLURM_STATES, SlurmEndWatcher } from './slurm-end-watcher.ts';
import { mapForgottenJob, mapSlurmState, parseExitFile, parseSlurmExit, refineWithSlurmOutput, type MappedSlurmState } from '../domain/slurm-states.ts';
import { invalid } from '../domain/errors.ts';
import type { Logger } from '../observability/logger.ts';
import { readTail } from './read-tail.ts';

export interface SlurmExecutorOptions {
  /** shared directory for manifests, wrappers, exit files (compute nodes must see it at the same path) */
  stateDir: string;
  partition?: string;
  account?: string;
  qos?: string;
  /** more sbatch options for every submission, e.g. ["--constraint=el9", "--reservation=calib"] */
  sbatchArgs?: string[];
  /** directory of sbatch/squeue/scancel/scontrol (default: PATH) */
  binDir?: string;
  /** timeout of each Slurm command (default 60 s) */
  commandTimeoutMs?: number;
  /** tasks per array at most (default: the cluster's MaxArraySize) */
  maxArraySize?: number;
  /** `%n` throttle: at most this many tasks of one array run at once (site politeness) */
  maxRunningPerArray?: number;
  /** environment of every job before its spec's env (default: PATH, HOME, USER, LOGNAME, LANG, LC_ALL, TZ of this process) */
  baseEnv?: Record<string, string>;
  /** Slurm enforces memory (cgroups or OverMemoryKill) — it does on the clusters docs/deploy.md describes */
  enforcesMemory?: boolean;
  /** how often the end watcher asks squeue whether live jobs ended (default 2000 ms; 0: off, the job tick alone) */
  endPollIntervalMs?: number;
  logger?: Logger;
}

interface TaskRef {
  arrayId: string;
  task: number;
}

const ID_RE = /^(\d+)_(\d+)$/;

export function parseExecutorId(id: string): TaskRef | undefined {
  const m = ID_RE.exec(id);
  return m ? { arrayId: m[1]!, task: Number(m[2]) } : undefined;
}

/** One word for the manifest: bash ANSI-C quoting, never a raw newline (one task = one line). */
export function bashWord(s: string): string {
  let out = "$'";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}'`;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The task wrapper (bash: small, no interpreter start-up, nothing of its own counted against the job's memory). */
export function wrapperScript(): string {
  return `#!/bin/bash
# calibloop Slurm array task wrapper, generated by src/executors/slurm-executor.ts.
# usage (by sbatch): job.sh <submission dir> <state dir>
sub=$1
state=$2
t=\${SLURM_ARRAY_TASK_ID:?calibloop: not a Slurm array task}
a=\${SLURM_ARRAY_JOB_ID:?calibloop: not a Slurm array task}
[ -e "$state/arrays/$a" ] || ln -s "$sub" "$state/arrays/$a" 2>/dev/null
# run only what calibloop knows it submitted: an sbatch that timed out may still have queued the array
i=0
while [ ! -e "$sub/accepted" ]; do
  if [ -e "$sub/abandoned" ] || [ "$i" -ge 600 ]; then
    echo "calibloop: calibloop never recorded this submission (sbatch failed or timed out); not running it" >&2
    exit 75
  fi
  sleep 0.1
  i=$((i + 1))
done
line=$(sed -n "$((t + 1)){p;q;}" "$sub/manifest")
if [ -z "$line" ]; then
  echo "calibloop: no manifest line for task $t in $sub/manifest" >&2
  exit 70
fi
eval "set -- $line"
wd=$1 log=$2 n=$3
shift 3
while [ "$n" -gt 0 ]; do export "$1"; shift; n=$((n - 1)); done
term=0
trap 'term=1' TERM
start=$(date +%s)
if cd "$wd"; then
  "$@" </dev/null >>"$log" 2>&1
  code=$?
else
  echo "calibloop: cannot enter the work directory $wd" >&2
  code=70
fi
printf 'exit=%s term=%s start=%s end=%s\\n' "$code" "$term" "$start" "$(date +%s)" >"$sub/exit/$t.tmp" && mv -f "$sub/exit/$t.tmp" "$sub/exit/$t"
exit "$code"
`;
}

/** The environment sbatch runs with, and so the jobs' starting environment. */
export function jobEnvironment(baseEnv?: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && (k.startsWith('SLURM_') || k.startsWith('SBATCH_'))) out[k] = v;
  }
  if (baseEnv) return { ...out, ...baseEnv };
  for (const k of ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ']) {
    const v = process.env[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}


export class SlurmExecutor implements Executor {
  readonly name = 'slurm';
  readonly capabilities: ExecutorCapabilities;
  readonly cli: SlurmCli;
  private readonly stateDir: string;
  private maxArraySize?: number;
  /** executor ids calibloop cancelled (also on disk in each submission's `cancelled` file) */
  private readonly cancelledByUs = new Set<string>();
  /** executor ids reported `preempted` after Slurm requeued them (and we scancelled them) */
  private readonly requeued = new Map<string, MappedSlurmState>();
  /** sacct failed once (no accounting database): not asked again */
  private accountingOff = false;
  private readonly endWatcher: SlurmEndWatcher;

  constructor(private readonly opts: SlurmExecutorOptions) {
    this.stateDir = resolve(opts.stateDir);
    this.cli = new SlurmCli({ binDir: opts.binDir, timeoutMs: opts.commandTimeoutMs });
    this.capabilities = { arrays: true, enforcesMemory: opts.enforcesMemory ?? true };
    this.maxArraySize = opts.maxArraySize;
    mkdirSync(join(this.stateDir, 'arrays'), { recursive: true });
    this.endWatcher = new SlurmEndWatcher((arrays) => this.cli.tasksInStates(arrays, LIVE_SLURM_STATES), {
      intervalMs: opts.endPollIntervalMs ?? 2000,
      logger: opts.logger,
    });
  }

  /** Listeners hear "a job may have ended" within about one watcher interval of Slurm ending it. */
  onJobEnded(listener: () => void): void {
    this.endWatcher.onEnded(listener);
  }

  /** The end watcher's squeue calls so far (diagnostics, tests). */
  get endWatcherCalls(): number {
    return this.endWatcher.calls;
  }

  // ---------------------------------------------------------------------------------------------- submit

  async submit(specs: JobSpec[]): Promise<string[]> {
    if (specs.length === 0) return [];
    for (const s of specs) validateSpec(s);
    const maxTasks = Math.max(1, await this.arraySizeLimit());
    // group by resources, keep the caller's order inside a group; higher priority groups are submitted first
    const groups = new Map<string, number[]>();
    for (let i = 0; i < specs.length; i++) {
      const s = specs[i]!;
      const key = `${s.memoryMb}|${timeMinutes(s.timeLimitS)}|${s.priority ?? 0}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = []));
      g.push(i);
    }
    const ordered = [...groups.values()].sort((a, b) => (specs[b[0]!]!.priority ?? 0) - (specs[a[0]!]!.priority ?? 0));
    const ids = new Array<string>(specs.length);
    const submitted: string[] = [];
    try {
      for (const group of ordered) {
        for (let i = 0; i < group.length; i += maxTasks) {
          const chunk = group.slice(i, i + maxTasks);
          const arrayId = await this.submitArray(chunk.map((k) => specs[k]!));
          submitted.push(arrayId);
          chunk.forEach((k, t) => (ids[k] = `${arrayId}_${t}`));
        }
      }
    } catch (e) {
      // all or nothing: the caller gets no ids, so arrays of this call that did go in must not run unseen
      if (submitted.length > 0) {
        this.opts.logger?.warn('slurm: submission failed part-way; cancelling the arrays already submitted', { arrays: submitted });
        await this.cli.scancel(submitted).catch(() => undefined);
      }
      throw e;
    }
    this.endWatcher.watch(ids);
    return ids;
  }

  private async arraySizeLimit(): Promise<number> {
    if (this.maxArraySize === undefined) {
      const cfg = await this.cli.config();
      const n = Number(cfg.get('MaxArraySize'));
      // MaxArraySize bounds the index: indexes 0..MaxArraySize-1
      this.maxArraySize = Number.isInteger(n) && n > 0 ? n : 1001;
    }
    return this.maxArraySize;
  }

  private async submitArray(specs: JobSpec[]): Promise<string> {
    const first = specs[0]!;
    const now = new Date();
    const sub = join(
      this.stateDir,
      'submissions',
      now.toISOString().slice(0, 10),
      `${now.toISOString().slice(11, 23).replace(/[:.]/g, '')}-${randomBytes(4).toString('hex')}`,
    );
    mkdirSync(join(sub, 'out'), { recursive: true });
    mkdirSync(join(sub, 'exit'), { recursive: true });
    const logDirs = new Set<string>();
    const lines: string[] = [];
    for (const s of specs) {
      const env = Object.entries(s.env ?? {}).map(([k, v]) => `${k}=${v}`);
      const words = [resolve(s.workDir), resolve(s.logPath), String(env.length), ...env, ...s.command];
      lines.push(words.map(bashWord).join(' '));
      logDirs.add(dirname(resolve(s.logPath)));
    }
    for (const d of logDirs) mkdirSync(d, { recursive: true });
    writeFileSync(join(sub, 'manifest'), lines.join('\n') + '\n');
    writeFileSync(join(sub, 'job.sh'), wrapperScript(), { mode: 0o755 });
    const name = specs.length === 1 ? first.key : `${first.key}+${specs.length - 1}`;
    const array = `0-${specs.length - 1}${this.opts.maxRunningPerArray ? `%${this.opts.maxRunningPerArray}` : ''}`;
    const args = [
      `--array=${array}`,
      `--job-name=${name.slice(0, 120)}`,
      `--mem=${Math.ceil(first.memoryMb)}M`,
      `--time=${timeMinutes(first.timeLimitS)}`,
      '--ntasks=1',
      '--cpus-per-task=1',
      '--no-requeue',
      `--chdir=${sub}`,
      `--output=${join(sub, 'out', '%a.out')}`,
      '--open-mode=append',
      ...(this.opts.partition ? [`--partition=${this.opts.partition}`] : []),
      ...(this.opts.account ? [`--account=${this.opts.account}`] : []),
      ...(this.opts.qos ? [`--qos=${this.opts.qos}`] : []),
      ...(this.opts.sbatchArgs ?? []),
      join(sub, 'job.sh'),
      sub,
      this.stateDir,
    ];
    let arrayId: string;
    try {
      arrayId = await this.cli.sbatch(args, jobEnvironment(this.opts.baseEnv));
    } catch (e) {
      // sbatch may have queued the array before failing (timeout): its tasks find this and do not run
      writeFileSync(join(sub, 'abandoned'), `${(e as Error).message}\n`);
      throw e;
    }
    writeFileSync(join(sub, 'accepted'), `${arrayId}\n`);
    try {
      symlinkSync(sub, join(this.stateDir, 'arrays', arrayId));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // the wrapper was faster
    }
    this.opts.logger?.info('slurm: array submitted', { arrayId, tasks: specs.length, memoryMb: first.memoryMb, timeLimitS: first.timeLimitS, dir: sub });
    return arrayId;
  }

  // ---------------------------------------------------------------------------------------------- poll

  async poll(executorJobIds: string[]): Promise<Map<string, ExecutorStatus>> {
    const out = new Map<string, ExecutorStatus>();
    const refs = new Map<string, TaskRef>();
    for (const id of executorJobIds) {
      const r = parseExecutorId(id);
      if (r) refs.set(id, r);
      else out.set(id, { executorJobId: id, state: 'lost', reason: 'lost', detail: `not a Slurm array task id: ${id}` });
    }
    if (refs.size === 0) return out;
    const rows = new Map<string, SqueueRow>();
    for (const row of await this.cli.squeue([...new Set([...refs.values()].map((r) => r.arrayId))])) rows.set(row.id, row);

    const toCancel: string[] = [];
    for (const [id, ref] of refs) {
      const earlier = this.requeued.get(id);
      if (earlier) {
        out.set(id, toStatus(id, earlier));
        continue;
      }
      const row = rows.get(id);
      if (row) {
        const cancelledByUs = row.state.startsWith('CANCELLED') && this.wasCancelledByUs(id, ref);
        const m = this.refine(ref, mapSlurmState({ slurmState: row.state, slurmReason: row.reason, exit: parseSlurmExit(row.exitStatus), restarts: row.restarts, cancelledByUs }));
        if (m.requeued) {
          this.requeued.set(id, m);
          toCancel.push(id);
        }
        const st = toStatus(id, m);
        if (m.state !== 'queued' && row.startTime) st.startedAt = row.startTime;
        if (m.terminal && row.endTime) st.finishedAt = row.endTime;
        out.set(id, st);
      } else {
        out.set(id, this.statusFromExitFile(id));
      }
    }
    await this.attachAccounting(out);
    // what the engine polls as in flight is watched for its end (also the jobs a restarted server adopts)
    const live = [...out.values()].filter((st) => st.state === 'queued' || st.state === 'running').map((st) => st.executorJobId);
    this.endWatcher.forget([...out.keys()]);
    this.endWatcher.watch(live);
    if (toCancel.length > 0) {
      this.opts.logger?.warn('slurm: jobs requeued by Slurm are cancelled; calibloop retries them itself', { ids: toCancel });
      await this.cli.scancel(toCancel).catch((e) => this.opts.logger?.warn('slurm: scancel of requeued jobs failed', { error: (e as Error).message }));
    }
    return out;
  }

  /** Resources of the tasks that ended, from sacct where the cluster keeps accounting; without it they stay unknown. */
  private async attachAccounting(statuses: Map<string, ExecutorStatus>): Promise<void> {
    const ended = [...statuses.values()].filter((s) => s.state !== 'queued' && s.state !== 'running' && parseExecutorId(s.executorJobId));
    if (ended.length === 0 || this.accountingOff) return;
    try {
      const usage = await this.cli.sacct(ended.map((s) => s.executorJobId));
      for (const s of ended) {
        const r = usage.get(s.executorJobId);
        if (r) s.resources = r;
      }
    } catch (e) {
      const message = (e as Error).message;
      // no accounting database or no sacct at all: stop asking until the next restart; anything else: next poll
      if (/not installed|accounting storage is disabled|slurmdbd/i.test(message)) this.accountingOff = true;
      this.opts.logger?.info('slurm: no job accounting for these tasks; their resources stay unknown', { error: message });
    }
  }

  /**
   * What poll would answer from the wrapper's exit file alone, as it does once slurmctld has forgotten the job
   * (MinJobAge passed, no accounting database). Tests compare it with the squeue answer.
   */
  statusFromExitFile(executorJobId: string): ExecutorStatus {
    const ref = parseExecutorId(executorJobId);
    const rec = ref ? this.readExitFile(ref) : undefined;
    const mapped = mapForgottenJob(rec, ref ? this.wasCancelledByUs(executorJobId, ref) : false);
    const st = toStatus(executorJobId, ref ? this.refine(ref, mapped) : mapped);
    if (rec?.startedAt) st.startedAt = rec.startedAt;
    if (rec?.finishedAt) st.finishedAt = rec.finishedAt;
    return st;
  }

  /** A SIGKILLed job: Slurm's own output for it tells whether the memory limit was the reason. */
  private refine(ref: TaskRef, m: MappedSlurmState): MappedSlurmState {
    if (m.state !== 'failed' || m.reason !== 'exit') return m;
    const sub = this.submissionDir(ref.arrayId);
    return sub ? refineWithSlurmOutput(m, readTail(join(sub, 'out', `${ref.task}.out`), 16 * 1024)) : m;
  }

  private submissionDir(arrayId: string): string | undefined {
    const link = join(this.stateDir, 'arrays', arrayId);
    try {
      readlinkSync(link);
      return realpathSync(link);
    } catch {
      return undefined;
    }
  }

  private readExitFile(ref: TaskRef) {
    const sub = this.submissionDir(ref.arrayId);
    if (!sub) return undefined;
    try {
      return parseExitFile(readFileSync(join(sub, 'exit', String(ref.task)), 'utf8'));
    } catch {
      return undefined;
    }
  }

  /** Cancelled through calibloop — by this instance or by another server instance sharing the state directory. */
  private wasCancelledByUs(id: string, ref: TaskRef): boolean {
    if (this.cancelledByUs.has(id)) return true;
    const sub = this.submissionDir(ref.arrayId);
    if (!sub) return false;
    let text = '';
    try {
      text = readFileSync(join(sub, 'cancelled'), 'utf8');
    } catch {
      return false;
    }
    for (const line of text.split('\n')) {
      if (/^\d+$/.test(line.trim())) this.cancelledByUs.add(`${ref.arrayId}_${line.trim()}`);
    }
    return this.cancelledByUs.has(id);
  }

  // ---------------------------------------------------------------------------------------------- cancel, logs

  async cancel(executorJobIds: string[]): Promise<void> {
    const byArray = new Map<string, number[]>();
    for (const id of executorJobIds) {
      const r = parseExecutorId(id);
      if (!r) continue;
      let l = byArray.get(r.arrayId);
      if (!l) byArray.set(r.arrayId, (l = []));
      l.push(r.task);
      this.cancelledByUs.add(id);
    }
    if (byArray.size === 0) return;
    for (const [arrayId, tasks] of byArray) {
      const sub = this.submissionDir(arrayId);
      if (sub) appendFileSync(join(sub, 'cancelled'), tasks.map((t) => `${t}\n`).join(''));
    }
    await this.cli.scancel([...byArray].map(([a, tasks]) => `${a}_[${taskRanges(tasks)}]`));
  }

  /** The job's log, followed by Slurm's own messages for it (oom-kill, time limit, cancel) when there are any. */
  async logs(executorJobId: string, logPath: string, maxBytes = 64 * 1024): Promise<string> {
    const own = readTail(logPath, maxBytes);
    const ref = parseExecutorId(executorJobId);
    const sub = ref ? this.submissionDir(ref.arrayId) : undefined;
    const slurm = sub ? readTail(join(sub, 'out', `${ref!.task}.out`), 8 * 1024).trim() : '';
    if (!slurm) return own;
    const tail = `${own}${own && !own.endsWith('\n') ? '\n' : ''}--- slurm ---\n${slurm}\n`;
    return tail.length > maxBytes ? tail.slice(tail.length - maxBytes) : tail;
  }

  async close(): Promise<void> {
    // jobs live in Slurm, their story in stateDir: only the end watcher runs in this process
    await this.endWatcher.close();
  }
}

function toStatus(id: string, m: MappedSlurmState): ExecutorStatus {
  const st: ExecutorStatus = { executorJobId: id, state: m.state, detail: m.detail };
  if (m.reason) st.reason = m.reason;
  if (m.exitCode !== undefined) st.exitCode = m.exitCode;
  return st;
}

/** Slurm's time limits are whole minutes: round up, at least one. */
export function timeMinutes(seconds: number): number {
  return Math.max(1, Math.ceil(seconds / 60));
}

function validateSpec(s: JobSpec): void {
  if (!s.command.length || !s.command[0]) throw invalid(`job ${s.key}: empty command`);
  if (!(s.memoryMb > 0)) throw invalid(`job ${s.key}: memoryMb must be positive`);
  if (!(s.timeLimitS > 0)) throw invalid(`job ${s.key}: timeLimitS must be positive`);
  for (const k of Object.keys(s.env ?? {})) {
    if (!ENV_NAME.test(k)) throw invalid(`job ${s.key}: invalid environment variable name ${JSON.stringify(k)}`);
  }
  for (const w of [...s.command, s.workDir, s.logPath, ...Object.values(s.env ?? {})]) {
    if (w.includes('\0')) throw invalid(`job ${s.key}: NUL byte in command, paths or env`);
  }
}

export function createSlurmExecutor(opts: SlurmExecutorOptions): SlurmExecutor {
  return new SlurmExecutor(opts);
}

