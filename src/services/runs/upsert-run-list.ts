/**
 * Writes a validated run list: runs upserted by (exp, run), files by path, all in the caller's transaction, so a list
 * is stored completely or not at all. Idempotent: delivering the same list again changes nothing.
 *
 * A file flagged `corrupt` by a job keeps that status when a source reports it again with the same checksum (the DAQ
 * does not know it is corrupt); a new checksum means the file was replaced, so the flag is cleared and the reported
 * status is taken.
 */
import { DomainError } from '../../domain/errors.ts';
import type { RunList } from '../../domain/run-list.ts';
import type { Tx } from '../../db/transaction.ts';

export interface UpsertSummary {
  runs: number;
  newRuns: number;
  files: number;
  newFiles: number;
}

export async function upsertRunList(tx: Tx, list: RunList, source: string, now: Date): Promise<UpsertSummary> {
  const summary: UpsertSummary = { runs: 0, newRuns: 0, files: 0, newFiles: 0 };
  const paths = list.runs.flatMap((r) => r.files.map((f) => f.path));
  const known = new Map<string, { id: number; runId: number; status: string; checksum: string; flaggedAt: Date | null }>();
  for (let i = 0; i < paths.length; i += 5000) {
    const rows = await tx.rawFile.findMany({
      where: { path: { in: paths.slice(i, i + 5000) } },
      select: { id: true, path: true, runId: true, status: true, checksum: true, flaggedAt: true },
    });
    for (const r of rows) known.set(r.path, r);
  }
  for (const r of list.runs) {
    const fields = {
      type: r.type,
      startTime: r.startTime ? new Date(r.startTime) : null,
      endTime: r.endTime ? new Date(r.endTime) : null,
      luminosity: r.luminosity,
      eventsOnline: BigInt(r.eventsOnline),
      eventsOffline: BigInt(r.eventsOffline),
      quality: r.quality,
      source,
    };
    const existing = await tx.run.findUnique({ where: { exp_run: { exp: r.exp, run: r.run } }, select: { id: true } });
    const run = existing
      ? await tx.run.update({ where: { id: existing.id }, data: fields, select: { id: true } })
      : await tx.run.create({ data: { exp: r.exp, run: r.run, ...fields, createdAt: now }, select: { id: true } });
    summary.runs++;
    if (!existing) summary.newRuns++;
    let unflagged = false;
    for (const f of r.files) {
      const k = known.get(f.path);
      if (k && k.runId !== run.id) {
        throw new DomainError('INVALID_INPUT', `file ${f.path} already belongs to another run`, [{ path: f.path, message: 'belongs to another run' }]);
      }
      summary.files++;
      if (!k) {
        await tx.rawFile.create({ data: { createdAt: now, runId: run.id, path: f.path, status: f.status, size: BigInt(f.size), checksum: f.checksum, events: f.events } });
        summary.newFiles++;
        continue;
      }
      const replaced = f.checksum !== '' && f.checksum !== k.checksum;
      const keepFlag = k.flaggedAt !== null && !replaced;
      if (k.flaggedAt !== null && !keepFlag) unflagged = true;
      await tx.rawFile.update({
        where: { id: k.id },
        data: {
          status: keepFlag ? k.status : f.status,
          size: BigInt(f.size),
          checksum: f.checksum || k.checksum,
          events: f.events,
          ...(keepFlag ? {} : { flaggedAt: null, flagReason: null }),
        },
      });
    }
    // a run flagged for an input error is cleared once none of its files is flagged any more (all replaced)
    const stillFlagged = unflagged ? await tx.rawFile.count({ where: { runId: run.id, flaggedAt: { not: null } } }) : 1;
    if (stillFlagged === 0) await tx.run.updateMany({ where: { id: run.id, flag: 'input_error' }, data: { flag: null, flagReason: null, flaggedAt: null } });
  }
  return summary;
}
