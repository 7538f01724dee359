/**
 * When a run is ready for a production step, decided per step kind.
 *
 * Raw-input steps (HLT skim, mDST): a run is ready when its raw files are *settled*: each is transferred, missing or
 * corrupt. Waiting for every file to be transferred (sPHENIX's rule) stalled whole runs on one file that
 * never came, so:
 * - `transferred` files are produced;
 * - `corrupt` and `missing` files are left out and reported (a file that turns out corrupt when read fails its job as
 *   an input error, is flagged `corrupt`, and the rest of its chunk is planned again without it);
 * - files still `registered` make the run wait, but only until `fileWaitHours` after the run ended; then they are
 *   left out as "not transferred in time" (if they arrive later they are reported, not silently mixed in);
 * - a run that has not ended (no end time) and still has registered files waits.
 *
 * Steps reading another step's outputs (cDST from skims) are ready when every unit of the input step for the run is
 * final; see production-plan.ts.
 */
import { roundForPeople } from './human.ts';
import type { RawFileStatus } from './run-list.ts';

export interface ReadinessFile {
  id: number;
  path: string;
  status: RawFileStatus | string;
  flagReason?: string | null;
}

export interface ReadinessRun {
  exp: number;
  run: number;
  endTime: Date | null;
  files: ReadinessFile[];
}

export interface ExcludedFile {
  id: number;
  path: string;
  reason: string;
  /** the job of this step and variant that failed on the file or was cancelled for it (src/domain/input-blame.ts) */
  jobId?: number;
}

export type RawReadiness =
  | { ready: true; usable: ReadinessFile[]; excluded: ExcludedFile[] }
  | { ready: false; reason: string };

const HOUR = 3600_000;

export function rawReadiness(run: ReadinessRun, now: Date, fileWaitHours: number): RawReadiness {
  if (run.files.length === 0) return { ready: false, reason: 'no raw files registered yet' };
  const pending = run.files.filter((f) => f.status === 'registered');
  let timedOut = false;
  if (pending.length > 0) {
    if (!run.endTime) {
      return { ready: false, reason: `run has not ended and ${pending.length} file(s) are not transferred yet` };
    }
    const waitedH = (now.getTime() - run.endTime.getTime()) / HOUR;
    if (waitedH < fileWaitHours) {
      return {
        ready: false,
        reason: `${pending.length} file(s) not transferred yet; waiting until ${roundForPeople(fileWaitHours)} h after the run ended (${waitedH.toFixed(1)} h so far)`,
      };
    }
    timedOut = true;
  }
  const usable: ReadinessFile[] = [];
  const excluded: ExcludedFile[] = [];
  for (const f of run.files) {
    if (f.status === 'transferred') usable.push(f);
    else if (f.status === 'corrupt') excluded.push({ id: f.id, path: f.path, reason: f.flagReason ? `file corrupt: ${f.flagReason}` : 'reported corrupt by the run source' });
    else if (f.status === 'missing') excluded.push({ id: f.id, path: f.path, reason: 'reported missing by the run source' });
    else if (timedOut) excluded.push({ id: f.id, path: f.path, reason: `not transferred within ${roundForPeople(fileWaitHours)} h after the run ended` });
    else excluded.push({ id: f.id, path: f.path, reason: `unknown file status ${f.status}` });
  }
  return { ready: true, usable, excluded };
}
