/**
 * The `state = ANY(…)` guard of a raw state move, built from the job stage table (src/domain/job-states.ts), so a SQL
 * statement can never move a job along an edge the table lacks: the listed states are exactly those of `among` that
 * may move to `to`.
 */
import { Prisma } from '../../../db/generated/client.ts';
import { jobLifecycle, statesThatMayMoveTo, type JobState } from '../../../domain/job-states.ts';

export function mayMoveTo(to: JobState, opts: { among?: readonly JobState[]; alias?: string } = {}): Prisma.Sql {
  const froms = statesThatMayMoveTo(to, opts.among ?? jobLifecycle.list);
  if (froms.length === 0) return Prisma.sql`FALSE`; // e.g. a resubmit filtered to states none of which may be resubmitted
  const column = Prisma.raw(opts.alias ? `${opts.alias}.state` : 'state');
  return Prisma.sql`${column} = ANY(${froms}::text[])`;
}
