/**
 * Diff of two tags, or of one tag at two times (as-of reads): added / removed / changed entries.
 */
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import { invalid } from '../../domain/errors.ts';
import { formatIov } from '../../domain/iov.ts';
import { diffEntries } from '../../domain/tag-diff.ts';
import { AsOfSchema, TagNameSchema } from './support/schemas.ts';
import { findTag } from './support/tags.ts';
import { listIovs, pickIov } from './support/iovs.ts';

export const DiffTagsSchema = z.object({
  a: TagNameSchema.describe('first tag (the "before")'),
  b: TagNameSchema.optional().describe('second tag (the "after"); default: the first tag again, at another time'),
  asOfA: AsOfSchema,
  asOfB: AsOfSchema,
});
export type DiffTagsInput = z.input<typeof DiffTagsSchema>;

export interface DiffLine {
  name: string;
  revision: number;
  iov: string;
}

export interface TagDiffResult {
  a: { tag: string; asOf: Date | null };
  b: { tag: string; asOf: Date | null };
  added: DiffLine[];
  removed: DiffLine[];
  changed: Array<{ name: string; from: { revision: number; iov: string }; to: { revision: number; iov: string } }>;
  unchanged: number;
}

export async function diffTags(deps: Deps, raw: DiffTagsInput): Promise<TagDiffResult> {
  const input = DiffTagsSchema.parse(raw);
  const b = input.b ?? input.a;
  if (b === input.a && (input.asOfA?.getTime() ?? null) === (input.asOfB?.getTime() ?? null)) {
    throw invalid('comparing a tag with itself needs two different times', [{ path: 'asOfA', message: 'give asOfA and/or asOfB' }]);
  }
  const load = async (name: string, asOf?: Date) => {
    const tag = await findTag(deps.prisma, name);
    return (await listIovs(deps.prisma, tag.id, { asOf })).map((r) => ({ ...pickIov(r), name: r.name, revision: r.revision }));
  };
  const d = diffEntries(await load(input.a, input.asOfA), await load(b, input.asOfB));
  const line = (e: { name: string; revision: number } & Parameters<typeof formatIov>[0]) => ({ name: e.name, revision: e.revision, iov: formatIov(e) });
  return {
    a: { tag: input.a, asOf: input.asOfA ?? null },
    b: { tag: b, asOf: input.asOfB ?? null },
    added: d.added.map(line),
    removed: d.removed.map(line),
    changed: d.changed.map((c) => ({ name: c.to.name, from: { revision: c.from.revision, iov: formatIov(c.from) }, to: { revision: c.to.revision, iov: formatIov(c.to) } })),
    unchanged: d.unchanged,
  };
}
