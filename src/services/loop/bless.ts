/**
 * The calibration manager blesses a bucket's final tag: the tag gains the bucket's good-run list as a payload
 * (src/domain/good-run-list.ts), becomes PUBLISHED (immutable, used for physics) and a reprocessing campaign is
 * created for the bucket — the good runs of that list by the campaign's detector requirements (every skipped run with
 * its reason), with the blessed tag. Refused while the fix window is open,
 * before the final tag is assembled, and when the bucket was already blessed. Launches the campaign itself where
 * `config/reprocessing.yaml` says `auto_launch: true`.
 */
import type { Deps } from '../../deps.ts';
import { DomainError, conflict, ruleViolation } from '../../domain/errors.ts';
import { isAcceptingFixes } from '../../domain/fix-window.ts';
import type { RunRequirements } from '../../domain/reprocessing.ts';
import { SYSTEM_ACTOR, type Actor } from '../../domain/roles.ts';
import { resolveTagChain } from '../../config/globaltags-schema.ts';
import { findBucket, loopData } from '../buckets/bucket-data.ts';
import { transitionBucket } from '../buckets/transition-bucket.ts';
import { loopConfig } from './loop-config.ts';
import { enqueueNotification } from './notify.ts';
import { conditionsPort } from '../conditions/store-conditions.ts';
import { launchCampaign } from './launch-campaign.ts';
import { campaignPlan, campaignView } from './campaigns.ts';
import { inTransaction } from '../../db/transaction.ts';
import { insertCampaign, selectionFor, type NewCampaign } from './create-campaign.ts';
import { attachGoodRunList, buildGoodRunList } from './good-run-list.ts';

const ALREADY_BLESSED = ['blessed', 'reprocessing', 'done'];

export async function blessBucket(
  deps: Deps,
  actor: Actor,
  bucketRef: string,
  input: { comment?: string; requirements?: Partial<RunRequirements> } = {},
) {
  const bucket = await findBucket(deps.prisma, bucketRef);
  const window = await deps.prisma.fixWindow.findUnique({ where: { bucketId: bucket.id } });
  const now = deps.clock.now();
  if (ALREADY_BLESSED.includes(bucket.stage) || (bucket.stage === 'failed' && loopData(bucket).blessedAt)) {
    throw conflict(`bucket ${bucket.name} is already blessed (by ${loopData(bucket).blessedBy ?? 'someone'} at ${loopData(bucket).blessedAt ?? '?'})`);
  }
  if (window && window.state === 'open') {
    const until = isAcceptingFixes(window, now) ? `until ${window.deadline.toISOString()}` : 'until the next fix-window tick closes it';
    throw ruleViolation(`the fix window of ${bucket.name} is still open (${until}); bless after it closes or close it early`);
  }
  if (bucket.stage === 'fix_window') {
    const pending = window ? await deps.prisma.fix.count({ where: { windowId: window.id, state: 'pending' } }) : 0;
    throw ruleViolation(
      `the final tag of ${bucket.name} is not assembled yet${pending ? ` (${pending} fix(es) wait for a decision)` : ' (the fix-window tick assembles it)'}`,
    );
  }
  if (bucket.stage !== 'awaiting_blessing') {
    throw ruleViolation(`bucket ${bucket.name} is ${bucket.stage}; only a bucket awaiting blessing can be blessed`);
  }
  const cfg = loopConfig(deps);
  const finalTag = loopData(bucket).finalTag;
  if (!finalTag) throw new DomainError('RULE_VIOLATION', `bucket ${bucket.name} has no final tag recorded`);
  const requirements: RunRequirements = { ...cfg.reprocessing.requirements, ...(input.requirements ?? {}) };

  // the good-run list becomes conditions data in the final tag before it is published; the campaign then selects its
  // runs from the list as read back from the tag, so what was blessed is what is reprocessed
  await attachGoodRunList(deps, actor, bucket, finalTag, await buildGoodRunList(deps, bucket, { tag: finalTag, actor, at: now }));
  await conditionsPort(deps).publishTag({ tag: finalTag, actor, reason: `blessed final tag of ${bucket.name}${input.comment ? `: ${input.comment}` : ''}` });

  const tagChain = resolveTagChain(cfg.globalTags, 'reprocessing', bucket.name);
  const spec: NewCampaign = { name: `${bucket.name}_reprocessing`, kind: 'bucket', bucketId: bucket.id, exp: bucket.exp, firstRun: bucket.firstRun, lastRun: bucket.lastRun ?? bucket.firstRun, tagName: finalTag, tagChain, release: null, requirements, goodRunTags: [finalTag] };
  const selection = await selectionFor(deps, spec);
  const campaign = await inTransaction(deps, async (tx) => {
    const fresh = await tx.bucket.findUniqueOrThrow({ where: { id: bucket.id } });
    const c = await insertCampaign(
      deps,
      actor,
      spec,
      { action: 'campaign.create', summary: (selected, skipped) => `reprocessing campaign for ${bucket.name} with ${finalTag}: ${selected} run(s) selected, ${skipped} skipped` },
      { tx, selection },
    );
    await transitionBucket(deps, fresh, 'blessed', actor, { reason: `final tag ${finalTag} blessed${input.comment ? `: ${input.comment}` : ''}`, tx, required: true, progress: { area: 'loop', values: { blessedAt: now.toISOString(), blessedBy: actor.user, campaignId: c.id } } });
    const plan = campaignPlan(c);
    const selected = plan.filter((p) => p.selected).length;
    await enqueueNotification(tx, {
      key: `blessed:${bucket.name}`,
      kind: 'blessed',
      message:
        `${actor.user} blessed ${finalTag} (${bucket.name}). Reprocessing campaign ${c.id}: ${selected} run(s), ${plan.length - selected} skipped.` +
        (cfg.reprocessing.autoLaunch ? ' It launches itself.' : ` Launch: calibloop reprocess launch ${c.id}`),
      payload: { bucket: bucket.name, tag: finalTag, campaign: c.id, selected, skipped: plan.length - selected },
      at: now,
    });
    return c;
  });
  deps.logger.info('bucket blessed', { bucket: bucket.name, tag: finalTag, campaign: campaign.id, by: actor.user });
  if (cfg.reprocessing.autoLaunch) {
    await launchCampaign(deps, { ...SYSTEM_ACTOR, role: 'data_production_manager' }, campaign.id);
  }
  const c = await deps.prisma.reprocessingCampaign.findUniqueOrThrow({ where: { id: campaign.id } });
  return { bucket: bucket.name, finalTag, campaign: await campaignView(deps, c) };
}
