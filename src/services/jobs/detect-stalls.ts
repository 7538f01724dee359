/**
 * Stall detection. A running job is stalled when
 * - it shows no progress: its log has not grown for `stall_after_s` (the heartbeat is the last time it did), or
 * - it runs past its wall-clock limit (+10 % and a minute): the engine should have ended it and did not.
 * The executor is asked about it first (it may just have finished); if it still claims the job runs, the job is
 * cancelled at the executor and ends as `lost` / `timeout`, a site error, retried with backoff like any other.
 * Logs are only looked at for jobs whose heartbeat is getting old, so a large running set costs few stat calls.
 */
import { stat } from 'node:fs/promises';
import type { Deps } from '../../deps.ts';
import type { ExecutorStatus } from '../../executors/executor.ts';
import { coerceError } from '../../domain/errors.ts';
import { applyOutcome } from './apply-outcome.ts';
import { ACTIVE_JOB_SELECT, toActiveJob } from './poll-jobs.ts';

const CHECK_LIMIT = 2000;

async function logSize(path: string | null): Promise<bigint> {
  if (!path) return 0n;
  try {
    return BigInt((await stat(path)).size);
  } catch {
    return 0n;
  }
}

export async function detectStalls(deps: Deps): Promise<{ checked: number; stalled: number }> {
  const { prisma, executor, production, clock, logger } = deps;
  const now = clock.now();
  const stallMs = production.jobs.stallAfterS * 1000;
  const lookAfter = new Date(now.getTime() - stallMs / 4);
  const rows = await prisma.job.findMany({
    where: { state: 'running', executor: executor.name, executorJobId: { not: null }, OR: [{ heartbeatAt: null }, { heartbeatAt: { lt: lookAfter } }] },
    select: { ...ACTIVE_JOB_SELECT, heartbeatAt: true, logSize: true, timeLimitS: true },
    orderBy: { heartbeatAt: 'asc' },
    take: CHECK_LIMIT,
  });
  const suspects: Array<{ row: (typeof rows)[number]; why: ExecutorStatus }> = [];
  for (const r of rows) {
    const overTime = r.startedAt && now.getTime() - r.startedAt.getTime() > r.timeLimitS * 1100 + 60_000;
    if (overTime) {
      suspects.push({ row: r, why: { executorJobId: r.executorJobId!, state: 'failed', reason: 'timeout', detail: `stalled: still running ${Math.round((now.getTime() - r.startedAt!.getTime()) / 1000)} s after start, past its ${r.timeLimitS} s limit` } });
      continue;
    }
    const size = await logSize(r.logPath);
    if (r.logSize === null || size !== r.logSize) {
      await prisma.job.updateMany({ where: { id: r.id, state: 'running', attempts: r.attempts }, data: { heartbeatAt: now, logSize: size } });
      continue;
    }
    const last = r.heartbeatAt ?? r.startedAt ?? now;
    if (now.getTime() - last.getTime() >= stallMs) {
      suspects.push({ row: r, why: { executorJobId: r.executorJobId!, state: 'lost', reason: 'lost', detail: `stalled: no progress (log unchanged) for ${Math.round((now.getTime() - last.getTime()) / 1000)} s` } });
    }
  }
  if (suspects.length === 0) return { checked: rows.length, stalled: 0 };
  let statuses: Map<string, ExecutorStatus>;
  try {
    statuses = await executor.poll(suspects.map((s) => s.row.executorJobId!));
  } catch (e) {
    logger.warn('stall check: executor unreachable, nothing concluded', { error: coerceError(e).message });
    return { checked: rows.length, stalled: 0 };
  }
  let stalled = 0;
  for (const s of suspects) {
    const st = statuses.get(s.row.executorJobId!);
    const stillRunning = st && (st.state === 'running' || st.state === 'queued');
    if (stillRunning) {
      await executor.cancel([s.row.executorJobId!]).catch((e) => logger.warn('stall check: cancel failed', { jobId: s.row.id, error: coerceError(e).message }));
    }
    const outcome = stillRunning || !st ? s.why : st;
    if (stillRunning) logger.warn('job stalled', { jobId: s.row.id, step: s.row.step, detail: s.why.detail });
    const t = await applyOutcome(deps, toActiveJob(s.row), outcome);
    if (t) stalled++;
  }
  return { checked: rows.length, stalled };
}
