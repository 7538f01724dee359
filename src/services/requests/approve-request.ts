/**
 * The calibration manager approves an algorithm request: the request becomes `approved` and a CalibrationRun for its
 * bucket (or run range) starts `waiting`, with the request's expert_config overrides. It supersedes the calibration's
 * earlier run in that bucket once it produces payloads. A bucket waiting for approval goes back to `calibrating`.
 */
import type { Deps } from '../../deps.ts';
import { inTransaction } from '../../db/transaction.ts';
import { conflict, notFound, ruleViolation } from '../../domain/errors.ts';
import { requestLifecycle } from '../../domain/calibration-states.ts';
import { assertCalibrationManager, type Actor } from '../../domain/roles.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { calibrationSetup, definitionOf, loopTags } from '../calibration/calibration-config.ts';
import { currentRunsOfBucket, ensureCalibrationRun } from '../calibration/calibration-runs.ts';
import { transitionBucket } from '../buckets/transition-bucket.ts';
import { calibrationIsOver } from './submit-request.ts';
import { toRequestView, type RequestView } from './request-view.ts';

export async function approveRequest(deps: Deps, actor: Actor, id: number, comment?: string): Promise<RequestView> {
  assertCalibrationManager(actor, 'approve algorithm requests');
  const setup = calibrationSetup(deps.config);
  const now = deps.clock.now();
  const { request, bucketName } = await inTransaction(deps, async (tx) => {
    const req = await tx.algorithmRequest.findUnique({ where: { id } });
    if (!req) throw notFound(`algorithm request ${id}`);
    requestLifecycle.assert(req.state, 'approved');
    const definition = definitionOf(setup, req.calibration);
    const bucket = await tx.bucket.findUnique({ where: { id: req.bucketId ?? -1 } });
    if (!bucket) throw notFound(`bucket of request ${id}`);
    if (calibrationIsOver(bucket)) {
      throw ruleViolation(`bucket ${bucket.name} is ${bucket.stage}: its calibration is over; reject the request or use the fix window`);
    }
    const { current } = await currentRunsOfBucket(tx, bucket.id);
    const cur = current.get(req.calibration);
    if (cur && (cur.state === 'waiting' || cur.state === 'running')) {
      throw conflict(`${req.calibration} is ${cur.state} in ${bucket.name} (run ${cur.id}); approve the request when it has finished`);
    }
    const moved = await tx.algorithmRequest.updateMany({
      where: { id, state: 'submitted' },
      data: { state: 'approved', decidedBy: actor.user, decidedAt: now, decisionComment: comment ?? null },
    });
    if (moved.count === 0) throw conflict(`algorithm request ${id} was decided meanwhile`);
    const tags = loopTags(setup, bucket.name);
    const { row } = await ensureCalibrationRun(tx, {
      bucket,
      definition,
      requestId: req.id,
      scope: { exp: req.firstExp ?? bucket.exp, firstRun: req.firstRun ?? bucket.firstRun, lastRun: req.lastRun ?? bucket.lastRun },
      state: 'waiting',
      overrides: req.expertConfig as Record<string, unknown>,
      tagChain: tags.calibrationChain,
      stagingTag: tags.staging,
      message: `requested by ${req.submittedBy}: ${req.reason}`,
      createdBy: actor.user,
      at: now,
    });
    const updated = await tx.algorithmRequest.update({ where: { id }, data: { calibrationRunId: row.id } });
    await recordAudit(tx, actor, {
      action: 'request.approve',
      targetType: 'algorithm_request',
      targetId: id,
      summary: `${actor.user} approved request ${id} (${req.calibration} on ${bucket.name}); calibration run ${row.id} waits`,
      details: { calibrationRunId: row.id, comment: comment ?? null, expertConfig: row.expertConfig },
      at: now,
    });
    if (bucket.stage === 'awaiting_approval') {
      await transitionBucket(deps, bucket, 'calibrating', actor, { reason: `request ${id} approved: ${req.calibration} runs again`, tx, required: true });
    }
    return { request: updated, bucketName: bucket.name };
  });
  deps.logger.info('algorithm request approved', { requestId: id, calibrationRunId: request.calibrationRunId, by: actor.user });
  return toRequestView(request, bucketName);
}
