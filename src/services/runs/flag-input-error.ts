/**
 * A job failed with an input error (exit 65): the raw files its message names *and* that are inputs of the job are
 * flagged `corrupt`, and their run `input_error`, in the job's own outcome transaction. Nothing is flagged when the
 * message names no input of the job (blame only what is proven; a conditions payload is its own error class and never
 * comes here). Flagged files are left out of production from then on (the rest of their chunk is planned again without
 * them) and show in completeness per step and variant as "file corrupt: input error in <step> job N (…)", N being that
 * variant's own job (or "… job N cancelled before it started — its input … was flagged corrupt by <step> job M").
 */
import { culpritInputs } from '../../domain/error-classes.ts';
import type { Db } from '../../db/transaction.ts';
import { enqueueNotification } from '../loop/notify.ts';

export interface InputErrorFacts {
  jobId: number;
  step: string;
  inputs: readonly string[];
  message: string;
  at: Date;
}

/**
 * Returns the paths of the raw files this job flagged. The flag is compare-and-set: a file (and a run) already flagged
 * keeps the reason of the job that proved it first. A later reader that fails on the same file (another skim variant's
 * job that had already started) is its own input error — its job record says so, and completeness names it for its own
 * variant (src/domain/input-blame.ts) — but it neither overwrites the file's reason nor cancels readers again.
 */
export async function flagInputError(db: Db, f: InputErrorFacts): Promise<string[]> {
  const culprits = culpritInputs(f.message, f.inputs);
  if (culprits.length === 0) return [];
  const reason = `input error in ${f.step} job ${f.jobId} (${f.message.replace(/^input error:\s*/, '')})`.slice(0, 2000);
  // the row locks the UPDATE takes make concurrent outcome transactions wait and then re-check `status`: one wins
  const raw = await db.rawFile.updateManyAndReturn({
    where: { path: { in: culprits }, status: { not: 'corrupt' } },
    data: { status: 'corrupt', flaggedAt: f.at, flagReason: reason },
    select: { id: true, path: true, runId: true },
  });
  if (raw.length === 0) return [];
  const runIds = [...new Set(raw.map((r) => r.runId))];
  // runs flagged now for the first time are announced once each (the notification key is unique per run)
  const newlyFlagged = await db.run.updateManyAndReturn({
    where: { id: { in: runIds }, flag: null },
    data: { flag: 'input_error', flagReason: reason, flaggedAt: f.at },
    select: { id: true, exp: true, run: true, bucket: { select: { name: true } } },
  });
  for (const r of newlyFlagged) {
    const files = raw.filter((x) => x.runId === r.id).length;
    await enqueueNotification(db, {
      key: `run_flagged:${r.exp},${r.run}`,
      kind: 'run_flagged',
      message: `Run ${r.exp},${r.run} flagged input_error (${files} corrupt file(s)): ${reason.slice(0, 300)}`,
      payload: { bucket: r.bucket?.name ?? null, run: `${r.exp},${r.run}`, job: f.jobId, files },
      at: f.at,
    });
  }
  return raw.map((r) => r.path);
}
