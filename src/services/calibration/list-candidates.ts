/** Payload candidates, by default the pending ones: the manager's worklist (`calibloop payload pending`). */
import { z } from 'zod';
import { textInt } from '../../domain/strict-input.ts';
import type { Deps } from '../../deps.ts';
import { toCandidateView, type CandidateView } from './candidate-view.ts';

export const ListCandidatesQuerySchema = z.object({
  bucket: z.string().optional(),
  state: z.string().default('pending').describe('pending | approved | rejected | superseded | all'),
  calibration: z.string().optional(),
  detector: z.string().optional(),
  limit: textInt(1, 5000).default(500),
});
export type ListCandidatesQuery = z.input<typeof ListCandidatesQuerySchema>;

export async function listCandidates(deps: Deps, raw: ListCandidatesQuery = {}): Promise<CandidateView[]> {
  const q = ListCandidatesQuerySchema.parse(raw);
  let bucketId: number | undefined;
  if (q.bucket) {
    const b = await deps.prisma.bucket.findUnique({ where: { name: q.bucket } });
    if (!b) return [];
    bucketId = b.id;
  }
  const rows = await deps.prisma.payloadCandidate.findMany({
    where: {
      ...(q.state !== 'all' ? { state: q.state } : {}),
      ...(bucketId !== undefined ? { bucketId } : {}),
      ...(q.calibration ? { calibration: q.calibration } : {}),
      ...(q.detector ? { detector: q.detector } : {}),
    },
    orderBy: [{ bucketId: 'asc' }, { id: 'asc' }],
    take: q.limit,
  });
  const ids = [...new Set(rows.map((r) => r.bucketId))];
  const names = new Map((await deps.prisma.bucket.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } })).map((b) => [b.id, b.name]));
  return rows.map((r) => toCandidateView(r, names.get(r.bucketId) ?? String(r.bucketId)));
}
