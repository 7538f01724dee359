/**
 * The bucket policy tick: puts arriving runs into buckets and closes open buckets when a limit of
 * config/production.yaml `buckets:` is reached.
 *
 * Runs (of the configured run types, in run order) go to
 * 1. the bucket of their experiment whose range covers them (a late run of a closed bucket stays with it);
 * 2. else the open bucket of their experiment (its `firstRun` moves down if the run is below it and above every
 *    closed bucket, so ranges stay contiguous);
 * 3. else a new open bucket `e<exp>_bucket<n+1>` starting at the run (when `auto_open`), if the run lies above every
 *    bucket of the experiment; a run in a gap between closed buckets is left for the manager and logged.
 *
 * An open bucket closes when its runs span `max_duration_hours` (first start to last end), reach
 * `max_luminosity_pb` or `max_runs`, or no run arrived for `idle_hours`. The run that reaches the limit is the last
 * run of the bucket.
 */
import type { Deps } from '../../deps.ts';
import { bucketName } from '../../domain/bucket-stages.ts';
import { SYSTEM_ACTOR } from '../../domain/roles.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { transitionBucket } from './transition-bucket.ts';
import { inTransaction } from '../../db/transaction.ts';

const HOUR = 3600_000;
const RUNS_PER_TICK = 20_000;

interface OpenStats {
  id: number;
  name: string;
  stage: string;
  exp: number;
  firstRun: number;
  maxRun: number | null;
  runs: number;
  luminosity: number;
  minStart: Date | null;
  maxEnd: Date | null;
}

export interface PolicyResult {
  assigned: number;
  opened: string[];
  closed: Array<{ bucket: string; reason: string }>;
  orphans: Array<{ exp: number; run: number }>;
}

function closeReason(deps: Deps, b: OpenStats): string | null {
  const p = deps.production.buckets;
  if (p.maxRuns !== null && b.runs >= p.maxRuns) return `runs: ${b.runs} runs reached the limit of ${p.maxRuns}`;
  if (p.maxLuminosityPb !== null && b.luminosity >= p.maxLuminosityPb) return `luminosity: ${b.luminosity.toFixed(3)} /pb reached the limit of ${p.maxLuminosityPb} /pb`;
  if (p.maxDurationHours !== null && b.minStart && b.maxEnd) {
    const h = (b.maxEnd.getTime() - b.minStart.getTime()) / HOUR;
    if (h >= p.maxDurationHours) return `duration: runs span ${h.toFixed(1)} h, the limit is ${p.maxDurationHours} h`;
  }
  return null;
}

async function openStats(deps: Deps, b: { id: number; name: string; stage: string; exp: number; firstRun: number }): Promise<OpenStats> {
  const a = await deps.prisma.run.aggregate({
    where: { bucketId: b.id },
    _count: { _all: true },
    _sum: { luminosity: true },
    _min: { startTime: true },
    _max: { endTime: true, run: true },
  });
  return { ...b, runs: a._count._all, luminosity: a._sum.luminosity ?? 0, minStart: a._min.startTime, maxEnd: a._max.endTime, maxRun: a._max.run };
}

async function close(deps: Deps, b: OpenStats, reason: string, result: PolicyResult): Promise<void> {
  if (b.maxRun === null) return;
  const moved = await transitionBucket(deps, b, 'closed', SYSTEM_ACTOR, {
    reason: `policy: ${reason}`,
    set: { lastRun: b.maxRun, closedAt: deps.clock.now(), closedBy: SYSTEM_ACTOR.user, closeReason: reason.split(':')[0] },
    details: { runs: b.runs, luminosity: b.luminosity, lastRun: b.maxRun },
  });
  if (moved) result.closed.push({ bucket: b.name, reason });
}

export async function applyBucketPolicy(deps: Deps): Promise<PolicyResult> {
  const { prisma, production, clock, logger } = deps;
  const result: PolicyResult = { assigned: 0, opened: [], closed: [], orphans: [] };
  const runs = await prisma.run.findMany({
    where: { bucketId: null, type: { in: production.buckets.runTypes } },
    orderBy: [{ exp: 'asc' }, { run: 'asc' }],
    select: { id: true, exp: true, run: true, startTime: true, endTime: true, luminosity: true },
    take: RUNS_PER_TICK,
  });
  const openByExp = new Map<number, OpenStats>();
  for (const r of runs) {
    const buckets = await prisma.bucket.findMany({ where: { exp: r.exp }, select: { id: true, name: true, stage: true, exp: true, firstRun: true, lastRun: true, seq: true }, orderBy: { firstRun: 'asc' } });
    const covering = buckets.find((b) => b.lastRun !== null && b.firstRun <= r.run && r.run <= b.lastRun);
    let target: { id: number; name: string } | undefined = covering;
    let open = buckets.find((b) => b.stage === 'open');
    if (!target && open) {
      const closedAbove = buckets.some((b) => b.lastRun !== null && b.lastRun >= r.run);
      if (r.run >= open.firstRun) target = open;
      else if (!closedAbove) {
        await prisma.bucket.updateMany({ where: { id: open.id, stage: 'open' }, data: { firstRun: r.run } });
        target = open;
      }
    }
    if (!target && !open && production.buckets.autoOpen && buckets.every((b) => (b.lastRun ?? b.firstRun) < r.run)) {
      const seq = Math.max(0, ...buckets.map((b) => b.seq)) + 1;
      const name = bucketName(r.exp, seq);
      const created = await inTransaction(deps, async (tx) => {
        const b = await tx.bucket.create({ data: { name, exp: r.exp, seq, firstRun: r.run, stage: 'open', openedAt: clock.now(), stageChangedAt: clock.now() } });
        await recordAudit(tx, SYSTEM_ACTOR, { action: 'bucket.create', targetType: 'bucket', targetId: name, summary: `${name} opened by policy at run ${r.run}`, details: { exp: r.exp, firstRun: r.run }, at: clock.now() });
        return b;
      });
      logger.info('bucket stage', { bucket: name, from: null, to: 'open', reason: `policy: run e${r.exp} r${r.run} arrived and no bucket was open`, actor: SYSTEM_ACTOR.user });
      result.opened.push(name);
      open = { ...created };
      target = created;
    }
    if (!target) {
      result.orphans.push({ exp: r.exp, run: r.run });
      logger.warn('run fits no bucket; left for the data-production manager', { exp: r.exp, run: r.run });
      continue;
    }
    const a = await prisma.run.updateMany({ where: { id: r.id, bucketId: null }, data: { bucketId: target.id } });
    if (a.count === 0) continue;
    result.assigned++;
    if (covering && covering.stage !== 'open') logger.warn('late run assigned to a closed bucket', { bucket: covering.name, stage: covering.stage, exp: r.exp, run: r.run });
    if (open && target.id === open.id) {
      const stats = await openStats(deps, open);
      openByExp.set(r.exp, stats);
      const why = closeReason(deps, stats);
      if (why) {
        await close(deps, stats, why, result);
        openByExp.delete(r.exp);
      }
    }
  }
  // limits that do not need a new run: idle time, and limits changed in the config since
  const stillOpen = await prisma.bucket.findMany({ where: { stage: 'open' }, select: { id: true, name: true, stage: true, exp: true, firstRun: true } });
  for (const b of stillOpen) {
    const stats = await openStats(deps, b);
    let why = closeReason(deps, stats);
    if (!why && production.buckets.idleHours !== null && stats.runs > 0) {
      const last = await prisma.run.findFirst({ where: { bucketId: b.id }, orderBy: { createdAt: 'desc' }, select: { createdAt: true } });
      const idleH = last ? (clock.now().getTime() - last.createdAt.getTime()) / HOUR : 0;
      if (idleH >= production.buckets.idleHours) why = `idle: no run for ${idleH.toFixed(1)} h, the limit is ${production.buckets.idleHours} h`;
    }
    if (why) await close(deps, stats, why, result);
  }
  return result;
}
