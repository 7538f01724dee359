/**
 * "What needs me now" (`calibloop status`, GET /status, the dashboard's overview): per active bucket its stage, what it
 * waits for and on whom, its fix-window deadline, failed jobs by error class and pending candidates/fixes; plus the
 * pending algorithm requests and campaigns ready to launch. `role` narrows the action list to one person's view (a
 * detector expert's to their detectors). Grouped counts only: its cost does not grow with the number of jobs listed.
 */
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import { ROLES, type Actor, type Role } from '../../domain/roles.ts';
import { bucketWait, type Waiter } from '../../domain/bucket-waits.ts';
import type { BucketStage } from '../../domain/bucket-stages.ts';

export const StatusQuerySchema = z.strictObject({
  role: z.enum(ROLES).optional().describe('narrow the actions to this role (default: the token\'s role)'),
});
export type StatusQuery = z.infer<typeof StatusQuerySchema>;

export interface StatusAction {
  role: Role;
  kind: 'approve_payloads' | 'decide_request' | 'decide_fixes' | 'upload_fixes' | 'bless' | 'recover_bucket' | 'launch_campaign' | 'failed_jobs' | 'flagged_runs' | 'calibration_outcome';
  bucket: string | null;
  detector?: string;
  count: number;
  title: string;
  /** where the dashboard acts on it */
  link: string;
  deadline?: string;
}

const FINAL_CALIBRATION = ['converged', 'stopped', 'not_enough_data', 'failed', 'blocked', 'rejected'];

export async function buildStatus(deps: Deps, actor: Actor | undefined, q: StatusQuery = {}) {
  const role: Role | 'all' = q.role ?? actor?.role ?? 'all';
  const detectors = role === 'detector_expert' && actor?.role === 'detector_expert' ? actor.detectors : null;
  const now = deps.clock.now();
  const p = deps.prisma;
  const [buckets, failedJobs, jobsByStep, candidates, windows, requests, campaigns, flagged, calibrations] = await Promise.all([
    p.bucket.findMany({ where: { stage: { not: 'done' } }, orderBy: [{ exp: 'asc' }, { seq: 'asc' }], select: { id: true, name: true, exp: true, firstRun: true, lastRun: true, stage: true, stageChangedAt: true, data: true } }),
    p.job.groupBy({ by: ['bucketId', 'errorClass'], where: { state: 'failed' }, _count: { _all: true } }),
    p.job.groupBy({ by: ['bucketId', 'step', 'state'], where: { bucket: { stage: { not: 'done' } } }, _count: { _all: true } }),
    p.payloadCandidate.groupBy({ by: ['bucketId', 'detector'], where: { state: 'pending' }, _count: { _all: true } }),
    p.fixWindow.findMany({ where: { state: 'open' }, select: { id: true, bucketId: true, deadline: true, fixes: { where: { state: 'pending' }, select: { detector: true } } } }),
    p.algorithmRequest.findMany({ where: { state: 'submitted' }, orderBy: { id: 'asc' }, take: 200, select: { id: true, calibration: true, detector: true, bucketId: true, submittedBy: true, reason: true } }),
    p.reprocessingCampaign.findMany({ where: { state: 'created' }, select: { id: true, bucketId: true, tagName: true } }),
    p.run.groupBy({ by: ['bucketId'], where: { flag: { not: null } }, _count: { _all: true } }),
    p.calibrationRun.findMany({
      where: { state: { in: FINAL_CALIBRATION }, ...(detectors ? { detector: { in: detectors } } : {}) },
      orderBy: { stateChangedAt: 'desc' },
      take: 50,
      select: { id: true, bucketId: true, calibration: true, detector: true, state: true, message: true, stateChangedAt: true },
    }),
  ]);
  const names = new Map(buckets.map((b) => [b.id, b.name]));
  const missing = [...new Set([...requests.map((r) => r.bucketId), ...calibrations.map((c) => c.bucketId), ...campaigns.map((c) => c.bucketId)].filter((id): id is number => id !== null && !names.has(id)))];
  if (missing.length) for (const b of await p.bucket.findMany({ where: { id: { in: missing } }, select: { id: true, name: true } })) names.set(b.id, b.name);
  const nameOf = (id: number | null) => (id === null ? null : names.get(id) ?? String(id));
  const mine = (d: string) => !detectors || detectors.includes(d);

  const failedBy = new Map<number | null, Record<string, number>>();
  for (const f of failedJobs) {
    const m = failedBy.get(f.bucketId) ?? {};
    m[f.errorClass ?? 'unclassified'] = f._count._all;
    failedBy.set(f.bucketId, m);
  }
  const production = new Map<number, Record<string, { total: number; succeeded: number; failed: number; active: number }>>();
  for (const j of jobsByStep) {
    if (j.bucketId === null) continue;
    const steps = production.get(j.bucketId) ?? {};
    const s = (steps[j.step] ??= { total: 0, succeeded: 0, failed: 0, active: 0 });
    s.total += j._count._all;
    if (j.state === 'succeeded') s.succeeded += j._count._all;
    else if (j.state === 'failed') s.failed += j._count._all;
    else if (['created', 'submitted', 'running', 'held'].includes(j.state)) s.active += j._count._all;
    production.set(j.bucketId, steps);
  }
  // steps in the order production runs them (then the others, by name): one reading order on every page
  const stepOrder = new Map(deps.production.steps.map((st, i) => [st.name, i]));
  const byStepOrder = (a: string, b: string) => (stepOrder.get(a) ?? 99) - (stepOrder.get(b) ?? 99) || a.localeCompare(b);
  for (const [id, steps] of production) production.set(id, Object.fromEntries(Object.entries(steps).sort(([a], [b]) => byStepOrder(a, b))));
  const pendingCandidates = new Map<number, number>();
  for (const c of candidates) if (mine(c.detector)) pendingCandidates.set(c.bucketId, (pendingCandidates.get(c.bucketId) ?? 0) + c._count._all);
  const windowOf = new Map(windows.map((w) => [w.bucketId, w]));
  const flaggedOf = new Map(flagged.map((f) => [f.bucketId, f._count._all]));

  const bucketRows = buckets.map((b) => {
    const data = (b.data ?? {}) as Record<string, unknown>;
    const wait = bucketWait(b.stage as BucketStage, typeof data.failedFrom === 'string' ? data.failedFrom : null);
    const w = windowOf.get(b.id);
    return {
      name: b.name,
      exp: b.exp,
      runs: { firstRun: b.firstRun, lastRun: b.lastRun },
      stage: b.stage,
      since: b.stageChangedAt.toISOString(),
      waitsFor: wait.waitsFor,
      waitsOn: wait.on as Waiter,
      failure: typeof data.failure === 'string' ? data.failure : null,
      deadline: w ? w.deadline.toISOString() : null,
      secondsToDeadline: w ? Math.round((w.deadline.getTime() - now.getTime()) / 1000) : null,
      failedJobs: failedBy.get(b.id) ?? {},
      /** jobs per step: total, succeeded, failed, still to run (created/submitted/running/held) */
      production: production.get(b.id) ?? {},
      flaggedRuns: flaggedOf.get(b.id) ?? 0,
      pendingCandidates: pendingCandidates.get(b.id) ?? 0,
      pendingFixes: w ? w.fixes.filter((f) => mine(f.detector)).length : 0,
    };
  });

  const actions: StatusAction[] = [];
  for (const r of requests) {
    actions.push({ role: 'calibration_manager', kind: 'decide_request', bucket: nameOf(r.bucketId), detector: r.detector, count: 1, title: `request #${r.id} ${r.calibration} by ${r.submittedBy}: ${r.reason}`, link: '#/overview' });
  }
  for (const b of bucketRows) {
    if (b.pendingCandidates > 0) actions.push({ role: 'calibration_manager', kind: 'approve_payloads', bucket: b.name, count: b.pendingCandidates, title: `${b.pendingCandidates} payload candidate(s) to approve in ${b.name}`, link: `#/approval/${b.name}` });
    if (b.deadline) {
      if (b.pendingFixes > 0) actions.push({ role: 'calibration_manager', kind: 'decide_fixes', bucket: b.name, count: b.pendingFixes, title: `${b.pendingFixes} fix(es) to decide in ${b.name}`, link: `#/windows/${b.name}`, deadline: b.deadline });
      actions.push({ role: 'detector_expert', kind: 'upload_fixes', bucket: b.name, count: 1, title: `fix window of ${b.name} open`, link: `#/windows/${b.name}`, deadline: b.deadline });
    }
    if (b.stage === 'awaiting_blessing') actions.push({ role: 'calibration_manager', kind: 'bless', bucket: b.name, count: 1, title: `final tag of ${b.name} waits for blessing`, link: `#/buckets/${b.name}` });
    if (b.stage === 'failed') actions.push({ role: b.waitsOn as Role, kind: 'recover_bucket', bucket: b.name, count: 1, title: `${b.name} failed: ${b.failure ?? b.waitsFor}`, link: `#/buckets/${b.name}` });
    const failed = Object.values(b.failedJobs).reduce((a, n) => a + n, 0);
    if (failed > 0) actions.push({ role: 'data_production_manager', kind: 'failed_jobs', bucket: b.name, count: failed, title: `${failed} failed job(s) in ${b.name}: ${Object.entries(b.failedJobs).map(([k, n]) => `${k} ${n}`).join(', ')}`, link: `#/jobs?bucket=${b.name}&state=failed` });
    if (b.flaggedRuns > 0) actions.push({ role: 'data_production_manager', kind: 'flagged_runs', bucket: b.name, count: b.flaggedRuns, title: `${b.flaggedRuns} run(s) flagged in ${b.name}`, link: `#/buckets/${b.name}` });
  }
  for (const c of campaigns) actions.push({ role: 'data_production_manager', kind: 'launch_campaign', bucket: nameOf(c.bucketId), count: 1, title: `reprocessing campaign #${c.id} (${c.tagName}) ready to launch`, link: '#/campaigns' });
  for (const c of calibrations) {
    if (!['failed', 'blocked', 'rejected', 'not_enough_data', 'stopped'].includes(c.state)) continue;
    actions.push({ role: 'detector_expert', kind: 'calibration_outcome', bucket: nameOf(c.bucketId), detector: c.detector, count: 1, title: `${c.calibration} ${c.state}${c.message ? `: ${c.message}` : ''}`, link: `#/buckets/${nameOf(c.bucketId)}` });
  }
  const narrowed = actions.filter((a) => (role === 'all' || role === 'admin' || a.role === role) && (!detectors || !a.detector || detectors.includes(a.detector)));
  return {
    generatedAt: now.toISOString(),
    role,
    detectors,
    actions: narrowed,
    buckets: bucketRows,
    requests: requests.filter((r) => mine(r.detector)).map((r) => ({ ...r, bucket: nameOf(r.bucketId) })),
    windows: bucketRows.filter((b) => b.deadline).map((b) => ({ bucket: b.name, deadline: b.deadline!, secondsToDeadline: b.secondsToDeadline!, pendingFixes: b.pendingFixes })),
    campaignsReady: campaigns.map((c) => ({ id: c.id, bucket: nameOf(c.bucketId), tag: c.tagName })),
    calibrations: calibrations.slice(0, 20).map((c) => ({ id: c.id, bucket: nameOf(c.bucketId), calibration: c.calibration, detector: c.detector, state: c.state, message: c.message, at: c.stateChangedAt.toISOString() })),
  };
}
export type StatusView = Awaited<ReturnType<typeof buildStatus>>;

const Iso = z.string().describe('ISO 8601 time');
/** The answer of GET /status (documented in the OpenAPI document). */
export const StatusViewSchema = z.object({
  generatedAt: Iso,
  role: z.string(),
  detectors: z.array(z.string()).nullable(),
  actions: z.array(z.object({ role: z.string(), kind: z.string(), bucket: z.string().nullable(), detector: z.string().optional(), count: z.number(), title: z.string(), link: z.string(), deadline: Iso.optional() })),
  buckets: z.array(z.object({
    name: z.string(), exp: z.number(), runs: z.object({ firstRun: z.number(), lastRun: z.number().nullable() }), stage: z.string(), since: Iso,
    waitsFor: z.string(), waitsOn: z.string(), failure: z.string().nullable(), deadline: Iso.nullable(), secondsToDeadline: z.number().nullable(),
    failedJobs: z.record(z.string(), z.number()),
    production: z.record(z.string(), z.object({ total: z.number(), succeeded: z.number(), failed: z.number(), active: z.number() })),
    flaggedRuns: z.number(), pendingCandidates: z.number(), pendingFixes: z.number(),
  })),
  requests: z.array(z.object({ id: z.number(), calibration: z.string(), detector: z.string(), bucket: z.string().nullable(), submittedBy: z.string(), reason: z.string() })),
  windows: z.array(z.object({ bucket: z.string(), deadline: Iso, secondsToDeadline: z.number(), pendingFixes: z.number() })),
  campaignsReady: z.array(z.object({ id: z.number(), bucket: z.string().nullable(), tag: z.string() })),
  calibrations: z.array(z.object({ id: z.number(), bucket: z.string().nullable(), calibration: z.string(), detector: z.string(), state: z.string(), message: z.string().nullable(), at: Iso })),
});
