/** The IoVs of a tag, now or as of a time, optionally of one payload name or covering one run. */
import { z } from 'zod';
import { textInt } from '../../domain/strict-input.ts';
import type { Deps } from '../../deps.ts';
import { AsOfSchema, PayloadNameSchema, QueryBool } from './support/schemas.ts';
import { findTag } from './support/tags.ts';
import { iovView, listIovs, type IovView } from './support/iovs.ts';
import { MAX_EXP, MAX_RUN } from '../../domain/iov.ts';
import { invalid } from '../../domain/errors.ts';

export const ListIovsQuerySchema = z.object({
  name: PayloadNameSchema.optional(),
  exp: textInt(0, MAX_EXP).optional(),
  run: textInt(0, MAX_RUN).optional(),
  asOf: AsOfSchema,
  includeRemoved: QueryBool.default(false).describe('also rows removed since (the full row history)'),
});
export type ListIovsQuery = z.input<typeof ListIovsQuerySchema>;

export async function listTagIovs(deps: Deps, tagName: string, raw: ListIovsQuery = {}): Promise<{ tag: string; state: string; asOf: Date | null; iovs: IovView[] }> {
  const q = ListIovsQuerySchema.parse(raw);
  if ((q.exp === undefined) !== (q.run === undefined)) throw invalid('give both exp and run, or neither', [{ path: q.exp === undefined ? 'query.exp' : 'query.run', message: 'required with the other' }]);
  const tag = await findTag(deps.prisma, tagName);
  const rows = await listIovs(deps.prisma, tag.id, {
    name: q.name,
    asOf: q.asOf,
    at: q.exp !== undefined ? { exp: q.exp, run: q.run! } : undefined,
    includeRemoved: q.includeRemoved,
  });
  return { tag: tag.name, state: tag.state, asOf: q.asOf ?? null, iovs: rows.map((r) => iovView(r, q.includeRemoved)) };
}
