/**
 * The one place a CalibrationRun changes stage: compare-and-set on (id, state), the request that asked for it follows,
 * one audit event and one structured log line per move. Runs inside the caller's transaction.
 */
import type { Logger } from '../../observability/logger.ts';
import { conflict } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { SYSTEM_ACTOR } from '../../domain/roles.ts';
import { calibrationLifecycle, isFinishedCalibration, requestStateFor, type CalibrationStage } from '../../domain/calibration-states.ts';
import { recordAudit } from '../audit/record-audit.ts';
import type { Db } from '../../db/transaction.ts';

/** The typed event of a move (logged and audited). */
export interface CalibrationTransitionEvent {
  type: 'calibration.transition';
  calibrationRunId: number;
  bucketId: number;
  calibration: string;
  from: string;
  to: CalibrationStage;
  reason: string;
}

export interface TransitionInput {
  run: { id: number; bucketId: number; calibration: string; state: string; requestId: number | null };
  to: CalibrationStage;
  reason: string;
  at: Date;
  actor?: Actor;
  /** extra columns to set with the move (iteration, startedAt, ...) */
  data?: { iteration?: number; startedAt?: Date; message?: string | null };
  details?: Record<string, unknown>;
}

export async function transitionCalibration(tx: Db, logger: Logger, input: TransitionInput): Promise<CalibrationTransitionEvent> {
  const { run, to, reason, at } = input;
  calibrationLifecycle.assert(run.state, to);
  const moved = await tx.calibrationRun.updateMany({
    where: { id: run.id, state: run.state },
    data: {
      state: to,
      stateChangedAt: at,
      message: input.data?.message === undefined ? reason : input.data.message,
      ...(input.data?.iteration !== undefined ? { iteration: input.data.iteration } : {}),
      ...(input.data?.startedAt ? { startedAt: input.data.startedAt } : {}),
      ...(isFinishedCalibration(to) ? { finishedAt: at } : { finishedAt: null }),
    },
  });
  if (moved.count === 0) {
    throw conflict(`calibration run ${run.id} (${run.calibration}) is no longer ${run.state}; someone else moved it first`);
  }
  const requestState = requestStateFor(to);
  if (run.requestId !== null && requestState) {
    await tx.algorithmRequest.updateMany({
      where: { id: run.requestId, state: { in: requestState === 'running' ? ['approved'] : ['approved', 'running'] } },
      data: { state: requestState },
    });
  }
  const event: CalibrationTransitionEvent = {
    type: 'calibration.transition',
    calibrationRunId: run.id,
    bucketId: run.bucketId,
    calibration: run.calibration,
    from: run.state,
    to,
    reason,
  };
  await recordAudit(tx, input.actor ?? SYSTEM_ACTOR, {
    action: `calibration.${to}`,
    targetType: 'calibration_run',
    targetId: run.id,
    summary: `${run.calibration}: ${run.state} → ${to}: ${reason}`,
    details: { ...event, ...(input.details ?? {}) },
    at,
  });
  logger.info('calibration transition', event);
  return event;
}
