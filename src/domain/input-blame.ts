/**
 * Who is to blame for a corrupt raw file, per reader. The file's own `flagReason` names the job that proved it corrupt
 * first (it is set once); every other job that read it — the other skim variants' jobs of the same chunk — carries its
 * own outcome: failed on it as its own input error (it had already started), or cancelled before it started. Completeness
 * names, per step and variant, the job of *that* slot, so four skim variants of one bad file name four jobs, not the
 * last one four times.
 */
import { culpritInputs } from './error-classes.ts';

/** The reason a not-yet-started reader of a corrupt file is cancelled with (read back by `blameInSlot`). */
export function cancelledReaderMessage(files: readonly string[], step: string, jobId: number): string {
  return `input file ${files.join(', ')} flagged corrupt by ${step} job ${jobId}`.slice(0, 2000);
}

const CANCELLED_RE = /^input file (.*) flagged corrupt by (\S+) job (\d+)$/s;

/** The flagging job of a cancelled reader's message, when the message names `path`. */
function flaggedBy(message: string, path: string): { step: string; jobId: number } | undefined {
  const m = CANCELLED_RE.exec(message);
  if (!m || !m[1].split(', ').includes(path)) return undefined;
  return { step: m[2], jobId: Number(m[3]) };
}

export interface SlotJob {
  id: number;
  state: string;
  errorClass: string | null;
  errorMessage: string | null;
}

export interface Blame {
  jobId: number;
  reason: string;
}

const fileName = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/**
 * Why `path` is missing from one slot (step × variant × chunk), told by the slot's own jobs: the first that failed on
 * it as an input error, else the first cancelled because another job flagged it. Undefined when no job of the slot read
 * it (the caller then falls back to the file's own flag reason).
 */
export function blameInSlot(step: string, path: string, slotJobs: readonly SlotJob[]): Blame | undefined {
  const byId = [...slotJobs].sort((a, b) => a.id - b.id);
  const failed = byId.find((j) => j.state === 'failed' && j.errorClass === 'input' && j.errorMessage && culpritInputs(j.errorMessage, [path]).length > 0);
  if (failed) return { jobId: failed.id, reason: `file corrupt: input error in ${step} job ${failed.id} (${failed.errorMessage!.replace(/^input error:\s*/, '')})` };
  for (const j of byId) {
    const by = j.state === 'cancelled' && j.errorMessage ? flaggedBy(j.errorMessage, path) : undefined;
    if (by) return { jobId: j.id, reason: `file corrupt: ${step} job ${j.id} cancelled before it started — its input ${fileName(path)} was flagged corrupt by ${by.step} job ${by.jobId}` };
  }
  return undefined;
}
