/**
 * An attempt ended: verify, classify, decide, and record it, in one transaction per job.
 *
 *   exit 0 → output verification → succeeded (outputs registered) | failure of class software
 *   anything else → error class (src/domain/error-classes.ts) → retry decision (src/domain/retry-policy.ts)
 *     → created again (backoff / more memory) | failed | held; input errors flag the raw file named (if it is an
 *       input of the job) and its run, and cancel the not-yet-started jobs reading it; conditions errors flag nothing
 *
 * The move is compare-and-set on (id, state, attempts); if a manager aborted the job meanwhile, nothing is written.
 */
import type { Deps } from '../../deps.ts';
import type { ExecutorStatus } from '../../executors/executor.ts';
import { readTail } from '../../executors/read-tail.ts';
import { classifyFailure, type FailureFacts } from '../../domain/error-classes.ts';
import { decideRetry } from '../../domain/retry-policy.ts';
import { coerceError } from '../../domain/errors.ts';
import type { JobState } from '../../domain/job-states.ts';
import { flagInputError } from '../runs/flag-input-error.ts';
import { cancelJobsReading, settleCancelledSiblings, type CancelledSiblings } from './cancel-jobs-reading.ts';
import { emitJobTransitions, moveJob, type JobTransition } from './job-transition.ts';
import { parseSummary, verifyOutputs, type VerifiedOutput } from './verify-outputs.ts';
import { inTransaction } from '../../db/transaction.ts';

export interface ActiveJob {
  id: number;
  step: string;
  variant: string;
  state: string;
  attempts: number;
  maxAttempts: number;
  memoryMb: number;
  bucketId: number | null;
  exp: number | null;
  run: number | null;
  inputs: string[];
  outputs: string[];
  logPath: string | null;
  executor: string | null;
  executorJobId: string | null;
  submittedAt: Date | null;
  startedAt: Date | null;
}

interface AttemptBase {
  jobId: number;
  attempt: number;
  executor: string;
  executorJobId: string | null;
  memoryMb: number;
  submittedAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date;
  exitCode: number | null;
  endReason: string | null;
  logPath: string | null;
  wallS: number | null;
  cpuS: number | null;
  peakRssMb: number | null;
  inputBytes: bigint | null;
  outputBytes: bigint | null;
}

const big = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? null : BigInt(Math.round(n)));

/** The attempt's measured use; wall time from the engine's start and end where it measured nothing itself. */
export function attemptResources(status: ExecutorStatus, startedAt: Date | null, finishedAt: Date) {
  const r = status.resources ?? {};
  const wall = r.wallS ?? (startedAt ? (finishedAt.getTime() - startedAt.getTime()) / 1000 : undefined);
  return {
    wallS: wall === undefined || wall < 0 ? null : wall,
    cpuS: r.cpuS ?? null,
    peakRssMb: r.peakRssMb === undefined ? null : Math.round(r.peakRssMb),
    inputBytes: big(r.inputBytes),
    outputBytes: big(r.outputBytes),
  };
}

const MESSAGE_RE = /(input error|software error|usage error):.*$/;

/**
 * The program's own error if it reported one (the toolkit's JSON summary `{"error":{"message"}}`, or an
 * `… error: …` line), else the last line of output, with the engine's detail.
 */
export function failureMessage(logPath: string | null, status: ExecutorStatus, outputProblem?: string): string {
  if (outputProblem) return outputProblem;
  const tail = logPath ? readTail(logPath, 16 * 1024) : '';
  const summary = parseSummary(tail) as { error?: { message?: unknown } } | undefined;
  const reported = typeof summary?.error?.message === 'string' ? summary.error.message : undefined;
  const lines = tail.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const own = [...lines].reverse().map((l) => MESSAGE_RE.exec(l)?.[0]).find((m) => m !== undefined);
  const last = [...lines].reverse().find((l) => !l.startsWith('{'));
  const engine = status.reason && status.reason !== 'exit' ? `${status.reason}: ${status.detail ?? ''}`.trim() : status.detail ?? '';
  return [reported ?? own ?? last, engine].filter(Boolean).join(' — ').slice(0, 4000) || 'failed without a message';
}

export async function applyOutcome(deps: Deps, job: ActiveJob, status: ExecutorStatus): Promise<JobTransition | null> {
  const now = deps.clock.now();
  const finishedAt = status.finishedAt ?? now;
  const startedAt = status.startedAt ?? job.startedAt ?? null;
  const attemptBase: AttemptBase = {
    jobId: job.id,
    attempt: job.attempts,
    executor: job.executor ?? deps.executor.name,
    executorJobId: job.executorJobId,
    memoryMb: job.memoryMb,
    submittedAt: job.submittedAt,
    startedAt,
    finishedAt,
    exitCode: status.exitCode ?? null,
    endReason: status.reason ?? null,
    logPath: job.logPath,
    ...attemptResources(status, startedAt, finishedAt),
  };

  let outputProblem: string | undefined;
  if (status.state === 'succeeded') {
    let verification;
    try {
      verification = await verifyOutputs(job.outputs, job.logPath);
    } catch (e) {
      verification = { ok: false as const, problem: `output verification failed: ${coerceError(e).message}` };
    }
    if (verification.ok) {
      const s = verification.summary;
      const t = await succeed(deps, job, verification.outputs, {
        exitCode: 0,
        endReason: 'exit',
        finishedAt,
        startedAt,
        eventsIn: Number.isInteger(s?.eventsIn) ? BigInt(s!.eventsIn as number) : null,
        eventsOut: Number.isInteger(s?.eventsOut) ? BigInt(s!.eventsOut as number) : null,
        attemptBase,
      });
      if (t !== 'conflict') return t;
      outputProblem = 'an output path is already registered by another job';
    } else {
      outputProblem = verification.problem;
    }
  }

  const message = failureMessage(job.logPath, status, outputProblem);
  const facts: FailureFacts = { reason: status.reason ?? (status.state === 'lost' ? 'lost' : 'exit'), exitCode: status.exitCode ?? null, detail: status.detail ?? null, outputProblem: outputProblem ?? null, message };
  const { errorClass, rule } = classifyFailure(facts);
  const decision = decideRetry(deps.production.retry, { errorClass, attempts: job.attempts, maxAttempts: job.maxAttempts, memoryMb: job.memoryMb, now });
  const to: JobState = decision.action === 'retry' ? 'created' : decision.action === 'hold' ? 'held' : 'failed';
  let flagged: string[] = [];
  let siblings: CancelledSiblings = { moved: [] };
  const transition = await inTransaction(deps, async (tx) => {
    const t = await moveJob(
      tx,
      job,
      to,
      {
        exitCode: status.exitCode ?? null,
        endReason: facts.reason ?? null,
        errorClass,
        errorMessage: message,
        finishedAt,
        ...(startedAt ? { startedAt } : {}),
        ...(decision.action === 'retry' ? { notBefore: decision.notBefore, memoryMb: decision.memoryMb } : {}),
      },
      { why: decision.why, details: { errorClass, rule } },
    );
    if (!t) return null;
    await tx.jobAttempt.create({
      data: { ...attemptBase, outcome: status.state === 'cancelled' ? 'cancelled' : 'failed', errorClass, message, decision: decision.action },
    });
    if (errorClass === 'input') {
      flagged = await flagInputError(tx, { jobId: job.id, step: job.step, inputs: job.inputs, message, at: now });
      siblings = await cancelJobsReading(tx, { jobId: job.id, bucketId: job.bucketId, step: job.step, files: flagged, at: now });
    }
    return t;
  });
  if (transition && flagged.length > 0) transition.details = { ...transition.details, flaggedCorrupt: flagged, cancelledReaders: siblings.moved.length };
  emitJobTransitions(deps, [transition]);
  await settleCancelledSiblings(deps, siblings, { jobId: job.id });
  return transition;
}

async function succeed(
  deps: Deps,
  job: ActiveJob,
  outputs: VerifiedOutput[],
  r: { exitCode: number; endReason: string; finishedAt: Date; startedAt: Date | null; eventsIn: bigint | null; eventsOut: bigint | null; attemptBase: AttemptBase },
): Promise<JobTransition | null | 'conflict'> {
  const result = await inTransaction(deps, async (tx) => {
    const taken = await tx.outputFile.findMany({ where: { path: { in: outputs.map((o) => o.path) }, jobId: { not: job.id } }, select: { path: true, jobId: true } });
    if (taken.length > 0) return 'conflict' as const;
    const t = await moveJob(tx, job, 'succeeded', {
      exitCode: r.exitCode,
      endReason: r.endReason,
      finishedAt: r.finishedAt,
      ...(r.startedAt ? { startedAt: r.startedAt } : {}),
      eventsIn: r.eventsIn,
      eventsOut: r.eventsOut,
      errorClass: null,
      errorMessage: null,
      notBefore: null,
    });
    if (!t) return null;
    await tx.outputFile.deleteMany({ where: { jobId: job.id } });
    await tx.outputFile.createMany({
      data: outputs.map((o) => ({ jobId: job.id, bucketId: job.bucketId, step: job.step, variant: job.variant, exp: job.exp, run: job.run, path: o.path, size: o.size, sha256: o.sha256, events: o.events })),
    });
    // the engine may not see the outputs (Slurm without accounting): their verified sizes are the output bytes
    const outputBytes = r.attemptBase.outputBytes ?? outputs.reduce((s, o) => s + o.size, 0n);
    await tx.jobAttempt.create({ data: { ...r.attemptBase, outputBytes, outcome: 'succeeded', decision: 'none' } });
    t.details = { outputs: outputs.length, eventsOut: r.eventsOut === null ? null : Number(r.eventsOut) };
    return t;
  });
  if (result !== 'conflict') emitJobTransitions(deps, [result]);
  return result;
}
