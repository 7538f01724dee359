/**
 * When every prompt mDST job of a bucket has ended: the bucket's runs are locked (processed with the running tag's
 * conditions, so no running update may touch them any more) and the running tag's first condition-safe run moves
 * past them; the fix window opens with its deadline stored (now + the configured hours), the bucket moves to
 * fix_window, and experts are notified. The lock, the window, the move and the notification are one transaction; the
 * FCSR only ever advances, so repeating the step is harmless.
 */
import type { Deps } from '../../deps.ts';
import { deadlineAfter } from '../../domain/fix-window.ts';
import { coerceError } from '../../domain/errors.ts';
import { SYSTEM_ACTOR } from '../../domain/roles.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { recordBucketProgress } from '../buckets/bucket-data.ts';
import { transitionBucket } from '../buckets/transition-bucket.ts';
import { loopConfig } from './loop-config.ts';
import { enqueueNotification } from './notify.ts';
import { phaseJobStates } from './jobs-port.ts';
import { conditionsPort } from '../conditions/store-conditions.ts';
import { inTransaction } from '../../db/transaction.ts';

export interface FinishPromptResult {
  opened: { bucket: string; deadline: string }[];
  waiting: { bucket: string; active: number }[];
  problems: { bucket: string; error: string }[];
}

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

export async function finishPromptProcessing(deps: Deps): Promise<FinishPromptResult> {
  const out: FinishPromptResult = { opened: [], waiting: [], problems: [] };
  const cfg = loopConfig(deps).globalTags;
  const buckets = await deps.prisma.bucket.findMany({ where: { stage: 'prompt_processing' }, orderBy: { id: 'asc' } });
  for (const bucket of buckets) {
    try {
      const jobs = await phaseJobStates(deps, { phase: 'prompt', bucketId: bucket.id });
      const active = jobs.filter((j) => !FINAL.has(j.state)).length;
      if (active > 0) {
        out.waiting.push({ bucket: bucket.name, active });
        continue;
      }
      const succeeded = jobs.filter((j) => j.state === 'succeeded').length;
      const failed = jobs.length - succeeded;
      const lastRun = bucket.lastRun ?? bucket.firstRun;
      const fcsr = { exp: bucket.exp, run: lastRun + 1 };
      await conditionsPort(deps).advanceFcsr({ tag: cfg.runningTag, fcsr, actor: SYSTEM_ACTOR, reason: `runs ${bucket.exp}/${bucket.firstRun}-${lastRun} of ${bucket.name} processed by prompt processing` });
      const now = deps.clock.now();
      const deadline = deadlineAfter(now, cfg.fixWindow.hours);
      await inTransaction(deps, async (tx) => {
        const locked = await tx.run.updateMany({ where: { bucketId: bucket.id, lockedAt: null }, data: { lockedAt: now } });
        await tx.fixWindow.create({ data: { bucketId: bucket.id, state: 'open', openedAt: now, deadline, initialDeadline: deadline } });
        await transitionBucket(deps, bucket, 'fix_window', SYSTEM_ACTOR, { reason: `prompt processing done (${succeeded} job(s) succeeded, ${failed} failed); fix window open until ${deadline.toISOString()}`, tx, required: true, progress: { area: 'loop', values: { promptFinishedAt: now.toISOString(), lockedRuns: locked.count, fcsr, problem: undefined } } });
        await recordAudit(tx, SYSTEM_ACTOR, {
          action: 'window.open',
          targetType: 'bucket',
          targetId: bucket.name,
          summary: `fix window of ${bucket.name} open until ${deadline.toISOString()} (${cfg.fixWindow.hours} h); ${locked.count} run(s) locked, FCSR ${fcsr.exp}/${fcsr.run}`,
          details: { deadline: deadline.toISOString(), hours: cfg.fixWindow.hours, lockedRuns: locked.count, fcsr },
          at: now,
        });
        await enqueueNotification(tx, {
          key: `window-opened:${bucket.name}`,
          kind: 'window_opened',
          message:
            `Prompt processing of ${bucket.name} (runs ${bucket.exp}/${bucket.firstRun}-${lastRun}) is done: ${succeeded} job(s) succeeded, ${failed} failed. ` +
            `The fix window is open until ${deadline.toISOString()}; detector experts may upload fixes into ${cfg.fixingTag}: calibloop fix upload --bucket ${bucket.name} …`,
          payload: { bucket: bucket.name, deadline: deadline.toISOString(), fixingTag: cfg.fixingTag },
          at: now,
        });
      });
      deps.logger.info('fix window opened', { bucket: bucket.name, deadline: deadline.toISOString() });
      out.opened.push({ bucket: bucket.name, deadline: deadline.toISOString() });
    } catch (e) {
      const err = coerceError(e);
      out.problems.push({ bucket: bucket.name, error: err.message });
      deps.logger.warn('prompt processing not finished', { bucket: bucket.name, error: err.message });
      await recordBucketProgress(deps.prisma, bucket, { area: 'loop', values: { problem: `finish prompt processing: ${err.message}` } }).catch(() => {});
    }
  }
  return out;
}
