/**
 * The data-production manager re-creates an aborted campaign: a new campaign under the same name, over the same runs
 * with the same tag chain, release and requirements, its runs selected again from the same good-run lists (a list
 * corrected since is taken as it is now). The aborted campaign stays as it was, for the record; the new one's jobs and
 * outputs are its own (`campaign_<id>`), so nothing of the aborted attempt is reused or overwritten.
 */
import type { Deps } from '../../deps.ts';
import { conflict, forbidden, ruleViolation } from '../../domain/errors.ts';
import type { RunRequirements } from '../../domain/reprocessing.ts';
import type { Actor } from '../../domain/roles.ts';
import { campaignView, findCampaign } from './campaigns.ts';
import { insertCampaign } from './create-campaign.ts';

export async function recreateCampaign(deps: Deps, actor: Actor, ref: string, input: { reason?: string } = {}) {
  if (actor.role !== 'data_production_manager') {
    throw forbidden(`only the data-production manager re-creates reprocessing campaigns (${actor.user} acts as ${actor.role})`);
  }
  const c = await findCampaign(deps, ref);
  if (c.state !== 'aborted') throw conflict(`campaign ${c.id} is ${c.state}; only an aborted campaign can be re-created`);
  const bucket = c.bucketId === null ? null : await deps.prisma.bucket.findUniqueOrThrow({ where: { id: c.bucketId } });
  if (bucket && bucket.stage !== 'failed' && bucket.stage !== 'blessed') {
    throw ruleViolation(`bucket ${bucket.name} is ${bucket.stage}; its reprocessing can be re-created while it is blessed or failed`);
  }
  const source = (c.runSource ?? {}) as { tags?: string[] };
  const exp = c.exp ?? bucket?.exp;
  const firstRun = c.firstRun ?? bucket?.firstRun;
  const lastRun = c.lastRun ?? bucket?.lastRun ?? firstRun;
  if (exp === undefined || firstRun === undefined || lastRun === undefined) throw ruleViolation(`campaign ${c.id} records no run range`);
  const row = await insertCampaign(
    deps,
    actor,
    {
      name: c.name,
      kind: c.kind === 'sproc' ? 'sproc' : 'bucket',
      bucketId: c.bucketId,
      exp,
      firstRun,
      lastRun,
      tagName: c.tagName,
      tagChain: c.tagChain,
      release: c.release,
      requirements: c.requirements as unknown as RunRequirements,
      goodRunTags: source.tags?.length ? source.tags : [c.tagName],
      recreatedFrom: c.id,
    },
    {
      action: 'campaign.recreate',
      summary: (selected, skipped) => `campaign ${c.name} re-created from aborted campaign ${c.id}: ${selected} run(s) selected, ${skipped} skipped${input.reason ? `: ${input.reason}` : ''}`,
    },
  );
  deps.logger.info('campaign re-created', { campaign: row.id, from: c.id, name: c.name, by: actor.user });
  return campaignView(deps, row);
}
