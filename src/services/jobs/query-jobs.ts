/** Reading jobs: list with filters, one job with its attempts and outputs, its log. */
import type { Deps } from '../../deps.ts';
import { notFound } from '../../domain/errors.ts';
import type { Job } from '../../db/generated/client.ts';
import { readTail } from '../../executors/read-tail.ts';
import { jobFilterWhere, type JobFilter } from './job-filter.ts';

export interface JobRow {
  id: number;
  key: string;
  bucket: string | null;
  step: string;
  variant: string;
  exp: number | null;
  run: number | null;
  chunk: number;
  state: string;
  attempts: number;
  maxAttempts: number;
  priority: number;
  errorClass: string | null;
  errorMessage: string | null;
  exitCode: number | null;
  memoryMb: number;
  executorJobId: string | null;
  notBefore: string | null;
  updatedAt: string;
}

export async function listJobs(deps: Deps, f: JobFilter & { limit?: number; offset?: number }): Promise<{ total: number; jobs: JobRow[] }> {
  const where = await jobFilterWhere(deps, f);
  const [total, rows] = await Promise.all([
    deps.prisma.job.count({ where }),
    deps.prisma.job.findMany({ where, orderBy: { id: 'asc' }, take: Math.min(f.limit ?? 200, 10_000), skip: f.offset ?? 0, include: { bucket: { select: { name: true } } } }),
  ]);
  return {
    total,
    jobs: rows.map((j) => ({ ...jobSummary(j), notBefore: j.notBefore?.toISOString() ?? null, updatedAt: j.updatedAt.toISOString() })),
  };
}

export async function showJob(deps: Deps, id: number) {
  const j = await deps.prisma.job.findUnique({
    where: { id },
    include: { bucket: { select: { name: true } }, attemptsLog: { orderBy: { attempt: 'asc' } }, outputFiles: { orderBy: { path: 'asc' } } },
  });
  if (!j) throw notFound(`job ${id}`);
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return {
    ...jobSummary(j),
    endReason: j.endReason,
    timeLimitS: j.timeLimitS,
    executor: j.executor,
    workDir: j.workDir,
    logPath: j.logPath,
    command: j.command,
    inputs: j.inputs,
    outputs: j.outputs,
    tagChain: j.tagChain,
    eventsIn: j.eventsIn === null ? null : Number(j.eventsIn),
    eventsOut: j.eventsOut === null ? null : Number(j.eventsOut),
    notBefore: iso(j.notBefore),
    submittedAt: iso(j.submittedAt),
    startedAt: iso(j.startedAt),
    finishedAt: iso(j.finishedAt),
    heartbeatAt: iso(j.heartbeatAt),
    createdAt: j.createdAt.toISOString(),
    attemptHistory: j.attemptsLog.map((a) => ({
      attempt: a.attempt,
      outcome: a.outcome,
      errorClass: a.errorClass,
      decision: a.decision,
      exitCode: a.exitCode,
      endReason: a.endReason,
      memoryMb: a.memoryMb,
      message: a.message,
      executorJobId: a.executorJobId,
      startedAt: iso(a.startedAt),
      finishedAt: iso(a.finishedAt),
      logPath: a.logPath,
    })),
    outputFiles: j.outputFiles.map((o) => ({ path: o.path, size: Number(o.size), sha256: o.sha256, events: o.events })),
  };
}

export async function jobLogs(deps: Deps, id: number, opts: { attempt?: number; maxBytes?: number } = {}): Promise<{ id: number; attempt: number; logPath: string | null; text: string }> {
  const j = await deps.prisma.job.findUnique({ where: { id }, select: { id: true, attempts: true, logPath: true, executor: true, executorJobId: true } });
  if (!j) throw notFound(`job ${id}`);
  const maxBytes = Math.min(opts.maxBytes ?? 64 * 1024, 4 * 1024 * 1024);
  let attempt = j.attempts;
  let logPath = j.logPath;
  let executorJobId = j.executorJobId;
  if (opts.attempt !== undefined && opts.attempt !== j.attempts) {
    const a = await deps.prisma.jobAttempt.findUnique({ where: { jobId_attempt: { jobId: id, attempt: opts.attempt } } });
    if (!a) throw notFound(`attempt ${opts.attempt} of job ${id}`);
    attempt = a.attempt;
    logPath = a.logPath;
    executorJobId = a.executorJobId;
  }
  if (!logPath) return { id, attempt, logPath: null, text: '' };
  const text = j.executor === deps.executor.name && executorJobId ? await deps.executor.logs(executorJobId, logPath, maxBytes) : readTail(logPath, maxBytes);
  return { id, attempt, logPath, text };
}

/** The fields a job shows in a list; `showJob` adds the rest. */
function jobSummary(j: Job & { bucket: { name: string } | null }) {
  return {
    id: j.id,
    key: j.idempotencyKey,
    bucket: j.bucket?.name ?? null,
    step: j.step,
    variant: j.variant,
    exp: j.exp,
    run: j.run,
    chunk: j.chunk,
    state: j.state,
    attempts: j.attempts,
    maxAttempts: j.maxAttempts,
    priority: j.priority,
    errorClass: j.errorClass,
    errorMessage: j.errorMessage,
    exitCode: j.exitCode,
    memoryMb: j.memoryMb,
    executorJobId: j.executorJobId,
  };
}
