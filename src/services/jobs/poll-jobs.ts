/**
 * Asks the executor about every job it holds (submitted or running, with an executor id), in pages of `poll_batch`
 * ids per call, and applies what it says: queued/running refresh the heartbeat (submitted → running on the first
 * "running"), anything final goes through `applyOutcome`. An id the executor does not answer for is `lost`.
 */
import type { Deps } from '../../deps.ts';
import type { ExecutorStatus } from '../../executors/executor.ts';
import { coerceError } from '../../domain/errors.ts';
import { applyOutcome, type ActiveJob } from './apply-outcome.ts';
import { emitJobTransitions, type JobTransition } from './job-transition.ts';
import { markStarted } from './sql/submission.ts';

export const ACTIVE_JOB_SELECT = {
  id: true,
  step: true,
  variant: true,
  state: true,
  attempts: true,
  maxAttempts: true,
  memoryMb: true,
  bucketId: true,
  exp: true,
  run: true,
  inputs: true,
  outputs: true,
  logPath: true,
  executor: true,
  executorJobId: true,
  submittedAt: true,
  startedAt: true,
} as const;

export function toActiveJob(r: Record<string, unknown>): ActiveJob {
  return { ...(r as unknown as ActiveJob), inputs: (r.inputs as string[]) ?? [], outputs: (r.outputs as string[]) ?? [] };
}

export interface PollResult {
  polled: number;
  started: number;
  finished: number;
  unreachable: boolean;
}

export async function pollActiveJobs(deps: Deps): Promise<PollResult> {
  const { prisma, executor, production, clock, logger } = deps;
  const result: PollResult = { polled: 0, started: 0, finished: 0, unreachable: false };
  let afterId = 0;
  for (;;) {
    const rows = await prisma.job.findMany({
      where: { state: { in: ['submitted', 'running'] }, executor: executor.name, executorJobId: { not: null }, id: { gt: afterId } },
      select: ACTIVE_JOB_SELECT,
      orderBy: { id: 'asc' },
      take: production.jobs.pollBatch,
    });
    if (rows.length === 0) break;
    afterId = rows[rows.length - 1].id;
    let statuses: Map<string, ExecutorStatus>;
    try {
      statuses = await executor.poll(rows.map((r) => r.executorJobId!));
    } catch (e) {
      // the executor is down: never conclude anything about the jobs from that
      logger.warn('executor poll failed; job states unchanged', { executor: executor.name, error: coerceError(e).message });
      result.unreachable = true;
      break;
    }
    result.polled += rows.length;
    const now = clock.now();
    const alive: number[] = [];
    const started: Array<{ id: number; at: Date }> = [];
    const ended: Array<{ job: ActiveJob; status: ExecutorStatus }> = [];
    for (const r of rows) {
      const st = statuses.get(r.executorJobId!) ?? { executorJobId: r.executorJobId!, state: 'lost', reason: 'lost', detail: 'the executor did not answer for this job' };
      if (st.state === 'queued') alive.push(r.id);
      else if (st.state === 'running') {
        if (r.state === 'submitted') started.push({ id: r.id, at: st.startedAt ?? now });
      } else ended.push({ job: toActiveJob(r), status: st });
    }
    if (started.length > 0) {
      const moved = await markStarted(prisma, { now, started });
      emitJobTransitions(deps, moved.map((m): JobTransition => ({ jobId: m.id, step: m.step, from: 'submitted', to: 'running', attempt: m.attempts })));
      result.started += moved.length;
    }
    if (alive.length > 0) {
      // a queued job is alive as far as anyone can tell; running ones prove progress through their log (stalls.ts)
      await prisma.job.updateMany({ where: { id: { in: alive }, state: 'submitted' }, data: { heartbeatAt: now } });
    }
    for (const e of ended) {
      try {
        const t = await applyOutcome(deps, e.job, e.status);
        if (t) result.finished++;
      } catch (err) {
        logger.error('could not apply a job outcome; will retry on the next poll', { jobId: e.job.id, error: coerceError(err).message });
      }
    }
    if (rows.length < production.jobs.pollBatch) break;
  }
  return result;
}
