/** Reading algorithm requests: a filtered list and one request with its calibration run. */
import { z } from 'zod';
import { textInt } from '../../domain/strict-input.ts';
import type { Deps } from '../../deps.ts';
import { notFound } from '../../domain/errors.ts';
import { toRequestView, type RequestView } from './request-view.ts';

export const ListRequestsQuerySchema = z.object({
  state: z.string().optional().describe('submitted | approved | rejected | running | done | failed'),
  bucket: z.string().optional(),
  detector: z.string().optional(),
  calibration: z.string().optional(),
  limit: textInt(1, 1000).default(200),
});
export type ListRequestsQuery = z.input<typeof ListRequestsQuerySchema>;

export async function listRequests(deps: Deps, raw: ListRequestsQuery = {}): Promise<RequestView[]> {
  const q = ListRequestsQuerySchema.parse(raw);
  let bucketId: number | undefined;
  if (q.bucket) {
    const b = await deps.prisma.bucket.findUnique({ where: { name: q.bucket } });
    if (!b) return [];
    bucketId = b.id;
  }
  const rows = await deps.prisma.algorithmRequest.findMany({
    where: {
      ...(q.state ? { state: q.state } : {}),
      ...(bucketId !== undefined ? { bucketId } : {}),
      ...(q.detector ? { detector: q.detector } : {}),
      ...(q.calibration ? { calibration: q.calibration } : {}),
    },
    orderBy: { id: 'desc' },
    take: q.limit,
  });
  const names = await bucketNames(deps, rows.map((r) => r.bucketId));
  return rows.map((r) => toRequestView(r, r.bucketId !== null ? (names.get(r.bucketId) ?? null) : null));
}

export async function showRequest(deps: Deps, id: number) {
  const r = await deps.prisma.algorithmRequest.findUnique({ where: { id } });
  if (!r) throw notFound(`algorithm request ${id}`);
  const names = await bucketNames(deps, [r.bucketId]);
  const run = r.calibrationRunId !== null
    ? await deps.prisma.calibrationRun.findUnique({
        where: { id: r.calibrationRunId },
        select: { id: true, state: true, iteration: true, maxIterations: true, message: true, stateChangedAt: true },
      })
    : null;
  return {
    ...toRequestView(r, r.bucketId !== null ? (names.get(r.bucketId) ?? null) : null),
    calibrationRun: run ? { ...run, stateChangedAt: run.stateChangedAt.toISOString() } : null,
  };
}

async function bucketNames(deps: Deps, ids: Array<number | null>): Promise<Map<number, string>> {
  const wanted = [...new Set(ids.filter((i): i is number => i !== null))];
  if (wanted.length === 0) return new Map();
  const bs = await deps.prisma.bucket.findMany({ where: { id: { in: wanted } }, select: { id: true, name: true } });
  return new Map(bs.map((b) => [b.id, b.name]));
}
