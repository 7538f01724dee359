/**
 * A job failed with an input error (exit 65): the raw files its message names are flagged `corrupt`, and the run is
 * flagged `input_error`, in the job's own outcome transaction. Flagged files are left out of production from then on
 * (the rest of their chunk is planned again without them) and show in completeness as "input error on file X".
 */
import { culpritInputs } from '../../domain/error-classes.ts';
import type { Db } from '../../db/transaction.ts';

export interface InputErrorFacts {
  jobId: number;
  exp: number | null;
  run: number | null;
  inputs: readonly string[];
  message: string;
  at: Date;
}

/** Returns the paths of the raw files flagged. */
export async function flagInputError(db: Db, f: InputErrorFacts): Promise<string[]> {
  const culprits = culpritInputs(f.message, f.inputs);
  const reason = `job ${f.jobId}: ${f.message}`.slice(0, 2000);
  let flagged: string[] = [];
  if (culprits.length > 0) {
    const raw = await db.rawFile.findMany({ where: { path: { in: culprits } }, select: { id: true, path: true } });
    if (raw.length > 0) {
      await db.rawFile.updateMany({ where: { id: { in: raw.map((r) => r.id) } }, data: { status: 'corrupt', flaggedAt: f.at, flagReason: reason } });
      flagged = raw.map((r) => r.path);
    }
  }
  if (f.exp !== null && f.run !== null) {
    await db.run.updateMany({ where: { exp: f.exp, run: f.run }, data: { flag: 'input_error', flagReason: reason, flaggedAt: f.at } });
  }
  return flagged;
}
