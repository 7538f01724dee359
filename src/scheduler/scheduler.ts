/**
 * Scheduled work. A node-cron callback only claims the tick and calls a service. A tick is owned through something
 * that ends with its owner (`tick-ownership.ts`: PostgreSQL session advisory locks), so with several server instances
 * each tick runs in one at a time, and when an instance dies another takes its ticks at their next firing — seconds,
 * not a lease's length. Every tick is an idempotent service over stored state (deadlines, job states), so a missed
 * tick is simply caught up by the next one after downtime. The Schedule row records who runs it, `lastRunAt` and
 * `lastError`, for people; it decides nothing.
 *
 * Ticks can also be asked to run soon (`trigger`): an event (a job finished, jobs were created) runs the work it
 * makes due at once instead of at the next firing. Triggers are debounced (a burst of events is one run), and a
 * trigger that arrives while the tick runs schedules one more run after it, so no event is missed; the cron firings
 * stay as the safety net.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Deps } from '../deps.ts';
import { coerceError } from '../domain/errors.ts';
import { tickOwnership, type TickOwnership } from './tick-ownership.ts';

export interface TickDefinition {
  name: string;
  /** node-cron expression (seconds field allowed) */
  cron: string;
  run: (deps: Deps) => Promise<unknown>;
  /** ticks to trigger after a run, chosen from its result (e.g. the job engine after jobs were created) */
  then?: (result: unknown) => string[];
}

export interface TickOutcome {
  ran: boolean;
  result?: unknown;
  error?: string;
}

/** How long a trigger waits for more events before the tick runs (a burst of job exits is one pass). */
export const TRIGGER_DEBOUNCE_MS = 25;

export class Scheduler {
  private tasks: ScheduledTask[] = [];
  private running = new Map<string, Promise<TickOutcome>>();
  private pending = new Map<string, NodeJS.Timeout>();
  private again = new Set<string>();
  private started = false;
  private readonly ownership: TickOwnership;

  constructor(
    private deps: Deps,
    private ticks: TickDefinition[],
  ) {
    this.ownership = tickOwnership(deps.db);
  }

  start(): void {
    this.started = true;
    for (const t of this.ticks) {
      this.tasks.push(cron.schedule(t.cron, () => void this.runOnce(t.name), { name: t.name, noOverlap: true }));
    }
    this.deps.logger.info('scheduler started', { ticks: this.ticks.map((t) => `${t.name} (${t.cron})`), instance: this.deps.config.instanceId });
  }

  /** Stops the cron firings and gives up ownership (closes the lock connection: call it before the process ends). */
  async stop(): Promise<void> {
    this.started = false;
    for (const t of this.tasks) await t.stop();
    this.tasks = [];
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    await Promise.allSettled(this.running.values());
    await this.ownership.close();
  }

  /**
   * Runs `name` soon (debounced), if the scheduler is started. Safe to call from any event handler; with the scheduler
   * off (tests drive ticks by hand) it does nothing.
   */
  trigger(name: string): void {
    if (!this.started || !this.ticks.some((t) => t.name === name)) return;
    if (this.running.has(name)) {
      this.again.add(name);
      return;
    }
    if (this.pending.has(name)) return;
    const timer = setTimeout(() => {
      this.pending.delete(name);
      void this.runOnce(name);
    }, TRIGGER_DEBOUNCE_MS);
    timer.unref();
    this.pending.set(name, timer);
  }

  /** Claims and runs one tick now. Returns ran=false when another instance (or this one) holds it. */
  runOnce(name: string): Promise<TickOutcome> {
    const inFlight = this.running.get(name);
    if (inFlight) return inFlight.then(() => ({ ran: false }));
    const p = this.claimAndRun(name).finally(() => {
      this.running.delete(name);
      if (this.again.delete(name)) this.trigger(name);
    });
    this.running.set(name, p);
    return p;
  }

  private async claimAndRun(name: string): Promise<TickOutcome> {
    const tick = this.ticks.find((t) => t.name === name);
    if (!tick) throw new Error(`unknown tick ${name}`);
    const { prisma, clock, config, logger, metrics } = this.deps;
    if (!(await this.ownership.tryAcquire(name))) return { ran: false };
    const endTimer = metrics.tickDuration.startTimer({ schedule: name });
    try {
      // INSERT … ON CONFLICT DO NOTHING: two instances meeting a schedule for the first time must not collide.
      await prisma.schedule.createMany({ data: [{ name }], skipDuplicates: true });
      await prisma.schedule.updateMany({ where: { name }, data: { lockedBy: config.instanceId, lockedUntil: null } });
      const result = await tick.run(this.deps);
      await prisma.schedule.updateMany({ where: { name }, data: { lastRunAt: clock.now(), lockedBy: null, lastError: null } });
      metrics.tickRuns.inc({ schedule: name, outcome: 'ok' });
      endTimer();
      for (const next of tick.then?.(result) ?? []) this.trigger(next);
      return { ran: true, result };
    } catch (e) {
      const err = coerceError(e);
      logger.error('scheduled tick failed', { schedule: name, error: err.message, stack: err.stack });
      metrics.tickRuns.inc({ schedule: name, outcome: 'error' });
      endTimer();
      await prisma.schedule.updateMany({ where: { name }, data: { lockedBy: null, lastError: err.message } }).catch(() => {});
      return { ran: true, error: err.message };
    } finally {
      await this.ownership.release(name);
    }
  }
}
