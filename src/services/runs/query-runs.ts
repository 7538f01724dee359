/** Reading runs: list with filters, one run with its files, and what the run sources have read. */
import type { Deps } from '../../deps.ts';
import { notFound, unknownName } from '../../domain/errors.ts';
import type { Run } from '../../db/generated/client.ts';

export interface RunFilter {
  exp?: number;
  fromRun?: number;
  toRun?: number;
  bucket?: string;
  type?: string;
  flagged?: boolean;
  limit?: number;
  offset?: number;
}

export interface RunSummaryView {
  exp: number;
  run: number;
  type: string;
  startTime: string | null;
  endTime: string | null;
  luminosity: number;
  eventsOnline: number;
  eventsOffline: number;
  quality: Record<string, string>;
  bucket: string | null;
  source: string;
  files: number;
  filesByStatus: Record<string, number>;
  flag: string | null;
  flagReason: string | null;
}

export async function listRuns(deps: Deps, f: RunFilter): Promise<RunSummaryView[]> {
  const bucket = f.bucket ? await deps.prisma.bucket.findUnique({ where: { name: f.bucket }, select: { id: true } }) : undefined;
  if (f.bucket && !bucket) throw unknownName('bucket', f.bucket);
  const runs = await deps.prisma.run.findMany({
    where: {
      ...(f.exp !== undefined ? { exp: f.exp } : {}),
      ...(f.fromRun !== undefined || f.toRun !== undefined ? { run: { ...(f.fromRun !== undefined ? { gte: f.fromRun } : {}), ...(f.toRun !== undefined ? { lte: f.toRun } : {}) } } : {}),
      ...(bucket ? { bucketId: bucket.id } : {}),
      ...(f.type ? { type: f.type } : {}),
      ...(f.flagged === true ? { flag: { not: null } } : f.flagged === false ? { flag: null } : {}),
    },
    orderBy: [{ exp: 'asc' }, { run: 'asc' }],
    take: Math.min(f.limit ?? 500, 10_000),
    skip: f.offset ?? 0,
    include: { bucket: { select: { name: true } } },
  });
  const counts = runs.length
    ? await deps.prisma.rawFile.groupBy({ by: ['runId', 'status'], where: { runId: { in: runs.map((r) => r.id) } }, _count: { _all: true } })
    : [];
  const byRun = new Map<number, Record<string, number>>();
  for (const c of counts) {
    const m = byRun.get(c.runId) ?? {};
    m[c.status] = c._count._all;
    byRun.set(c.runId, m);
  }
  return runs.map((r) => {
    const fs = byRun.get(r.id) ?? {};
    return {
      ...runFields(r),
      bucket: r.bucket?.name ?? null,
      files: Object.values(fs).reduce((a, b) => a + b, 0),
      filesByStatus: fs,
    };
  });
}

export async function showRun(deps: Deps, exp: number, run: number) {
  const r = await deps.prisma.run.findUnique({
    where: { exp_run: { exp, run } },
    include: { bucket: { select: { name: true, stage: true } }, files: { orderBy: { id: 'asc' } } },
  });
  if (!r) throw notFound(`run e${exp} r${run}`);
  return {
    ...runFields(r),
    bucket: r.bucket ? { name: r.bucket.name, stage: r.bucket.stage } : null,
    flaggedAt: r.flaggedAt?.toISOString() ?? null,
    lockedAt: r.lockedAt?.toISOString() ?? null,
    files: r.files.map((f) => ({
      path: f.path,
      status: f.status,
      size: Number(f.size),
      checksum: f.checksum,
      events: f.events,
      flagReason: f.flagReason,
      flaggedAt: f.flaggedAt?.toISOString() ?? null,
    })),
  };
}

export async function listRunSourceItems(deps: Deps, opts: { source?: string; status?: string; limit?: number }) {
  const items = await deps.prisma.runSourceItem.findMany({
    where: { ...(opts.source ? { source: opts.source } : {}), ...(opts.status ? { status: opts.status } : {}) },
    orderBy: { processedAt: 'desc' },
    take: Math.min(opts.limit ?? 200, 5000),
  });
  return items.map((i) => ({
    source: i.source,
    item: i.item,
    status: i.status,
    message: i.message,
    problems: i.problems,
    runs: i.runs,
    sha256: i.sha256,
    processedAt: i.processedAt.toISOString(),
    cursor: i.cursor,
  }));
}

/** The run's own fields, shared by the list and the single-run view. */
function runFields(r: Run) {
  return {
    exp: r.exp,
    run: r.run,
    type: r.type,
    startTime: r.startTime?.toISOString() ?? null,
    endTime: r.endTime?.toISOString() ?? null,
    luminosity: r.luminosity,
    eventsOnline: Number(r.eventsOnline),
    eventsOffline: Number(r.eventsOffline),
    quality: r.quality as Record<string, string>,
    source: r.source,
    flag: r.flag,
    flagReason: r.flagReason,
  };
}
