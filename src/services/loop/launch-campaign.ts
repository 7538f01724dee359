/**
 * The data-production manager launches a bucket's reprocessing campaign (or the system, where config says campaigns
 * launch themselves): created → launched, the bucket blessed → reprocessing, in one transaction. The campaign's mDST
 * jobs (one per selected run × raw-file chunk, reading the blessed tag through an exported local database) are then
 * created with idempotency keys, and the campaign is running; if that is interrupted, the campaign-progress tick
 * finishes it.
 */
import type { Deps } from '../../deps.ts';
import { conflict, forbidden, ruleViolation } from '../../domain/errors.ts';
import { campaignLifecycle } from '../../domain/reprocessing.ts';
import type { Actor } from '../../domain/roles.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { transitionBucket } from '../buckets/transition-bucket.ts';
import { campaignView, findCampaign } from './campaigns.ts';
import { planCampaignJobs } from './campaign-progress.ts';
import { inTransaction } from '../../db/transaction.ts';

export async function launchCampaign(deps: Deps, actor: Actor, ref: string | number) {
  if (actor.role !== 'data_production_manager') {
    throw forbidden(`only the data-production manager launches reprocessing (${actor.user} acts as ${actor.role})`);
  }
  const c = await findCampaign(deps, ref);
  campaignLifecycle.assert(c.state, 'launched');
  const now = deps.clock.now();
  await inTransaction(deps, async (tx) => {
    // a bucket's final reprocessing moves the bucket (blessed, or failed by an aborted earlier campaign); a campaign
    // over a run range leaves the buckets of its runs alone
    const bucket = c.bucketId === null ? null : await tx.bucket.findUniqueOrThrow({ where: { id: c.bucketId } });
    if (bucket && bucket.stage !== 'blessed' && bucket.stage !== 'failed') throw ruleViolation(`bucket ${bucket.name} is ${bucket.stage}, not blessed`);
    const r = await tx.reprocessingCampaign.updateMany({
      where: { id: c.id, state: 'created' },
      data: { state: 'launched', stateChangedAt: now, launchedAt: now, launchedBy: actor.user },
    });
    if (r.count === 0) throw conflict(`campaign ${c.id} was launched or aborted meanwhile`);
    if (bucket) await transitionBucket(deps, bucket, 'reprocessing', actor, { reason: `reprocessing campaign ${c.id} launched with ${c.tagName}`, tx, required: true });
    await recordAudit(tx, actor, {
      action: 'campaign.launch',
      targetType: 'campaign',
      targetId: c.id,
      summary: `reprocessing campaign ${c.id} (${c.name}) launched with ${c.tagChain.join(' > ')}${c.release ? ` and release ${c.release}` : ''}`,
      details: { bucket: bucket?.name ?? null, name: c.name, tagChain: c.tagChain, release: c.release },
      at: now,
    });
  });
  deps.logger.info('campaign launched', { campaign: c.id, by: actor.user, tag: c.tagName });
  try {
    await planCampaignJobs(deps, c.id);
  } catch (e) {
    deps.logger.warn('campaign jobs not planned yet; the campaign tick retries', { campaign: c.id, error: (e as Error).message });
  }
  return campaignView(deps, await findCampaign(deps, c.id));
}
