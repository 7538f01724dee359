/**
 * The named schedules of a server instance. Each area adds its ticks here; a tick only calls a service.
 */
import type { TickDefinition } from './scheduler.ts';
import type { Deps } from '../deps.ts';
import { startPromptProcessing } from '../services/loop/start-prompt-processing.ts';
import { finishPromptProcessing } from '../services/loop/finish-prompt-processing.ts';
import { closeExpiredWindows } from '../services/loop/close-expired-windows.ts';
import { trackCampaigns } from '../services/loop/campaign-progress.ts';
import { summariseJobFailures } from '../services/loop/summarise-job-failures.ts';
import { deliverNotifications } from '../services/loop/notify.ts';
import { planProducedBuckets } from '../services/calibration/plan-bucket-calibrations.ts';
import { advanceCalibrations } from '../services/calibration/advance-calibrations.ts';
import { finaliseBucketCalibrations } from '../services/calibration/finalise-bucket-calibration.ts';
import { pollRunSources } from '../services/runs/poll-run-sources.ts';
import { applyBucketPolicy } from '../services/buckets/apply-bucket-policy.ts';
import { runProductionTick, type ProductionTickResult } from '../services/production/run-production-tick.ts';
import { runJobTick, type JobTickResult } from '../services/jobs/run-job-tick.ts';
// TICK-IMPORTS (keep this marker)

/** The job engine's tick, and the ticks that follow up a finished job (its outcome's next step). */
export const JOB_ENGINE_TICK = 'jobs';
const FOLLOW_UPS_OF_FINISHED_JOBS = ['production', 'calibration-advance', 'loop-prompt', 'loop-campaigns'];
/** Ticks that may create jobs: after each, the job engine runs at once instead of at its next firing. */
const thenJobs = () => [JOB_ENGINE_TICK];

export function allTicks(deps: Deps): TickDefinition[] {
  return [
    // loop (issue 6): prompt processing, fix windows, reprocessing campaigns, notifications
    { name: 'loop-prompt', cron: '*/10 * * * * *', then: thenJobs, run: async (d) => ({ start: await startPromptProcessing(d), finish: await finishPromptProcessing(d) }) },
    { name: 'loop-fix-windows', cron: '*/30 * * * * *', run: (d) => closeExpiredWindows(d) },
    { name: 'loop-campaigns', cron: '*/15 * * * * *', then: thenJobs, run: (d) => trackCampaigns(d) },
    // job failures are summarised per bucket into the outbox first, then everything due is delivered
    { name: 'loop-notifications', cron: '*/10 * * * * *', run: async (d) => (await summariseJobFailures(d), deliverNotifications(d)) },
    // calibration loop (issue 5): plan produced buckets, follow calibration jobs, finalise approved payloads
    { name: 'calibration-plan', cron: '*/10 * * * * *', run: (d) => planProducedBuckets(d) },
    { name: 'calibration-advance', cron: '*/5 * * * * *', then: thenJobs, run: (d) => advanceCalibrations(d) },
    { name: 'calibration-finalise', cron: '*/10 * * * * *', run: (d) => finaliseBucketCalibrations(d) },
    // runs, buckets and production (issue 4): run sources, bucket policy, production planning
    { name: 'run-sources', cron: deps.production.schedule.runSources, run: (d) => pollRunSources(d) },
    { name: 'bucket-policy', cron: deps.production.schedule.buckets, run: (d) => applyBucketPolicy(d) },
    {
      name: 'production',
      cron: deps.production.schedule.production,
      run: (d) => runProductionTick(d),
      then: (r) => [JOB_ENGINE_TICK, ...((r as ProductionTickResult).finished.length ? ['calibration-plan'] : [])],
    },
    // the job engine, for every step: poll, stalls, submit; a finished job runs its follow-ups at once
    {
      name: JOB_ENGINE_TICK,
      cron: deps.production.schedule.jobs,
      run: (d) => runJobTick(d),
      then: (r) => ((r as JobTickResult).poll.finished > 0 ? FOLLOW_UPS_OF_FINISHED_JOBS : []),
    },
    // TICK-LIST (keep this marker)
  ];
}
