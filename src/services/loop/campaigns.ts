/**
 * Reading reprocessing campaigns: `reprocess list|show|report`. The report answers what the data-production manager
 * is asked afterwards: which runs were done, failed (and why) or skipped (and why), how many events, with which tag.
 */
import type { Deps } from '../../deps.ts';
import { notFound, unknownName } from '../../domain/errors.ts';
import { aggregateProgress, type PlannedRun } from '../../domain/reprocessing.ts';

type CampaignRow = NonNullable<Awaited<ReturnType<Deps['prisma']['reprocessingCampaign']['findUnique']>>>;

export function campaignPlan(c: { runPlan: unknown }): PlannedRun[] {
  return Array.isArray(c.runPlan) ? (c.runPlan as PlannedRun[]) : [];
}

export async function campaignProgress(deps: Deps, c: CampaignRow) {
  const jobs = await deps.prisma.job.findMany({
    where: { campaignId: c.id },
    select: { id: true, exp: true, run: true, state: true, errorClass: true, errorMessage: true, eventsIn: true, eventsOut: true },
  });
  return { progress: aggregateProgress(campaignPlan(c), jobs), jobs };
}

export async function campaignView(deps: Deps, c: CampaignRow) {
  const bucket = c.bucketId === null ? null : await deps.prisma.bucket.findUnique({ where: { id: c.bucketId }, select: { name: true, stage: true } });
  const { progress } = await campaignProgress(deps, c);
  return {
    id: c.id,
    name: c.name,
    kind: c.kind,
    bucket: bucket?.name ?? (c.bucketId === null ? null : String(c.bucketId)),
    bucketStage: bucket?.stage ?? null,
    runRange: c.exp === null ? null : { exp: c.exp, firstRun: c.firstRun, lastRun: c.lastRun },
    release: c.release,
    runSource: c.runSource,
    recreatedFrom: c.recreatedFrom,
    state: c.state,
    tag: c.tagName,
    tagChain: c.tagChain,
    createdAt: c.createdAt.toISOString(),
    createdBy: c.createdBy,
    launchedAt: c.launchedAt?.toISOString() ?? null,
    launchedBy: c.launchedBy,
    finishedAt: c.finishedAt?.toISOString() ?? null,
    endedBy: c.endedBy,
    endReason: c.endReason,
    requirements: c.requirements,
    runs: progress.runs,
    jobs: progress.jobs,
    events: progress.events,
  };
}

/** A campaign by id (a number), or by its name or its bucket's name (a string, even an all-digit one). */
export async function findCampaign(deps: Deps, ref: string | number): Promise<CampaignRow> {
  let c: CampaignRow | null = null;
  if (typeof ref === 'number') c = await deps.prisma.reprocessingCampaign.findUnique({ where: { id: ref } });
  else {
    // by name: the live campaign of that name, else the latest (aborted) one; by bucket name: the bucket's latest
    c =
      (await deps.prisma.reprocessingCampaign.findFirst({ where: { name: ref, state: { not: 'aborted' } } })) ??
      (await deps.prisma.reprocessingCampaign.findFirst({ where: { name: ref }, orderBy: { id: 'desc' } }));
    if (!c) {
      const bucket = await deps.prisma.bucket.findUnique({ where: { name: ref } });
      if (bucket) c = await deps.prisma.reprocessingCampaign.findFirst({ where: { bucketId: bucket.id, kind: 'bucket' }, orderBy: { id: 'desc' } });
    }
  }
  if (!c) throw typeof ref === 'number' ? notFound(`reprocessing campaign ${ref}`) : unknownName('campaign', ref);
  return c;
}

export async function listCampaigns(deps: Deps, filter: { state?: string } = {}) {
  const rows = await deps.prisma.reprocessingCampaign.findMany({ where: filter.state ? { state: filter.state } : {}, orderBy: { id: 'desc' } });
  return Promise.all(rows.map((c) => campaignView(deps, c)));
}

export async function showCampaign(deps: Deps, ref: string | number) {
  const c = await findCampaign(deps, ref);
  return { ...(await campaignView(deps, c)), runPlan: campaignPlan(c) };
}

export async function campaignReport(deps: Deps, ref: string | number) {
  const c = await findCampaign(deps, ref);
  const view = await campaignView(deps, c);
  const { progress } = await campaignProgress(deps, c);
  const outputs = await deps.prisma.outputFile.aggregate({ where: { job: { campaignId: c.id } }, _count: { _all: true }, _sum: { size: true, events: true } });
  return {
    campaign: c.id,
    bucket: view.bucket,
    state: c.state,
    tag: c.tagName,
    tagChain: c.tagChain,
    launchedBy: c.launchedBy,
    launchedAt: view.launchedAt,
    finishedAt: view.finishedAt,
    endReason: c.endReason,
    summary: {
      runs: progress.runs,
      jobs: progress.jobs,
      events: progress.events,
      outputs: { files: outputs._count._all, bytes: Number(outputs._sum.size ?? 0), events: Number(outputs._sum.events ?? 0) },
    },
    done: progress.perRun.filter((r) => r.status === 'done'),
    failed: progress.perRun.filter((r) => r.status === 'failed'),
    skipped: progress.perRun.filter((r) => r.status === 'skipped'),
    pending: progress.perRun.filter((r) => r.status === 'pending'),
  };
}
