/**
 * One pass of the job engine, for any step: learn what the executor did (poll), catch stalls, hand interrupted
 * submissions over again, then submit what is due. Safe to repeat and to run on several instances: every change is
 * compare-and-set, claims use SKIP LOCKED.
 */
import type { Deps } from '../../deps.ts';
import { detectStalls } from './detect-stalls.ts';
import { pollActiveJobs, type PollResult } from './poll-jobs.ts';
import { recoverSubmissions, submitDueJobs } from './submit-jobs.ts';

export interface JobTickResult {
  poll: PollResult;
  stalled: number;
  recovered: number;
  submitted: number;
}

export async function runJobTick(deps: Deps): Promise<JobTickResult> {
  const poll = await pollActiveJobs(deps);
  const stalls = poll.unreachable ? { stalled: 0 } : await detectStalls(deps);
  const { recovered } = await recoverSubmissions(deps);
  const { submitted } = await submitDueJobs(deps);
  return { poll, stalled: stalls.stalled, recovered, submitted };
}
