/**
 * The data-production manager aborts a reprocessing campaign: no new job starts, the running ones are cancelled
 * (best effort, through the job engine), and the bucket — if it was reprocessing — is marked failed with the reason,
 * so it shows up as needing attention instead of silently staying half-done.
 */
import type { Deps } from '../../deps.ts';
import { conflict, forbidden, invalid } from '../../domain/errors.ts';
import { campaignLifecycle } from '../../domain/reprocessing.ts';
import type { Actor } from '../../domain/roles.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { transitionBucket } from '../buckets/transition-bucket.ts';
import { campaignView, findCampaign } from './campaigns.ts';
import { cancelCampaignJobs } from './jobs-port.ts';
import { inTransaction } from '../../db/transaction.ts';

export async function abortCampaign(deps: Deps, actor: Actor, ref: string, input: { reason: string }) {
  if (actor.role !== 'data_production_manager') {
    throw forbidden(`only the data-production manager aborts reprocessing (${actor.user} acts as ${actor.role})`);
  }
  const reason = input.reason?.trim();
  if (!reason) throw invalid('an abort needs a reason', [{ path: 'body.reason', message: 'required' }]);
  const c = await findCampaign(deps, ref);
  campaignLifecycle.assert(c.state, 'aborted');
  const now = deps.clock.now();
  await inTransaction(deps, async (tx) => {
    const r = await tx.reprocessingCampaign.updateMany({
      where: { id: c.id, state: c.state },
      data: { state: 'aborted', stateChangedAt: now, finishedAt: now, endedBy: actor.user, endReason: reason },
    });
    if (r.count === 0) throw conflict(`campaign ${c.id} changed meanwhile`);
    const bucket = c.bucketId === null ? null : await tx.bucket.findUniqueOrThrow({ where: { id: c.bucketId } });
    if (bucket && bucket.stage === 'reprocessing') {
      const data = { failure: `reprocessing campaign ${c.id} aborted by ${actor.user}: ${reason}`, failedFrom: 'reprocessing' };
      await transitionBucket(deps, bucket, 'failed', actor, { reason: `reprocessing campaign ${c.id} aborted: ${reason}`, tx, required: true, data });
    }
    await recordAudit(tx, actor, {
      action: 'campaign.abort',
      targetType: 'campaign',
      targetId: c.id,
      summary: `reprocessing campaign ${c.id} (${c.name}) aborted: ${reason}`,
      details: { bucket: bucket?.name ?? null, name: c.name, from: c.state, reason },
      at: now,
    });
  });
  const cancelled = await cancelCampaignJobs(deps, actor, c.id, `reprocessing campaign ${c.id} aborted: ${reason}`);
  deps.logger.info('campaign aborted', { campaign: c.id, by: actor.user, reason, cancelledJobs: cancelled });
  return { ...(await campaignView(deps, await findCampaign(deps, c.id))), cancelledJobs: cancelled };
}
