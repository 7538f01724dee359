/**
 * The data-production manager creates a special-processing campaign ("sProc"): a reprocessing of an arbitrary run
 * range, across buckets, with a chosen tag chain and software release. Its runs are selected from the blessed
 * good-run lists (the `GoodRunList` payloads) of the chain — or of the tags named in `goodRunTags` — by the detector
 * requirements, every skipped run with its reason. The campaign starts `created`; launching it is the same as for a
 * bucket's reprocessing (`reprocess launch`), but it moves no bucket. Its jobs and outputs are its own
 * (`campaign_<id>`), so campaigns over the same runs never share a key or an output file.
 */
import { z } from 'zod';
import { nameSchema } from '../../domain/names.ts';
import type { Deps } from '../../deps.ts';
import { DEFAULT_REQUIREMENTS, type RunRequirements } from '../../domain/reprocessing.ts';
import { conflict, forbidden, invalid } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { loopConfig } from './loop-config.ts';
import { campaignView } from './campaigns.ts';
import { selectCampaignRuns } from './good-run-list.ts';
import { inTransaction, type Tx } from '../../db/transaction.ts';

const TagName = z.string().min(1).max(200);

export const CreateCampaignSchema = z.strictObject({
  name: nameSchema('campaign name', 100),
  exp: z.number().int().min(0),
  firstRun: z.number().int().min(0),
  lastRun: z.number().int().min(0),
  tagChain: z.array(TagName).min(1).max(20).describe('global tags the jobs read, highest priority first'),
  release: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.+-]{0,99}$/, 'a release name such as release-08-02-00'),
  goodRunTags: z.array(TagName).min(1).max(50).optional().describe('tags whose GoodRunList payloads select the runs (default: the tag chain)'),
  requirements: z
    .strictObject({ runTypes: z.array(z.string().min(1)).min(1).optional(), requireGood: z.array(z.string().min(1)).optional(), acceptUgly: z.boolean().optional() })
    .optional(),
  reason: z.string().max(2000).optional(),
});
export type CreateCampaignInput = z.infer<typeof CreateCampaignSchema>;

export interface NewCampaign {
  name: string;
  kind: 'bucket' | 'sproc';
  bucketId: number | null;
  exp: number;
  firstRun: number;
  lastRun: number;
  /** the tag the campaign is known by (the blessed final tag); default: the first of the chain */
  tagName?: string;
  tagChain: string[];
  release: string | null;
  requirements: RunRequirements;
  goodRunTags: string[];
  recreatedFrom?: number;
}

export type CampaignSelection = Awaited<ReturnType<typeof selectCampaignRuns>>;

export function selectionFor(deps: Deps, c: NewCampaign): Promise<CampaignSelection> {
  return selectCampaignRuns(deps, { tags: c.goodRunTags, exp: c.exp, firstRun: c.firstRun, lastRun: c.lastRun, requirements: c.requirements });
}

/**
 * Inserts the campaign with its run selection and audit event; a live campaign of the same name is a conflict. A
 * caller with its own transaction selects first (`selectionFor`): nothing outside a transaction may run while it is
 * open (PGlite has one connection).
 */
export async function insertCampaign(
  deps: Deps,
  actor: Actor,
  c: NewCampaign,
  audit: { action: string; summary: (selected: number, skipped: number) => string },
  opts: { tx?: Tx; selection?: CampaignSelection } = {},
) {
  const { plan, source } = opts.selection ?? (await selectionFor(deps, c));
  const tx = opts.tx;
  const now = deps.clock.now();
  const write = async (t: Tx) => {
    if (await t.reprocessingCampaign.findFirst({ where: { name: c.name, state: { not: 'aborted' } }, select: { id: true } })) {
      throw conflict(`a campaign named ${c.name} exists and is not aborted`);
    }
    const row = await t.reprocessingCampaign.create({
      data: {
        name: c.name,
        kind: c.kind,
        bucketId: c.bucketId,
        exp: c.exp,
        firstRun: c.firstRun,
        lastRun: c.lastRun,
        tagName: c.tagName ?? c.tagChain[0]!,
        tagChain: c.tagChain,
        release: c.release,
        state: 'created',
        stateChangedAt: now,
        requirements: JSON.parse(JSON.stringify(c.requirements)),
        runPlan: JSON.parse(JSON.stringify(plan)),
        runSource: JSON.parse(JSON.stringify(source)),
        recreatedFrom: c.recreatedFrom ?? null,
        createdAt: now,
        createdBy: actor.user,
      },
    });
    const selected = plan.filter((p) => p.selected).length;
    await recordAudit(t, actor, {
      action: audit.action,
      targetType: 'campaign',
      targetId: row.id,
      summary: audit.summary(selected, plan.length - selected),
      details: { ...c, plan, runSource: source },
      at: now,
    });
    return row;
  };
  return tx ? write(tx) : inTransaction(deps, write);
}

export async function createRangeCampaign(deps: Deps, actor: Actor, raw: unknown) {
  if (actor.role !== 'data_production_manager') {
    throw forbidden(`only the data-production manager creates reprocessing campaigns (${actor.user} acts as ${actor.role})`);
  }
  const input = CreateCampaignSchema.parse(raw);
  if (input.lastRun < input.firstRun) throw invalid('lastRun is before firstRun', [{ path: 'body.lastRun', message: `must be ≥ ${input.firstRun}` }]);
  const tags = await deps.prisma.globalTag.findMany({ where: { name: { in: [...input.tagChain, ...(input.goodRunTags ?? [])] } }, select: { name: true, state: true } });
  const known = new Map(tags.map((t) => [t.name, t.state]));
  for (const [i, t] of input.tagChain.entries()) {
    if (!known.has(t)) throw invalid(`global tag ${t} not found`, [{ path: `body.tagChain.${i}`, message: 'unknown tag' }]);
    if (known.get(t) === 'INVALID') throw invalid(`global tag ${t} is INVALID and never used for processing`, [{ path: `body.tagChain.${i}`, message: 'INVALID tag' }]);
  }
  for (const [i, t] of (input.goodRunTags ?? []).entries()) {
    if (!known.has(t)) throw invalid(`global tag ${t} not found`, [{ path: `body.goodRunTags.${i}`, message: 'unknown tag' }]);
  }
  const requirements: RunRequirements = { ...DEFAULT_REQUIREMENTS, ...loopConfig(deps).reprocessing.requirements, ...(input.requirements ?? {}) };
  const row = await insertCampaign(
    deps,
    actor,
    { name: input.name, kind: 'sproc', bucketId: null, exp: input.exp, firstRun: input.firstRun, lastRun: input.lastRun, tagChain: input.tagChain, release: input.release, requirements, goodRunTags: input.goodRunTags ?? input.tagChain },
    {
      action: 'campaign.create',
      summary: (selected, skipped) =>
        `special processing ${input.name} of e${input.exp} r${input.firstRun}-${input.lastRun} with ${input.tagChain.join(' > ')} and ${input.release}: ${selected} run(s) selected, ${skipped} skipped${input.reason ? `: ${input.reason}` : ''}`,
    },
  );
  deps.logger.info('campaign created', { campaign: row.id, name: row.name, by: actor.user });
  return campaignView(deps, row);
}
