/**
 * Reading fix windows: `window list` and `window show`, and the view every window use case answers with.
 */
import type { Deps } from '../../deps.ts';
import type { Db } from '../../db/transaction.ts';
import { isAcceptingFixes, remainingMs } from '../../domain/fix-window.ts';
import { notFound } from '../../domain/errors.ts';
import { findBucket } from '../buckets/bucket-data.ts';

type WindowRow = NonNullable<Awaited<ReturnType<Db['fixWindow']['findUnique']>>>;
type FixRow = Awaited<ReturnType<Db['fix']['findMany']>>[number];

export function fixView(f: FixRow) {
  return {
    id: f.id,
    name: f.name,
    revision: f.revision,
    detector: f.detector,
    iov: [f.firstExp, f.firstRun, f.finalExp, f.finalRun] as [number, number, number, number],
    reason: f.reason,
    state: f.state,
    submittedBy: f.submittedBy,
    submittedAt: f.submittedAt.toISOString(),
    decidedBy: f.decidedBy,
    decidedAt: f.decidedAt?.toISOString() ?? null,
    comment: f.comment,
  };
}

export function windowView(w: WindowRow, bucket: { name: string; exp: number; firstRun: number; lastRun: number | null; stage: string }, now: Date, fixes?: FixRow[]) {
  return {
    id: w.id,
    bucket: bucket.name,
    bucketStage: bucket.stage,
    runs: { exp: bucket.exp, firstRun: bucket.firstRun, lastRun: bucket.lastRun },
    state: w.state,
    acceptingFixes: isAcceptingFixes(w, now),
    openedAt: w.openedAt.toISOString(),
    deadline: w.deadline.toISOString(),
    initialDeadline: w.initialDeadline?.toISOString() ?? null,
    extensions: w.extensions,
    remainingS: Math.round(remainingMs(w, now) / 1000),
    closedAt: w.closedAt?.toISOString() ?? null,
    closedBy: w.closedBy,
    closeReason: w.closeReason,
    finalTag: w.finalTag,
    ...(fixes ? { fixes: fixes.map(fixView) } : {}),
  };
}
export type WindowView = ReturnType<typeof windowView>;

export async function findWindow(db: Db, bucketRef: string | number) {
  const bucket = await findBucket(db, bucketRef);
  const window = await db.fixWindow.findUnique({ where: { bucketId: bucket.id } });
  if (!window) throw notFound(`fix window of bucket ${bucket.name} (prompt processing has not finished)`);
  return { bucket, window };
}

export async function listWindows(deps: Deps, filter: { state?: string } = {}) {
  const windows = await deps.prisma.fixWindow.findMany({ where: filter.state ? { state: filter.state } : {}, orderBy: { openedAt: 'desc' } });
  const buckets = await deps.prisma.bucket.findMany({ where: { id: { in: windows.map((w) => w.bucketId) } } });
  const fixes = await deps.prisma.fix.groupBy({ by: ['windowId', 'state'], _count: { _all: true }, where: { windowId: { in: windows.map((w) => w.id) } } });
  const byId = new Map(buckets.map((b) => [b.id, b]));
  const now = deps.clock.now();
  return windows.map((w) => {
    const counts = Object.fromEntries(fixes.filter((f) => f.windowId === w.id).map((f) => [f.state, f._count._all]));
    return { ...windowView(w, byId.get(w.bucketId)!, now), fixCounts: counts };
  });
}

export async function showWindow(deps: Deps, bucketRef: string) {
  const { bucket, window } = await findWindow(deps.prisma, bucketRef);
  const fixes = await deps.prisma.fix.findMany({ where: { windowId: window.id }, orderBy: { id: 'asc' } });
  return windowView(window, bucket, deps.clock.now(), fixes);
}
