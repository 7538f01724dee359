/**
 * Reads what planning needs about a bucket: its runs with the metadata input filters look at, and the cDST files
 * production registered (OutputFile rows of step `cdst`, variant = skim name).
 */
import type { PlanFile, PlanRun } from '../../domain/calibration-plan.ts';
import type { RunQuality } from '../../domain/input-filters.ts';
import type { Db } from '../../db/transaction.ts';

export const CDST_STEP = 'cdst';

export async function bucketRuns(db: Db, bucketId: number): Promise<PlanRun[]> {
  const runs = await db.run.findMany({ where: { bucketId }, orderBy: [{ exp: 'asc' }, { run: 'asc' }] });
  return runs.map((r) => {
    const extra = r as unknown as { beamEnergy?: string | null; magnet?: string | null };
    return {
      exp: r.exp,
      run: r.run,
      type: r.type,
      quality: (r.quality && typeof r.quality === 'object' ? r.quality : {}) as Record<string, RunQuality>,
      beamEnergy: extra.beamEnergy ?? null,
      magnet: extra.magnet ?? null,
    };
  });
}

export async function bucketCdstFiles(db: Db, bucketId: number): Promise<PlanFile[]> {
  const files = await db.outputFile.findMany({ where: { bucketId, step: CDST_STEP }, orderBy: { id: 'asc' } });
  // one cDST per run and skim: a stale one redone as a later generation (production-plan.ts) supersedes the earlier
  const latest = new Map<string, (typeof files)[number]>();
  for (const f of files) if (f.exp !== null && f.run !== null) latest.set(`${f.exp}/${f.run}/${f.variant}`, f);
  return [...latest.values()].map((f) => ({ path: f.path, skim: f.variant, exp: f.exp!, run: f.run!, events: f.events, size: Number(f.size) }));
}
