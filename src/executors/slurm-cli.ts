/**
 * Slurm's command-line tools (sbatch, squeue, scancel, scontrol) run through `execFile` — no shell, a timeout on every
 * call — and their output parsed. Failures become DomainErrors: `UNAVAILABLE` when Slurm cannot be reached or does
 * not answer in time (the caller retries later), `INVALID_INPUT` when sbatch refuses the request itself (asks for more
 * memory than any node has, an unknown partition...).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { DomainError } from '../domain/errors.ts';
import { SACCT_FORMAT, parseSacct } from './slurm-accounting.ts';
import type { AttemptResources } from './executor.ts';

export type SlurmCommand = 'sbatch' | 'squeue' | 'scancel' | 'scontrol' | 'sinfo' | 'sacct';

export interface SlurmCliOptions {
  /** directory of the Slurm binaries; default: found on PATH */
  binDir?: string;
  /** per call; sbatch of a large array and squeue of 50,000 tasks take well under this */
  timeoutMs?: number;
  /** extra environment for the tools (e.g. SLURM_CONF) */
  env?: Record<string, string>;
}

export interface SlurmRunResult {
  stdout: string;
  stderr: string;
}

/** One line of `squeue -r --states=all -O ...` for a task of an array. */
export interface SqueueRow {
  /** `<arrayJobId>_<taskId>` */
  id: string;
  state: string;
  reason: string;
  /** raw wait(2) status as squeue prints it; see parseSlurmExit */
  exitStatus: string;
  restarts: number;
  startTime?: Date;
  endTime?: Date;
}

/** Field list for squeue; every field ends with `|`, width 0 = never truncated. */
export const SQUEUE_FORMAT = 'JobArrayID:|,State:|,Reason:|,exit_code:|,RestartCnt:|,StartTime:|,EndTime:|';

const TRANSIENT =
  /Unable to contact slurm controller|Socket timed out|Connection refused|Connection reset|Zero Bytes were transmitted|Transport endpoint|Resource temporarily unavailable|in standby mode|Communication connection failure|temporarily unable|Slurmctld not responding|Unable to establish|DNS SRV lookup failed|Could not establish a configuration source|Munge|munge/i;

/** `Invalid job id specified`: squeue/scancel about ids slurmctld no longer (or never) knew. */
export const isInvalidJobIdMessage = (s: string) => /Invalid job id specified/i.test(s);

export class SlurmCli {
  private readonly timeoutMs: number;
  constructor(private readonly opts: SlurmCliOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 60_000;
  }

  private bin(cmd: SlurmCommand): string {
    return this.opts.binDir ? join(this.opts.binDir, cmd) : cmd;
  }

  /**
   * Runs a tool; rejects with a DomainError unless `allowFailure` accepts the failure (then resolves with its output).
   * `env` replaces the process environment for this call (sbatch: the job's environment, see SlurmExecutor).
   */
  run(cmd: SlurmCommand, args: string[], allowFailure?: (r: SlurmRunResult) => boolean, env?: NodeJS.ProcessEnv): Promise<SlurmRunResult> {
    return new Promise((resolvePromise, reject) => {
      execFile(
        this.bin(cmd),
        args,
        {
          timeout: this.timeoutMs,
          killSignal: 'SIGKILL',
          maxBuffer: 1024 * 1024 * 1024,
          env: { ...(env ?? process.env), ...this.opts.env },
          encoding: 'utf8',
        },
        (err, stdout, stderr) => {
          if (!err) return resolvePromise({ stdout, stderr });
          const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: string | number | null };
          if (e.code === 'ENOENT') {
            return reject(new DomainError('UNAVAILABLE', `Slurm is not installed here: ${this.bin(cmd)} not found`, { command: cmd }));
          }
          if (e.killed || e.signal === 'SIGKILL') {
            return reject(new DomainError('UNAVAILABLE', `${cmd} did not answer within ${Math.round(this.timeoutMs / 1000)} s`, { command: cmd }));
          }
          if (allowFailure?.({ stdout, stderr })) return resolvePromise({ stdout, stderr });
          reject(classifyFailure(cmd, stderr || e.message, e.code));
        },
      );
    });
  }

  /**
   * Submits a batch script; returns the job id (for an array: the array job id). With the default `--export=ALL`,
   * `env` is exactly what the job starts with (plus SLURM_* variables).
   */
  async sbatch(args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
    const { stdout } = await this.run('sbatch', ['--parsable', ...args], undefined, env);
    const id = stdout.trim().split('\n').pop()!.split(';')[0]!.trim();
    if (!/^\d+$/.test(id)) throw new DomainError('UNAVAILABLE', `sbatch printed no job id: ${stdout.trim().slice(0, 200)}`);
    return id;
  }

  /**
   * Every task of the given arrays that slurmctld still knows, finished ones included (it keeps them MinJobAge
   * seconds). Ids slurmctld does not know are simply absent.
   */
  async squeue(arrayJobIds: string[]): Promise<SqueueRow[]> {
    const rows: SqueueRow[] = [];
    for (let i = 0; i < arrayJobIds.length; i += 200) {
      const chunk = arrayJobIds.slice(i, i + 200);
      const { stdout } = await this.run(
        'squeue',
        ['--noheader', '--array', '--states=all', '--jobs', chunk.join(','), '--Format', SQUEUE_FORMAT],
        // all ids unknown: squeue says so and exits 1
        (r) => isInvalidJobIdMessage(r.stderr),
      );
      rows.push(...parseSqueue(stdout));
    }
    return rows;
  }

  /**
   * The tasks of the given arrays that are in one of `states` — the cheap question the end watcher asks every few
   * seconds. Without `--array` squeue prints an array's pending tasks as one line (`123_[4-999%50]`) and only its
   * running ones one by one, so the answer stays small for a 50,000-task array. Unknown ids are simply absent.
   */
  async tasksInStates(arrayIds: string[], states: readonly string[]): Promise<TaskSet> {
    const set = new TaskSet();
    for (let i = 0; i < arrayIds.length; i += 200) {
      const { stdout } = await this.run(
        'squeue',
        ['--noheader', `--states=${states.join(',')}`, '--jobs', arrayIds.slice(i, i + 200).join(','), '--Format', 'JobArrayID:|'],
        (r) => isInvalidJobIdMessage(r.stderr),
      );
      for (const line of stdout.split('\n')) set.addSqueueId(line.split('|')[0]!.trim());
    }
    return set;
  }

  /** Cancels jobs (ids or `A_[ranges]`); ids that already ended or are unknown are not an error. */
  async scancel(targets: string[]): Promise<void> {
    for (let i = 0; i < targets.length; i += 200) {
      await this.run('scancel', targets.slice(i, i + 200), (r) =>
        r.stderr
          .split('\n')
          .filter((l) => l.trim())
          .every((l) => isInvalidJobIdMessage(l) || /already completing or completed|Job\/step already/i.test(l)),
      );
    }
  }

  /** Accounting of finished array tasks (needs slurmdbd); tasks it has no record of are absent. */
  async sacct(taskIds: string[]): Promise<Map<string, AttemptResources>> {
    const out = new Map<string, AttemptResources>();
    for (let i = 0; i < taskIds.length; i += 200) {
      const { stdout } = await this.run('sacct', ['--noheader', '--parsable2', '--jobs', taskIds.slice(i, i + 200).join(','), `--format=${SACCT_FORMAT}`]);
      for (const [id, r] of parseSacct(stdout)) out.set(id, r);
    }
    return out;
  }

  /** `scontrol show config` as a map (MaxArraySize, SLURM_VERSION, MinJobAge, ...). */
  async config(): Promise<Map<string, string>> {
    const { stdout } = await this.run('scontrol', ['show', 'config']);
    const out = new Map<string, string>();
    for (const line of stdout.split('\n')) {
      const m = /^(\S+)\s+=\s+(.*)$/.exec(line.trim());
      if (m) out.set(m[1]!, m[2]!.trim());
    }
    return out;
  }
}

function classifyFailure(cmd: SlurmCommand, message: string, code: unknown): DomainError {
  const text = message.trim().split('\n').filter(Boolean).slice(-3).join(' | ').slice(0, 500);
  const details = { command: cmd, exitCode: typeof code === 'number' ? code : undefined, stderr: text };
  if (TRANSIENT.test(message)) return new DomainError('UNAVAILABLE', `${cmd}: Slurm is not reachable: ${text}`, details);
  if (cmd === 'sbatch' && /submission failed/i.test(message)) {
    // refusals of the request itself do not get better by retrying
    if (/not available|Invalid|invalid|too large|exceeds|no partition|not permitted|Requested node configuration/i.test(message)) {
      return new DomainError('INVALID_INPUT', `sbatch refused the jobs: ${text}`, details);
    }
  }
  return new DomainError('UNAVAILABLE', `${cmd} failed: ${text}`, details);
}

/**
 * Array tasks as squeue names them without `--array`: `<array>_<task>` or `<array>_[<ranges>]` with ranges like
 * `0-5,7,9-20:2` and an optional `%<throttle>`. `has` answers for one `<array>_<task>` executor id.
 */
export class TaskSet {
  /** running tasks are listed one by one (thousands): a set; pending ones come as a few ranges per array */
  private readonly single = new Set<string>();
  private readonly ranges = new Map<string, Array<[number, number, number]>>();

  addSqueueId(id: string): void {
    const m = /^(\d+)_(?:(\d+)|\[([^\]]*)\])$/.exec(id);
    if (!m) return;
    if (m[2] !== undefined) return void this.single.add(`${m[1]}_${Number(m[2])}`);
    let l = this.ranges.get(m[1]!);
    if (!l) this.ranges.set(m[1]!, (l = []));
    for (const part of m[3]!.split('%')[0]!.split(',')) {
      const r = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part.trim());
      if (r) l.push([Number(r[1]), Number(r[2] ?? r[1]), Number(r[3] ?? 1) || 1]);
    }
  }

  has(arrayId: string, task: number): boolean {
    if (this.single.has(`${arrayId}_${task}`)) return true;
    return (this.ranges.get(arrayId) ?? []).some(([lo, hi, step]) => task >= lo && task <= hi && (task - lo) % step === 0);
  }
}

/** Parses squeue output in SQUEUE_FORMAT; lines of other shapes (headers, warnings) are skipped. */
export function parseSqueue(stdout: string): SqueueRow[] {
  const rows: SqueueRow[] = [];
  for (const line of stdout.split('\n')) {
    const f = line.split('|').map((s) => s.trim());
    if (f.length < 7 || !/^\d+_\d+$/.test(f[0]!)) continue;
    rows.push({
      id: f[0]!,
      state: f[1]!,
      reason: f[2]!,
      exitStatus: f[3]!,
      restarts: Number(f[4]) || 0,
      startTime: parseSlurmTime(f[5]),
      endTime: parseSlurmTime(f[6]),
    });
  }
  return rows;
}

/** Slurm prints local time without a zone ("2026-11-22T11:00:13"), or N/A / Unknown / None. */
export function parseSlurmTime(s: string | undefined): Date | undefined {
  if (!s || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(s)) return undefined;
  const d = new Date(s); // no zone: local time, like Slurm's
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * Compresses task ids of one array into Slurm's range syntax: [0,1,2,5,7,8] → "0-2,5,7-8".
 */
export function taskRanges(tasks: number[]): string {
  const s = [...new Set(tasks)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    parts.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
