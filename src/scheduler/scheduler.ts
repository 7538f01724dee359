/**
 * Scheduled work. A node-cron callback only claims the tick and calls a service. Claims are an atomic UPDATE on the
 * Schedule row with a lease (as pg-boss does), so with several server instances each tick runs once; every tick is an
 * idempotent service that looks at stored state (deadlines, job states), so a missed tick is simply caught up by the
 * next one after downtime. `lastRunAt` is recorded to show it.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Deps } from '../deps.ts';
import { coerceError } from '../domain/errors.ts';

export interface TickDefinition {
  name: string;
  /** node-cron expression (seconds field allowed) */
  cron: string;
  /** how long a claim is held before another instance may take over a tick whose holder died */
  leaseMs?: number;
  run: (deps: Deps) => Promise<unknown>;
}

export interface TickOutcome {
  ran: boolean;
  result?: unknown;
  error?: string;
}

export class Scheduler {
  private tasks: ScheduledTask[] = [];
  private running = new Map<string, Promise<TickOutcome>>();
  constructor(
    private deps: Deps,
    private ticks: TickDefinition[],
  ) {}

  start(): void {
    for (const t of this.ticks) {
      this.tasks.push(cron.schedule(t.cron, () => void this.runOnce(t.name), { name: t.name, noOverlap: true }));
    }
    this.deps.logger.info('scheduler started', { ticks: this.ticks.map((t) => `${t.name} (${t.cron})`), instance: this.deps.config.instanceId });
  }

  async stop(): Promise<void> {
    for (const t of this.tasks) await t.stop();
    this.tasks = [];
    await Promise.allSettled(this.running.values());
  }

  /** Claims and runs one tick now. Returns ran=false when another instance (or this one) holds it. */
  runOnce(name: string): Promise<TickOutcome> {
    const inFlight = this.running.get(name);
    if (inFlight) return inFlight.then(() => ({ ran: false }));
    const p = this.claimAndRun(name).finally(() => this.running.delete(name));
    this.running.set(name, p);
    return p;
  }

  private async claimAndRun(name: string): Promise<TickOutcome> {
    const tick = this.ticks.find((t) => t.name === name);
    if (!tick) throw new Error(`unknown tick ${name}`);
    const { prisma, clock, config, logger, metrics } = this.deps;
    const now = clock.now();
    const leaseUntil = new Date(now.getTime() + (tick.leaseMs ?? 5 * 60_000));
    // INSERT … ON CONFLICT DO NOTHING: two instances meeting a schedule for the first time must not collide.
    await prisma.schedule.createMany({ data: [{ name }], skipDuplicates: true });
    const claimed = await prisma.schedule.updateMany({
      where: { name, OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] },
      data: { lockedBy: config.instanceId, lockedUntil: leaseUntil },
    });
    if (claimed.count === 0) return { ran: false };
    try {
      const result = await tick.run(this.deps);
      await prisma.schedule.updateMany({ where: { name, lockedBy: config.instanceId }, data: { lastRunAt: clock.now(), lockedBy: null, lockedUntil: null, lastError: null } });
      metrics.tickRuns.inc({ schedule: name, outcome: 'ok' });
      return { ran: true, result };
    } catch (e) {
      const err = coerceError(e);
      logger.error('scheduled tick failed', { schedule: name, error: err.message, stack: err.stack });
      metrics.tickRuns.inc({ schedule: name, outcome: 'error' });
      await prisma.schedule
        .updateMany({ where: { name, lockedBy: config.instanceId }, data: { lockedBy: null, lockedUntil: null, lastError: err.message } })
        .catch(() => {});
      return { ran: true, error: err.message };
    }
  }
}
