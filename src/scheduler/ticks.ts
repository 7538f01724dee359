/**
 * The named schedules of a server instance. Each area adds its ticks here; a tick only calls a service.
 */
import type { TickDefinition } from './scheduler.ts';
import type { Deps } from '../deps.ts';
import { startPromptProcessing } from '../services/loop/start-prompt-processing.ts';
import { finishPromptProcessing } from '../services/loop/finish-prompt-processing.ts';
import { closeExpiredWindows } from '../services/loop/close-expired-windows.ts';
import { trackCampaigns } from '../services/loop/campaign-progress.ts';
import { deliverNotifications } from '../services/loop/notify.ts';
import { planProducedBuckets } from '../services/calibration/plan-bucket-calibrations.ts';
import { advanceCalibrations } from '../services/calibration/advance-calibrations.ts';
import { finaliseBucketCalibrations } from '../services/calibration/finalise-bucket-calibration.ts';
import { pollRunSources } from '../services/runs/poll-run-sources.ts';
import { applyBucketPolicy } from '../services/buckets/apply-bucket-policy.ts';
import { runProductionTick } from '../services/production/run-production-tick.ts';
// TICK-IMPORTS (keep this marker)

export function allTicks(deps: Deps): TickDefinition[] {
  return [
    // loop (issue 6): prompt processing, fix windows, reprocessing campaigns, notifications
    { name: 'loop-prompt', cron: '*/10 * * * * *', run: async (d) => ({ start: await startPromptProcessing(d), finish: await finishPromptProcessing(d) }) },
    { name: 'loop-fix-windows', cron: '*/30 * * * * *', run: (d) => closeExpiredWindows(d) },
    { name: 'loop-campaigns', cron: '*/15 * * * * *', run: (d) => trackCampaigns(d) },
    { name: 'loop-notifications', cron: '*/10 * * * * *', run: (d) => deliverNotifications(d) },
    // calibration loop (issue 5): plan produced buckets, follow calibration jobs, finalise approved payloads
    { name: 'calibration-plan', cron: '*/10 * * * * *', run: (d) => planProducedBuckets(d) },
    { name: 'calibration-advance', cron: '*/5 * * * * *', run: (d) => advanceCalibrations(d) },
    { name: 'calibration-finalise', cron: '*/10 * * * * *', run: (d) => finaliseBucketCalibrations(d) },
    // runs, buckets and production (issue 4): run sources, bucket policy, production planning + the job engine
    { name: 'run-sources', cron: deps.production.schedule.runSources, leaseMs: deps.production.schedule.leaseS * 1000, run: (d) => pollRunSources(d) },
    { name: 'bucket-policy', cron: deps.production.schedule.buckets, leaseMs: deps.production.schedule.leaseS * 1000, run: (d) => applyBucketPolicy(d) },
    { name: 'production', cron: deps.production.schedule.production, leaseMs: deps.production.schedule.leaseS * 1000, run: (d) => runProductionTick(d) },
    // TICK-LIST (keep this marker)
  ];
}
