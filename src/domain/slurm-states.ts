/**
 * Slurm job states and exit statuses → calibloop executor states and end reasons, in one table.
 *
 * The executor (`src/executors/slurm-executor.ts`) reads a job's state, reason and exit status from `squeue` and
 * passes them here; `src/domain/error-classes.ts` then turns the end reason and exit code into an error class. The
 * `errorClass` column repeats what that table decides, so this file reads as the whole story for Slurm.
 *
 * | Slurm state | executor state | end reason | error class | note |
 * |---|---|---|---|---|
 * | PENDING, CONFIGURING, REQUEUE_FED, RESV_DEL_HOLD | queued | – | – | `PENDING` with RestartCnt > 0 means requeued: see REQUEUED |
 * | RUNNING, COMPLETING, SUSPENDED, SIGNALING, STAGE_OUT, RESIZING, STOPPED | running | – | – | COMPLETING: exit code not final yet |
 * | COMPLETED | succeeded | exit | – | exit code 0 |
 * | FAILED, SPECIAL_EXIT | failed | exit | software (input for exit 65, resource for 137/SIGKILL) | the program's exit code and signal are kept |
 * | OUT_OF_MEMORY | failed | out_of_memory | resource | the cgroup (or OverMemoryKill) killed it |
 * | TIMEOUT, DEADLINE | failed | timeout | site | |
 * | NODE_FAIL, BOOT_FAIL | failed | node_failure | site | |
 * | PREEMPTED, REQUEUED, REQUEUE_HOLD | failed | preempted | site | the executor scancels a requeued job: calibloop resubmits, Slurm must not run it twice |
 * | CANCELLED (by calibloop) | cancelled | cancelled | – | the job engine asked for it |
 * | CANCELLED (outside calibloop) | cancelled | cancelled | site | scancel by a person, an admin, a reservation; noticed by poll |
 * | REVOKED | lost | lost | site | federation: the sibling ran elsewhere |
 * | unknown to squeue, exit file present | from the exit file | exit | (as FAILED) | slurmctld forgot the job (MinJobAge) |
 * | unknown to squeue, no exit file | lost | lost | site | also after a slurmctld restart without its state |
 */
import type { EndReason, ExecutorState } from '../executors/executor.ts';
import type { ErrorClass } from './error-classes.ts';

export const SLURM_JOB_STATES = [
  'BOOT_FAIL',
  'CANCELLED',
  'COMPLETED',
  'COMPLETING',
  'CONFIGURING',
  'DEADLINE',
  'FAILED',
  'NODE_FAIL',
  'OUT_OF_MEMORY',
  'PENDING',
  'PREEMPTED',
  'REQUEUED',
  'REQUEUE_FED',
  'REQUEUE_HOLD',
  'RESIZING',
  'RESV_DEL_HOLD',
  'REVOKED',
  'RUNNING',
  'SIGNALING',
  'SPECIAL_EXIT',
  'STAGE_OUT',
  'STOPPED',
  'SUSPENDED',
  'TIMEOUT',
] as const;
export type SlurmJobState = (typeof SLURM_JOB_STATES)[number];

export interface SlurmStateRow {
  state: ExecutorState;
  reason?: EndReason;
  /** the class src/domain/error-classes.ts gives this outcome (null: not a failure, or decided by the exit code) */
  errorClass: ErrorClass | null;
  /** the job is still in Slurm's hands and would run again: the executor cancels it after reporting it */
  requeued?: boolean;
}

export const SLURM_STATE_TABLE: Readonly<Record<SlurmJobState, SlurmStateRow>> = {
  PENDING: { state: 'queued', errorClass: null },
  CONFIGURING: { state: 'queued', errorClass: null },
  REQUEUE_FED: { state: 'queued', errorClass: null },
  RESV_DEL_HOLD: { state: 'queued', errorClass: null },
  RUNNING: { state: 'running', errorClass: null },
  COMPLETING: { state: 'running', errorClass: null },
  SUSPENDED: { state: 'running', errorClass: null },
  SIGNALING: { state: 'running', errorClass: null },
  STAGE_OUT: { state: 'running', errorClass: null },
  RESIZING: { state: 'running', errorClass: null },
  STOPPED: { state: 'running', errorClass: null },
  COMPLETED: { state: 'succeeded', reason: 'exit', errorClass: null },
  FAILED: { state: 'failed', reason: 'exit', errorClass: null },
  SPECIAL_EXIT: { state: 'failed', reason: 'exit', errorClass: null },
  OUT_OF_MEMORY: { state: 'failed', reason: 'out_of_memory', errorClass: 'resource' },
  TIMEOUT: { state: 'failed', reason: 'timeout', errorClass: 'site' },
  DEADLINE: { state: 'failed', reason: 'timeout', errorClass: 'site' },
  NODE_FAIL: { state: 'failed', reason: 'node_failure', errorClass: 'site' },
  BOOT_FAIL: { state: 'failed', reason: 'node_failure', errorClass: 'site' },
  PREEMPTED: { state: 'failed', reason: 'preempted', errorClass: 'site' },
  REQUEUED: { state: 'failed', reason: 'preempted', errorClass: 'site', requeued: true },
  REQUEUE_HOLD: { state: 'failed', reason: 'preempted', errorClass: 'site', requeued: true },
  CANCELLED: { state: 'cancelled', reason: 'cancelled', errorClass: null },
  REVOKED: { state: 'lost', reason: 'lost', errorClass: 'site' },
};

export function isSlurmJobState(s: string): s is SlurmJobState {
  return (SLURM_JOB_STATES as readonly string[]).includes(s);
}

/** Linux signal names for details ("signal SIGKILL"), as the local executor writes them. */
const SIGNAL_NAMES: Readonly<Record<number, string>> = {
  1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 5: 'SIGTRAP', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE', 9: 'SIGKILL',
  10: 'SIGUSR1', 11: 'SIGSEGV', 12: 'SIGUSR2', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM', 24: 'SIGXCPU', 25: 'SIGXFSZ',
};
export function signalName(n: number): string {
  return SIGNAL_NAMES[n] ?? `signal ${n}`;
}

/** A job's exit status: the program's exit code, or the signal that ended the batch script. */
export interface SlurmExit {
  exitCode: number | null;
  signal: number | null;
}

/**
 * Parses Slurm's exit status in either form it prints: `code:signal` (scontrol, sacct) or the raw wait(2) status
 * (`squeue -O exit_code`: 768 = exit 3, 35072 = exit 137, 11 = killed by SIGSEGV). Unknown text → both null.
 */
export function parseSlurmExit(text: string | undefined | null): SlurmExit {
  const t = (text ?? '').trim();
  let m = /^(\d+):(\d+)$/.exec(t);
  if (m) {
    const sig = Number(m[2]);
    return sig > 0 ? { exitCode: null, signal: sig } : { exitCode: Number(m[1]), signal: null };
  }
  m = /^\d+$/.exec(t);
  if (m) {
    const raw = Number(t);
    const sig = raw & 0x7f;
    if (sig !== 0 && sig !== 0x7f) return { exitCode: null, signal: sig };
    return { exitCode: (raw >> 8) & 0xff, signal: null };
  }
  return { exitCode: null, signal: null };
}

/** Describes an exit for the job record: "exit 3", "exit 137 (SIGKILL)", "signal SIGSEGV". */
export function describeExit(e: SlurmExit): string {
  if (e.signal !== null) return `signal ${signalName(e.signal)}`;
  if (e.exitCode === null) return 'exit status unknown';
  if (e.exitCode > 128 && e.exitCode < 160) return `exit ${e.exitCode} (${signalName(e.exitCode - 128)})`;
  return `exit ${e.exitCode}`;
}

export interface SlurmObservation {
  /** squeue's State column, e.g. "CANCELLED" (scontrol's "CANCELLED by 0" is accepted too) */
  slurmState: string;
  /** squeue's Reason column, e.g. "OutOfMemory", "NonZeroExitCode", "NodeDown", "TimeLimit" */
  slurmReason?: string;
  exit: SlurmExit;
  /** RestartCnt: a PENDING job that has already run was requeued */
  restarts?: number;
  /** calibloop cancelled this job itself (through the executor) */
  cancelledByUs?: boolean;
}

export interface MappedSlurmState {
  state: ExecutorState;
  reason?: EndReason;
  exitCode?: number | null;
  detail: string;
  /** Slurm would run the job again (requeue): the executor must scancel it so that only calibloop retries */
  requeued: boolean;
  terminal: boolean;
}

const TERMINAL_STATES: readonly ExecutorState[] = ['succeeded', 'failed', 'cancelled', 'lost'];
export const isTerminalExecutorState = (s: ExecutorState) => TERMINAL_STATES.includes(s);

/** The mapping itself: one observation of a job in squeue → what the executor reports. */
export function mapSlurmState(o: SlurmObservation): MappedSlurmState {
  const name = o.slurmState.trim().split(/\s+/)[0]!.toUpperCase();
  const reasonText = o.slurmReason && o.slurmReason !== 'None' ? ` (${o.slurmReason})` : '';
  if (!isSlurmJobState(name)) {
    // a state this table does not know (a newer Slurm): the job exists, so it is not lost; stall detection watches it
    return { state: 'running', detail: `unknown Slurm state ${name}${reasonText}`, requeued: false, terminal: false };
  }
  if (name === 'PENDING' && (o.restarts ?? 0) > 0) {
    // requeued after it ran (preemption with requeue, an admin's scontrol requeue, a launch failure)
    return { state: 'failed', reason: 'preempted', exitCode: null, detail: `PENDING after ${o.restarts} restart(s): requeued by Slurm${reasonText}`, requeued: true, terminal: true };
  }
  const row = SLURM_STATE_TABLE[name];
  const terminal = isTerminalExecutorState(row.state);
  if (!terminal) return { state: row.state, detail: `${name}${reasonText}`, requeued: false, terminal };
  const exitText = describeExit(o.exit);
  switch (name) {
    case 'COMPLETED':
      return { state: 'succeeded', reason: 'exit', exitCode: o.exit.exitCode ?? 0, detail: 'COMPLETED', requeued: false, terminal };
    case 'FAILED':
    case 'SPECIAL_EXIT':
      return {
        state: 'failed',
        reason: 'exit',
        // a batch script ended by a signal has no exit code; 128+n keeps the shell's convention for error-classes
        exitCode: o.exit.exitCode ?? (o.exit.signal !== null ? 128 + o.exit.signal : null),
        detail: `${name}${reasonText}: ${exitText}`,
        requeued: false,
        terminal,
      };
    case 'CANCELLED':
      return {
        state: 'cancelled',
        reason: 'cancelled',
        exitCode: null,
        detail: o.cancelledByUs ? 'CANCELLED by calibloop' : `CANCELLED outside calibloop${reasonText}`,
        requeued: false,
        terminal,
      };
    default:
      return { state: row.state, reason: row.reason, exitCode: o.exit.exitCode, detail: `${name}${reasonText}`, requeued: !!row.requeued, terminal };
  }
}

/**
 * What the wrapper's exit file says, for a job that squeue no longer knows (after MinJobAge, or a slurmctld restart
 * that lost its state). `terminated` = the wrapper caught SIGTERM: Slurm ended the job (cancel, time limit,
 * pre-emption) and nothing says which.
 */
export interface ExitFileRecord {
  exitCode: number;
  terminated: boolean;
  startedAt?: Date;
  finishedAt?: Date;
}

export function mapForgottenJob(record: ExitFileRecord | undefined, cancelledByUs: boolean): MappedSlurmState {
  const base = { requeued: false, terminal: true } as const;
  if (cancelledByUs) return { ...base, state: 'cancelled', reason: 'cancelled', exitCode: null, detail: 'CANCELLED by calibloop (Slurm no longer lists the job)' };
  if (!record) return { ...base, state: 'lost', reason: 'lost', exitCode: null, detail: 'Slurm no longer knows the job and it left no exit file' };
  if (record.terminated) {
    return { ...base, state: 'lost', reason: 'lost', exitCode: null, detail: 'terminated by Slurm (SIGTERM: cancel, time limit or pre-emption); Slurm no longer knows why' };
  }
  const exit = { exitCode: record.exitCode, signal: null };
  if (record.exitCode === 0) return { ...base, state: 'succeeded', reason: 'exit', exitCode: 0, detail: 'exit 0 (from the exit file)' };
  return { ...base, state: 'failed', reason: 'exit', exitCode: record.exitCode, detail: `${describeExit(exit)} (from the exit file)` };
}

/** Parses the exit file the wrapper writes: `exit=<code> term=<0|1> start=<epoch s> end=<epoch s>`. */
export function parseExitFile(text: string): ExitFileRecord | undefined {
  const fields = new Map<string, string>();
  for (const part of text.trim().split(/\s+/)) {
    const i = part.indexOf('=');
    if (i > 0) fields.set(part.slice(0, i), part.slice(i + 1));
  }
  const code = Number(fields.get('exit'));
  if (!fields.has('exit') || !Number.isInteger(code)) return undefined;
  const time = (k: string) => {
    const v = Number(fields.get(k));
    return Number.isFinite(v) && v > 0 ? new Date(v * 1000) : undefined;
  };
  return { exitCode: code, terminated: fields.get('term') === '1', startedAt: time('start'), finishedAt: time('end') };
}

/** What slurmstepd writes into a job's output when it kills the job for its memory (cgroup OOM, or OverMemoryKill). */
export const SLURM_MEMORY_KILL = /exceeded (job )?memory limit|oom-kill event/i;

/**
 * A job killed by SIGKILL whose Slurm output says it was over its memory limit is out of memory, whatever state Slurm
 * gave it: with `JobAcctGatherParams=OverMemoryKill` (no cgroups) Slurm 22.05 reports FAILED (JobLaunchFailure)
 * with signal 9, not OUT_OF_MEMORY.
 */
export function refineWithSlurmOutput(m: MappedSlurmState, slurmOutput: string): MappedSlurmState {
  const killed = m.exitCode === 137 || /SIGKILL/.test(m.detail);
  if (m.state !== 'failed' || m.reason !== 'exit' || !killed || !SLURM_MEMORY_KILL.test(slurmOutput)) return m;
  return { ...m, reason: 'out_of_memory', detail: `${m.detail}; Slurm: over the memory limit` };
}
