/**
 * The campaign tick: finishes the launch of launched campaigns (creates their jobs, idempotently) and follows running
 * campaigns to the end. When every job has ended the campaign is finished (bucket → done) or, when more than the
 * configured fraction of its runs failed, failed (bucket → failed, with the reason); either way a notification goes
 * out. While running, a campaign whose failed runs pass the warning threshold notifies once.
 */
import type { Deps } from '../../deps.ts';
import { campaignLifecycle, isFailingBeyond, settleCampaign } from '../../domain/reprocessing.ts';
import { coerceError } from '../../domain/errors.ts';
import { SYSTEM_ACTOR } from '../../domain/roles.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { transitionBucket } from '../buckets/transition-bucket.ts';
import { campaignPlan, campaignProgress, findCampaign } from './campaigns.ts';
import { loopConfig } from './loop-config.ts';
import { enqueueNotification } from './notify.ts';
import { createPhaseJobs } from './jobs-port.ts';
import { inTransaction } from '../../db/transaction.ts';

/** Creates the jobs of a launched campaign (idempotent) and moves it to running. */
export async function planCampaignJobs(deps: Deps, campaignId: number): Promise<boolean> {
  const c = await findCampaign(deps, campaignId);
  if (c.state !== 'launched') return false;
  const runs = campaignPlan(c).filter((p) => p.selected).map((p) => ({ exp: p.exp, run: p.run }));
  // the runs of a range campaign may lie in several buckets: jobs are planned bucket by bucket
  const located = await deps.prisma.run.findMany({ where: { OR: runs.map((r) => ({ exp: r.exp, run: r.run })), bucketId: { not: null } }, select: { exp: true, run: true, bucketId: true } });
  const byBucket = new Map<number, { exp: number; run: number }[]>();
  for (const r of located) byBucket.set(r.bucketId!, [...(byBucket.get(r.bucketId!) ?? []), { exp: r.exp, run: r.run }]);
  const created = { total: 0 };
  for (const b of await deps.prisma.bucket.findMany({ where: { id: { in: [...byBucket.keys()] } }, orderBy: { id: 'asc' } })) {
    const r = await createPhaseJobs(deps, { phase: 'reprocessing', bucket: b, runs: byBucket.get(b.id)!, tagChain: c.tagChain, campaign: { id: c.id, release: c.release } });
    created.total += r.total;
  }
  const now = deps.clock.now();
  return inTransaction(deps, async (tx) => {
    campaignLifecycle.assert(c.state, 'running');
    const r = await tx.reprocessingCampaign.updateMany({ where: { id: c.id, state: 'launched' }, data: { state: 'running', stateChangedAt: now } });
    if (r.count === 0) return false;
    await recordAudit(tx, SYSTEM_ACTOR, {
      action: 'campaign.running',
      targetType: 'campaign',
      targetId: c.id,
      summary: `reprocessing campaign ${c.id} (${c.name}): ${created.total} job(s) for ${runs.length} run(s) in ${byBucket.size} bucket(s)`,
      details: { jobs: created.total, runs: runs.length, buckets: byBucket.size, runsInNoBucket: runs.length - located.length },
      at: now,
    });
    deps.logger.info('campaign running', { campaign: c.id, name: c.name, jobs: created.total, runs: runs.length });
    return true;
  });
}

export interface TrackResult {
  planned: number[];
  finished: number[];
  failed: number[];
  warned: number[];
  problems: { campaign: number; error: string }[];
}

export async function trackCampaigns(deps: Deps): Promise<TrackResult> {
  const out: TrackResult = { planned: [], finished: [], failed: [], warned: [], problems: [] };
  const settings = loopConfig(deps).reprocessing;
  const active = await deps.prisma.reprocessingCampaign.findMany({ where: { state: { in: ['launched', 'running'] } }, orderBy: { id: 'asc' } });
  for (const c of active) {
    try {
      if (c.state === 'launched') {
        if (await planCampaignJobs(deps, c.id)) out.planned.push(c.id);
        continue;
      }
      const { progress } = await campaignProgress(deps, c);
      const bucket = c.bucketId === null ? { id: null, name: c.name } : await deps.prisma.bucket.findUniqueOrThrow({ where: { id: c.bucketId } });
      const now = deps.clock.now();
      if (c.warnedAt === null && isFailingBeyond(progress, settings.warnFailedFraction)) {
        const warned = await inTransaction(deps, async (tx) => {
          const r = await tx.reprocessingCampaign.updateMany({ where: { id: c.id, warnedAt: null }, data: { warnedAt: now } });
          if (r.count === 0) return false;
          const failed = progress.perRun.filter((p) => p.status === 'failed');
          await enqueueNotification(tx, {
            key: `reprocessing-failing:${c.id}`,
            kind: 'reprocessing_failing',
            message:
              `Reprocessing of ${bucket.name} (campaign ${c.id}) is failing: ${progress.runs.failed} of ${progress.runs.selected} run(s) failed ` +
              `(threshold ${Math.round(settings.warnFailedFraction * 100)}%): ${failed.slice(0, 5).map((f) => `run ${f.run}: ${f.reason}`).join('; ')}`,
            payload: { campaign: c.id, bucket: bucket.name, failedRuns: failed.map((f) => f.run) },
            at: now,
          });
          return true;
        });
        if (warned) out.warned.push(c.id);
      }
      const next = settleCampaign(progress, settings.failFailedFraction);
      if (!next) continue;
      const settled = await inTransaction(deps, async (tx) => {
        const r = await tx.reprocessingCampaign.updateMany({
          where: { id: c.id, state: 'running' },
          data: {
            state: next,
            stateChangedAt: now,
            finishedAt: now,
            endedBy: SYSTEM_ACTOR.user,
            endReason: next === 'failed' ? `${progress.runs.failed} of ${progress.runs.selected} run(s) failed` : null,
          },
        });
        if (r.count === 0) return false;
        const fresh = bucket.id === null ? null : await tx.bucket.findUniqueOrThrow({ where: { id: bucket.id } });
        const summary = `${progress.runs.done} run(s) done, ${progress.runs.failed} failed, ${progress.runs.skipped} skipped; ${progress.events.out} events`;
        if (fresh && fresh.stage === 'reprocessing') {
          if (next === 'finished') {
            await transitionBucket(deps, fresh, 'done', SYSTEM_ACTOR, { reason: `reprocessing campaign ${c.id} finished: ${summary}`, tx, required: true });
          } else {
            const data = { failure: `reprocessing campaign ${c.id} failed: ${summary}`, failedFrom: 'reprocessing' };
            await transitionBucket(deps, fresh, 'failed', SYSTEM_ACTOR, { reason: `reprocessing campaign ${c.id} failed: ${summary}`, tx, required: true, data });
          }
        }
        await recordAudit(tx, SYSTEM_ACTOR, {
          action: `campaign.${next}`,
          targetType: 'campaign',
          targetId: c.id,
          summary: `reprocessing campaign ${c.id} of ${bucket.name} ${next}: ${summary}`,
          details: { runs: progress.runs, jobs: progress.jobs, events: progress.events },
          at: now,
        });
        await enqueueNotification(tx, {
          key: `reprocessing-${next}:${c.id}`,
          kind: next === 'finished' ? 'reprocessing_finished' : 'reprocessing_failing',
          message: `Reprocessing of ${bucket.name} (campaign ${c.id}, tag ${c.tagName}) ${next}: ${summary}. Report: calibloop reprocess report ${c.id}`,
          payload: { campaign: c.id, bucket: bucket.name, state: next, runs: progress.runs, events: progress.events },
          at: now,
        });
        return true;
      });
      if (settled) {
        (next === 'finished' ? out.finished : out.failed).push(c.id);
        deps.logger.info(`campaign ${next}`, { campaign: c.id, bucket: bucket.name, runs: progress.runs });
      }
    } catch (e) {
      const err = coerceError(e);
      out.problems.push({ campaign: c.id, error: err.message });
      deps.logger.warn('campaign tick problem', { campaign: c.id, error: err.message });
    }
  }
  return out;
}
