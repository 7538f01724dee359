/**
 * The Slurm executor's end watcher: Slurm tells nobody when a job ends, so while the executor has tasks it believes
 * queued or running (submitted by it, or seen so by `poll` — after a restart the job engine's poll of its in-flight
 * jobs brings them here), it asks Slurm every `intervalMs` which of them are still in a live state, with one squeue
 * call for all of them (per 200 arrays). A task no longer listed has ended, or slurmctld forgot it: the listeners
 * hear "a job may have ended" and the job engine runs its tick now instead of at its next firing.
 *
 * The watcher never decides a job's outcome or moves it: the engine's poll reads the outcome (squeue, exit file,
 * sacct) and records it, as it does at every tick — the tick stays the safety net for anything missed here
 * (a requeued task still PENDING, a listener that threw). Nothing is asked when nobody listens or nothing is live.
 * squeue errors are logged once per streak and back off (doubling up to `maxBackoffMs`); timers are unref'd so the
 * watcher never keeps a process alive.
 */
import type { Logger } from '../observability/logger.ts';
import type { TaskSet } from './slurm-cli.ts';
import { SLURM_JOB_STATES, SLURM_STATE_TABLE } from '../domain/slurm-states.ts';

/** Slurm states in which a task has not ended: the ones the state table maps to queued or running. */
export const LIVE_SLURM_STATES: readonly string[] = SLURM_JOB_STATES.filter((s) => {
  const st = SLURM_STATE_TABLE[s].state;
  return st === 'queued' || st === 'running';
});

export interface SlurmEndWatcherOptions {
  /** time between two squeue calls; 0 turns the watcher off (the job tick alone follows Slurm jobs) */
  intervalMs: number;
  /** longest wait between two calls while squeue keeps failing */
  maxBackoffMs?: number;
  logger?: Logger;
}

const ID_RE = /^(\d+)_(\d+)$/;

export class SlurmEndWatcher {
  private readonly watched = new Set<string>();
  private readonly listeners: Array<() => void> = [];
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;
  private failures = 0;
  private closed = false;
  /** squeue calls made (tests and diagnostics: one per interval, whatever the number of tasks) */
  calls = 0;

  constructor(
    private readonly listLive: (arrayIds: string[]) => Promise<TaskSet>,
    private readonly opts: SlurmEndWatcherOptions,
  ) {}

  /** Executor ids (`<array>_<task>`) believed queued or running. */
  watch(ids: Iterable<string>): void {
    for (const id of ids) if (ID_RE.test(id)) this.watched.add(id);
    this.schedule(this.opts.intervalMs);
  }

  /** Ids known to have ended (poll saw their outcome): no need to ask about them again. */
  forget(ids: Iterable<string>): void {
    for (const id of ids) this.watched.delete(id);
  }

  onEnded(listener: () => void): void {
    this.listeners.push(listener);
    this.schedule(this.opts.intervalMs);
  }

  /** Tasks currently watched. */
  get size(): number {
    return this.watched.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  private schedule(delayMs: number): void {
    if (this.closed || this.timer || this.inFlight || this.opts.intervalMs <= 0) return;
    if (this.watched.size === 0 || this.listeners.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.inFlight = this.check().finally(() => {
        this.inFlight = undefined;
        const backoff = this.opts.intervalMs * 2 ** Math.min(this.failures, 10);
        this.schedule(Math.min(backoff, Math.max(this.opts.intervalMs, this.opts.maxBackoffMs ?? 60_000)));
      });
    }, delayMs);
    this.timer.unref();
  }

  /** One squeue for every watched task; only tasks watched before the call are judged (a newer one may be missing). */
  private async check(): Promise<void> {
    const ids = [...this.watched];
    const arrays = [...new Set(ids.map((id) => id.slice(0, id.indexOf('_'))))];
    let live: TaskSet;
    try {
      this.calls++;
      live = await this.listLive(arrays);
    } catch (e) {
      if (this.failures++ === 0) {
        this.opts.logger?.warn('slurm: squeue for job ends failed; retrying with backoff (the job tick still follows the jobs)', { error: (e as Error).message });
      }
      return;
    }
    if (this.failures > 0) this.opts.logger?.info('slurm: squeue for job ends answers again', { failedCalls: this.failures });
    this.failures = 0;
    const ended = ids.filter((id) => {
      const [, arrayId, task] = ID_RE.exec(id)!;
      return !live.has(arrayId!, Number(task));
    });
    if (ended.length === 0) return;
    this.forget(ended);
    for (const l of this.listeners) {
      try {
        l();
      } catch (e) {
        this.opts.logger?.warn('slurm: a job-ended listener threw', { error: (e as Error).message });
      }
    }
  }
}
