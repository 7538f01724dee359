/**
 * The executor interface: the only way calibloop runs programs. The local process executor is the embedded default;
 * the Slurm executor is the distributed engine. Services never know which one they talk to.
 *
 * Contract:
 * - `submit` takes a batch so that engines with arrays (Slurm) can submit thousands of jobs in one call. It returns one
 *   executor id per spec, in order. It must be safe to call for a spec whose `key` was already submitted by this
 *   executor instance's predecessor (after a restart): the caller guards idempotency in the database, the executor only
 *   has to not lose track.
 * - `poll` answers for every id it is asked about. An id the engine no longer knows and whose outcome cannot be
 *   recovered is reported as `lost` (a site problem: node lost, server restarted without the job's status file).
 * - `cancel` is best-effort and idempotent.
 * - Exit status is mapped to an error class by the executor (it knows its engine's states: Slurm's OUT_OF_MEMORY,
 *   TIMEOUT, NODE_FAIL, ...); the job service makes the final decision with `src/domain/error-classes.ts`.
 */
export interface JobSpec {
  /** Idempotency key of the job attempt (unique per job and attempt), also used as the engine's job name. */
  key: string;
  /** argv; run without a shell. */
  command: string[];
  /** Working directory, created by the caller before submission. */
  workDir: string;
  env?: Record<string, string>;
  /** Memory limit in MiB; enforced where the engine can (Slurm cgroups), advisory locally. */
  memoryMb: number;
  /** Wall-clock limit in seconds. */
  timeLimitS: number;
  /** Where stdout+stderr go; the executor writes there and `logs` reads from there. */
  logPath: string;
  /** Higher runs earlier where the engine supports it. */
  priority?: number;
  /** Declared input and output paths, so the executor can measure their bytes (local wrapper). */
  inputs?: string[];
  outputs?: string[];
}

/** What one attempt used, as far as the engine measured it; absent fields are unknown. */
export interface AttemptResources {
  wallS?: number;
  cpuS?: number;
  peakRssMb?: number;
  inputBytes?: number;
  outputBytes?: number;
}

export const EXECUTOR_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'lost'] as const;
export type ExecutorState = (typeof EXECUTOR_STATES)[number];

/** Why an engine ended a job, in engine-neutral words; `src/domain/error-classes.ts` turns it into an error class. */
export const END_REASONS = [
  'exit', // the program exited by itself (look at exitCode)
  'out_of_memory',
  'timeout',
  'node_failure',
  'preempted',
  'cancelled',
  'lost',
] as const;
export type EndReason = (typeof END_REASONS)[number];

export interface ExecutorStatus {
  executorJobId: string;
  state: ExecutorState;
  exitCode?: number | null;
  reason?: EndReason;
  /** Raw engine state or message, kept for the job record (e.g. "OUT_OF_MEMORY", "signal SIGKILL"). */
  detail?: string;
  startedAt?: Date;
  finishedAt?: Date;
  /** measured use of the finished attempt (local wrapper: /proc; Slurm: sacct where accounting is on) */
  resources?: AttemptResources;
}

export interface ExecutorCapabilities {
  /** Submits many jobs with one engine call (job arrays). */
  arrays: boolean;
  /** Memory limits are enforced by the engine (not just advisory). */
  enforcesMemory: boolean;
  /** Max jobs running at once, if the executor itself limits it. */
  maxConcurrent?: number;
}

export interface Executor {
  readonly name: string;
  readonly capabilities: ExecutorCapabilities;
  submit(specs: JobSpec[]): Promise<string[]>;
  poll(executorJobIds: string[]): Promise<Map<string, ExecutorStatus>>;
  cancel(executorJobIds: string[]): Promise<void>;
  logs(executorJobId: string, logPath: string, maxBytes?: number): Promise<string>;
  /**
   * Subscribes to "a job of this executor may have ended" (local: its wrapper exited), so the job engine can record
   * the outcome and refill the slot at once. Optional: engines without such events are followed by polling only.
   */
  onJobEnded?(listener: () => void): void;
  close(): Promise<void>;
}
