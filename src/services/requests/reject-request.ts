/** The calibration manager rejects an algorithm request, with a comment the expert reads. */
import type { Deps } from '../../deps.ts';
import { inTransaction } from '../../db/transaction.ts';
import { conflict, invalid, notFound } from '../../domain/errors.ts';
import { requestLifecycle } from '../../domain/calibration-states.ts';
import { assertCalibrationManager, type Actor } from '../../domain/roles.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { toRequestView, type RequestView } from './request-view.ts';

export async function rejectRequest(deps: Deps, actor: Actor, id: number, comment: string): Promise<RequestView> {
  assertCalibrationManager(actor, 'reject algorithm requests');
  if (!comment || !comment.trim()) throw invalid('a rejection needs a comment for the expert', [{ path: 'body.comment', message: 'required' }]);
  const now = deps.clock.now();
  const { row, bucket } = await inTransaction(deps, async (tx) => {
    const req = await tx.algorithmRequest.findUnique({ where: { id } });
    if (!req) throw notFound(`algorithm request ${id}`);
    requestLifecycle.assert(req.state, 'rejected');
    const moved = await tx.algorithmRequest.updateMany({
      where: { id, state: 'submitted' },
      data: { state: 'rejected', decidedBy: actor.user, decidedAt: now, decisionComment: comment.trim() },
    });
    if (moved.count === 0) throw conflict(`algorithm request ${id} was decided meanwhile`);
    await recordAudit(tx, actor, {
      action: 'request.reject',
      targetType: 'algorithm_request',
      targetId: id,
      summary: `${actor.user} rejected request ${id} (${req.calibration}) of ${req.submittedBy}: ${comment.trim()}`,
      details: { submittedBy: req.submittedBy, comment: comment.trim() },
      at: now,
    });
    const bucket = req.bucketId !== null ? await tx.bucket.findUnique({ where: { id: req.bucketId } }) : null;
    return { row: await tx.algorithmRequest.findUniqueOrThrow({ where: { id } }), bucket };
  });
  return toRequestView(row, bucket?.name ?? null);
}
