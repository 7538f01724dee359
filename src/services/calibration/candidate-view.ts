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

export function toCandidateView(c: CandidateRow, bucket: string): CandidateView {
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
    metrics: (c.metrics ?? {}) as Record<string, unknown>,
    state: c.state,
    decidedBy: c.decidedBy,
    decidedAt: c.decidedAt?.toISOString() ?? null,
    comment: c.comment,
  };
}
