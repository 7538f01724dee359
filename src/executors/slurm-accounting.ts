/**
 * What Slurm's accounting (`sacct`, with slurmdbd) knows about a finished array task's use of resources, parsed from
 * `sacct --noheader --parsable2 --format=<SACCT_FORMAT>`. A task has one line for its allocation (`123_4`) and one per
 * step (`123_4.batch`, `123_4.extern`, `123_4.0` …): elapsed and total CPU time are the allocation's (TotalCPU
 * includes its steps); memory and disk counters exist only on steps, so the peak RSS is the largest step's and the
 * bytes read and written are summed over the steps (one task per step here, so a step's Max is its total).
 * Values Slurm leaves empty (no accounting gathered, job still running) stay unknown rather than 0.
 */
import type { AttemptResources } from './executor.ts';

export const SACCT_FORMAT = 'JobID,State,ElapsedRaw,TotalCPU,MaxRSS,MaxDiskRead,MaxDiskWrite';

const UNIT: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4, P: 1024 ** 5 };

/** "539880K", "1.50G", "0.02M", "1234" (bytes) → bytes; empty → undefined. */
export function parseSlurmSize(s: string | undefined): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([KMGTP]?)$/i.exec((s ?? '').trim());
  if (!m) return undefined;
  const suffix = m[2]!.toUpperCase();
  return Object.hasOwn(UNIT, suffix) ? Math.round(Number(m[1]) * UNIT[suffix]!) : undefined;
}

/** Slurm durations: "[D-][HH:]MM:SS[.mmm]" ("00:45.455", "01:02:03", "2-04:00:00") → seconds; else undefined. */
export function parseSlurmDuration(s: string | undefined): number | undefined {
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$/.exec((s ?? '').trim());
  if (!m) return undefined;
  return Number(m[1] ?? 0) * 86400 + Number(m[2] ?? 0) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

/** Resources per array task id (`<arrayJobId>_<taskId>`), from sacct output in SACCT_FORMAT. */
export function parseSacct(stdout: string): Map<string, AttemptResources> {
  const out = new Map<string, AttemptResources>();
  for (const line of stdout.split('\n')) {
    const f = line.trim().split('|');
    if (f.length < 7) continue;
    const m = /^(\d+_\d+)(?:\.(.+))?$/.exec(f[0]!);
    if (!m) continue; // header, pending "123_[4-9]" groups, jobs that are not array tasks
    const id = m[1]!;
    const r = out.get(id) ?? {};
    if (m[2] === undefined) {
      const wall = Number.parseInt(f[2]!, 10);
      if (Number.isFinite(wall)) r.wallS = wall;
      const cpu = parseSlurmDuration(f[3]);
      if (cpu !== undefined) r.cpuS = cpu;
    } else {
      const rss = parseSlurmSize(f[4]);
      if (rss !== undefined) r.peakRssMb = Math.max(r.peakRssMb ?? 0, Math.round((rss / 1024 ** 2) * 10) / 10);
      const read = parseSlurmSize(f[5]);
      if (read !== undefined) r.inputBytes = (r.inputBytes ?? 0) + read;
      const written = parseSlurmSize(f[6]);
      if (written !== undefined) r.outputBytes = (r.outputBytes ?? 0) + written;
    }
    out.set(id, r);
  }
  return out;
}
