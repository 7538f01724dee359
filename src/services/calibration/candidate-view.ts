/** How a payload candidate is shown: what the manager judges it by. */
import { z } from 'zod';

export const CandidateViewSchema = z.object({
  id: z.number(),
  bucket: z.string(),
  calibration: z.string(),
  detector: z.string(),
  calibrationRunId: z.number(),
  outcome: z.string(),
  iteration: z.number(),
  name: z.string(),
  revision: z.number(),
  payloadId: z.number(),
  iov: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  previousRevision: z.number().nullable(),
  metrics: z.record(z.string(), z.unknown()),
  /** the constants from result.json `metrics.values` (± `metrics.uncertainties`); null: the algorithm reported none */
  values: z.array(z.object({ key: z.string(), value: z.number(), error: z.number().nullable() })).nullable(),
  /** validation images the algorithm wrote into its output directory (GET /payload-candidates/:id/images/:file) */
  validationImages: z.array(z.string()),
  state: z.string(),
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
  comment: z.string().nullable(),
});
export type CandidateView = z.infer<typeof CandidateViewSchema>;

export interface CandidateRow {
  id: number;
  calibration: string;
  detector: string;
  calibrationRunId: number;
  outcome: string;
  iteration: number;
  name: string;
  revision: number;
  payloadId: number;
  firstExp: number;
  firstRun: number;
  finalExp: number;
  finalRun: number;
  previousRevision: number | null;
  metrics: unknown;
  state: string;
  decidedBy: string | null;
  decidedAt: Date | null;
  comment: string | null;
}

/**
 * The candidate's constants per the result.json contract (docs/contracts.md): `metrics.values` {key: number} with
 * optional `metrics.uncertainties`. A per-run candidate (metrics.run) of a payload keyed by run shows its own run.
 */
export function candidateValues(metrics: Record<string, unknown>): CandidateView['values'] {
  const values = metrics.values;
  if (!values || typeof values !== 'object' || Array.isArray(values)) return null;
  const errors = (metrics.uncertainties && typeof metrics.uncertainties === 'object' ? metrics.uncertainties : {}) as Record<string, unknown>;
  let entries = Object.entries(values as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number');
  const run = metrics.run;
  if (typeof run === 'number' && entries.some(([k]) => k === String(run))) entries = entries.filter(([k]) => k === String(run));
  if (entries.length === 0) return null;
  return entries.map(([key, value]) => ({ key, value, error: typeof errors[key] === 'number' ? (errors[key] as number) : null }));
}

export function toCandidateView(c: CandidateRow, bucket: string): CandidateView {
  const metrics = (c.metrics ?? {}) as Record<string, unknown>;
  return {
    id: c.id,
    bucket,
    calibration: c.calibration,
    detector: c.detector,
    calibrationRunId: c.calibrationRunId,
    outcome: c.outcome,
    iteration: c.iteration,
    name: c.name,
    revision: c.revision,
    payloadId: c.payloadId,
    iov: [c.firstExp, c.firstRun, c.finalExp, c.finalRun],
    previousRevision: c.previousRevision,
    metrics,
    values: candidateValues(metrics),
    validationImages: Array.isArray(metrics.validationImages) ? metrics.validationImages.filter((f): f is string => typeof f === 'string') : [],
    state: c.state,
    decidedBy: c.decidedBy,
    decidedAt: c.decidedAt?.toISOString() ?? null,
    comment: c.comment,
  };
}
