/** How an algorithm request is shown over the API and in the CLI. */
import { z } from 'zod';

export const RequestViewSchema = z.object({
  id: z.number(),
  calibration: z.string(),
  detector: z.string(),
  bucket: z.string().nullable(),
  exp: z.number().nullable(),
  firstRun: z.number().nullable(),
  lastRun: z.number().nullable(),
  expertConfig: z.record(z.string(), z.unknown()),
  reason: z.string(),
  state: z.string(),
  submittedBy: z.string(),
  submittedAt: z.string(),
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
  decisionComment: z.string().nullable(),
  calibrationRunId: z.number().nullable(),
});
export type RequestView = z.infer<typeof RequestViewSchema>;

export interface RequestRow {
  id: number;
  calibration: string;
  detector: string;
  firstExp: number | null;
  firstRun: number | null;
  lastRun: number | null;
  expertConfig: unknown;
  reason: string;
  state: string;
  submittedBy: string;
  submittedAt: Date;
  decidedBy: string | null;
  decidedAt: Date | null;
  decisionComment: string | null;
  calibrationRunId: number | null;
}

export function toRequestView(r: RequestRow, bucket: string | null): RequestView {
  return {
    id: r.id,
    calibration: r.calibration,
    detector: r.detector,
    bucket,
    exp: r.firstExp,
    firstRun: r.firstRun,
    lastRun: r.lastRun,
    expertConfig: (r.expertConfig ?? {}) as Record<string, unknown>,
    reason: r.reason,
    state: r.state,
    submittedBy: r.submittedBy,
    submittedAt: r.submittedAt.toISOString(),
    decidedBy: r.decidedBy,
    decidedAt: r.decidedAt?.toISOString() ?? null,
    decisionComment: r.decisionComment,
    calibrationRunId: r.calibrationRunId,
  };
}
