/**
 * The final mDST reprocessing of a blessed bucket (docs/calibration-loop.md): which runs it takes, the campaign's lifecycle, and
 * its report.
 *
 * Campaign states:
 * - `created`: entered when the calibration manager blesses the bucket's final tag; holds the run plan (every run of
 *   the bucket, selected or skipped with a reason) and the tag. Exits when the data-production manager launches it
 *   (or the system, where config says campaigns launch themselves), or on abort.
 * - `launched`: the launch was recorded; the jobs are being created (one transaction per batch). Exits to `running`
 *   when every selected run has its jobs, or `aborted`.
 * - `running`: jobs are submitted and tracked by the campaign-progress tick. Exits to `finished` when every job has
 *   ended and the failed runs stay within the threshold, `failed` when more runs failed than that, or `aborted`.
 * - `finished` | `failed` | `aborted`: final. `finished` moves the bucket to `done`.
 */
import { defineLifecycle, type StateOf } from './lifecycle.ts';

export const campaignLifecycle = defineLifecycle('reprocessing campaign', {
  created: ['launched', 'aborted'],
  launched: ['running', 'failed', 'aborted'],
  running: ['finished', 'failed', 'aborted'],
  finished: [],
  failed: [],
  aborted: [],
});
export type CampaignState = StateOf<typeof campaignLifecycle>;

export const FINAL_CAMPAIGN_STATES: readonly CampaignState[] = ['finished', 'failed', 'aborted'];

// ───────────────────────────── run selection ─────────────────────────────

/** What a run must satisfy to be reprocessed. */
export interface RunRequirements {
  /** accepted run types (physics by default: cosmics and calibration runs are not reprocessed into physics mDST) */
  runTypes: string[];
  /** detectors whose quality flag must be good (or ugly when acceptUgly) */
  requireGood: string[];
  /** treat `ugly` (usable with caveats) as good enough */
  acceptUgly: boolean;
}

export const DEFAULT_REQUIREMENTS: RunRequirements = {
  runTypes: ['physics'],
  requireGood: ['svd', 'cdc', 'ecl', 'top', 'arich', 'klm'],
  acceptUgly: true,
};

export interface RunForSelection {
  exp: number;
  run: number;
  type: string;
  /** { detector: good | bad | ugly } */
  quality: Record<string, string>;
  /** raw files with status; a run without any readable file cannot be reprocessed */
  files: { status: string }[];
  /** run flagged by production (e.g. input_error) */
  flag?: string | null;
}

export interface PlannedRun {
  exp: number;
  run: number;
  selected: boolean;
  /** why selected or skipped, in words an operator reads in the report */
  reason: string;
}

const USABLE_FILE_STATES = new Set(['transferred']);

/** One entry per run, in run order: selected, or skipped with the first reason that excludes it. */
export function selectRuns(runs: readonly RunForSelection[], req: RunRequirements): PlannedRun[] {
  const sorted = [...runs].sort((a, b) => a.exp - b.exp || a.run - b.run);
  return sorted.map((r) => {
    const skip = (reason: string): PlannedRun => ({ exp: r.exp, run: r.run, selected: false, reason });
    if (!req.runTypes.includes(r.type)) return skip(`run type ${r.type} is not reprocessed (accepted: ${req.runTypes.join(', ')})`);
    for (const d of req.requireGood) {
      const q = r.quality?.[d];
      if (q === undefined) return skip(`no ${d} quality flag`);
      if (q === 'good' || (q === 'ugly' && req.acceptUgly)) continue;
      return skip(`${d} quality is ${q}`);
    }
    const usable = r.files.filter((f) => USABLE_FILE_STATES.has(f.status)).length;
    if (r.files.length === 0) return skip('no raw files');
    if (usable === 0) return skip(`no usable raw file (${r.files.map((f) => f.status).join(', ')})`);
    const partial = usable < r.files.length ? ` (${r.files.length - usable} of ${r.files.length} raw files unusable)` : '';
    return { exp: r.exp, run: r.run, selected: true, reason: `good run${partial}` };
  });
}

// ───────────────────────────── progress and report ─────────────────────────────

export interface CampaignJob {
  exp: number | null;
  run: number | null;
  state: string;
  errorClass?: string | null;
  errorMessage?: string | null;
  eventsIn?: bigint | number | null;
  eventsOut?: bigint | number | null;
}

const JOB_DONE = new Set(['succeeded']);
const JOB_FAILED = new Set(['failed', 'cancelled']);

export interface RunOutcome {
  exp: number;
  run: number;
  status: 'done' | 'failed' | 'pending' | 'skipped';
  reason: string;
  jobs: number;
  eventsIn: number;
  eventsOut: number;
}

export interface CampaignProgress {
  jobs: { total: number; succeeded: number; failed: number; active: number };
  runs: { selected: number; done: number; failed: number; pending: number; skipped: number };
  /** failed runs / selected runs */
  failedFraction: number;
  /** every job has ended */
  complete: boolean;
  events: { in: number; out: number };
  perRun: RunOutcome[];
}

const n = (v: bigint | number | null | undefined) => (v === null || v === undefined ? 0 : Number(v));

/** Aggregates the jobs of a campaign per run. A run is done when all its jobs succeeded, failed when any ended badly. */
export function aggregateProgress(plan: readonly PlannedRun[], jobs: readonly CampaignJob[]): CampaignProgress {
  const byRun = new Map<string, CampaignJob[]>();
  for (const j of jobs) {
    const k = `${j.exp}/${j.run}`;
    const list = byRun.get(k) ?? [];
    list.push(j);
    byRun.set(k, list);
  }
  const perRun: RunOutcome[] = [];
  let eventsIn = 0;
  let eventsOut = 0;
  for (const p of plan) {
    if (!p.selected) {
      perRun.push({ exp: p.exp, run: p.run, status: 'skipped', reason: p.reason, jobs: 0, eventsIn: 0, eventsOut: 0 });
      continue;
    }
    const list = byRun.get(`${p.exp}/${p.run}`) ?? [];
    const ein = list.reduce((s, j) => s + n(j.eventsIn), 0);
    const eout = list.reduce((s, j) => s + (JOB_DONE.has(j.state) ? n(j.eventsOut) : 0), 0);
    eventsIn += ein;
    eventsOut += eout;
    const failed = list.filter((j) => JOB_FAILED.has(j.state));
    const active = list.filter((j) => !JOB_DONE.has(j.state) && !JOB_FAILED.has(j.state));
    let status: RunOutcome['status'];
    let reason: string;
    if (list.length === 0) {
      status = 'pending';
      reason = 'no job yet';
    } else if (active.length > 0) {
      status = 'pending';
      reason = `${active.length} of ${list.length} jobs still active`;
    } else if (failed.length > 0) {
      status = 'failed';
      const f = failed[0];
      reason = `${failed.length} of ${list.length} jobs ${f.state}${f.errorClass ? ` (${f.errorClass} error)` : ''}${f.errorMessage ? `: ${f.errorMessage}` : ''}`;
    } else {
      status = 'done';
      reason = `${list.length} job${list.length === 1 ? '' : 's'} succeeded`;
    }
    perRun.push({ exp: p.exp, run: p.run, status, reason, jobs: list.length, eventsIn: ein, eventsOut: eout });
  }
  const selected = plan.filter((p) => p.selected).length;
  const count = (s: RunOutcome['status']) => perRun.filter((r) => r.status === s).length;
  const failedRuns = count('failed');
  const jobsActive = jobs.filter((j) => !JOB_DONE.has(j.state) && !JOB_FAILED.has(j.state)).length;
  return {
    jobs: {
      total: jobs.length,
      succeeded: jobs.filter((j) => JOB_DONE.has(j.state)).length,
      failed: jobs.filter((j) => JOB_FAILED.has(j.state)).length,
      active: jobsActive,
    },
    runs: { selected, done: count('done'), failed: failedRuns, pending: count('pending'), skipped: count('skipped') },
    failedFraction: selected === 0 ? 0 : failedRuns / selected,
    complete: jobsActive === 0 && count('pending') === 0,
    events: { in: eventsIn, out: eventsOut },
    perRun,
  };
}

/**
 * Where a running campaign goes next: stays running until every job ended; then finished, unless more than
 * `failThreshold` of its selected runs failed.
 */
export function settleCampaign(progress: CampaignProgress, failThreshold: number): CampaignState | undefined {
  if (!progress.complete) return undefined;
  return progress.failedFraction > failThreshold ? 'failed' : 'finished';
}

/** True when so many runs have failed that the data-production manager should look now (notified once). */
export function isFailingBeyond(progress: CampaignProgress, warnThreshold: number): boolean {
  return progress.runs.selected > 0 && progress.failedFraction > warnThreshold;
}
