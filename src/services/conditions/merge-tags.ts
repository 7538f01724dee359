/**
 * Merge by priority (docs/conditions.md): `merge A B C -> D`, highest priority first; later tags only fill the gaps the earlier
 * ones leave (src/domain/tag-merge.ts). D is created OPEN (or an existing empty OPEN tag is filled), so it can be
 * tested and published like any tag. A source may be clipped to a run range (the final tag of a bucket takes the fixing
 * tag only for the bucket's runs).
 */
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import type { Actor } from '../../domain/roles.ts';
import { conflict, invalid, ruleViolation } from '../../domain/errors.ts';
import { formatIov } from '../../domain/iov.ts';
import { mergeByPriority } from '../../domain/tag-merge.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { AsOfSchema, IovSchema, ReasonSchema, TagNameSchema, TagTypeSchema } from './support/schemas.ts';
import { inTransaction, type TxOption } from '../../db/transaction.ts';
import { lockTags, tagView, type TagRow, type TagView } from './support/tags.ts';
import { countIovs, listIovs, pickIov, type NewIov } from './support/iovs.ts';
import { appendEvents } from './support/events.ts';
import { insertEntries } from './add-iov.ts';


export const MergeSourceSchema = z.union([TagNameSchema, z.object({ tag: TagNameSchema, range: IovSchema.optional() })]);

export const MergeTagsSchema = z.object({
  sources: z.array(MergeSourceSchema).min(1).max(20).describe('highest priority first'),
  target: TagNameSchema,
  type: TagTypeSchema.default('release'),
  description: z.string().max(10_000).optional(),
  asOf: AsOfSchema.describe('read the sources as of this time'),
  reason: ReasonSchema,
});
export type MergeTagsInput = z.input<typeof MergeTagsSchema>;

export async function mergeTags(deps: Deps, actor: Actor, raw: MergeTagsInput, opts: TxOption = {}): Promise<TagView & { merged: number; sources: string[] }> {
  const input = MergeTagsSchema.parse(raw);
  const sources = input.sources.map((s) => (typeof s === 'string' ? { tag: s, range: undefined } : s));
  const names = sources.map((s) => s.tag);
  if (new Set(names).size !== names.length) throw invalid('a tag appears twice in the merge', [{ path: 'sources', message: 'duplicate tag' }]);
  if (names.includes(input.target)) throw invalid('the target cannot be one of the sources', [{ path: 'target', message: 'is a source' }]);
  const now = deps.clock.now();
  return inTransaction(
    deps,
    async (tx) => {
      const locked = await lockTags(tx, [...names.map((name) => ({ name, mode: 'share' as const }))]);
      for (const s of locked.values()) if (s.state === 'INVALID') throw ruleViolation(`source tag ${s.name} is INVALID`, { rule: 'invalid-tag' });
      let target: TagRow;
      const existing = await tx.$queryRaw<TagRow[]>`SELECT id, name, type, state, description, "fcsrExp", "fcsrRun", version, "createdAt", "createdBy", "updatedAt"
        FROM "GlobalTag" WHERE name = ${input.target} FOR UPDATE`;
      if (existing.length) {
        target = existing[0];
        if (target.state !== 'OPEN' || (await countIovs(tx, target.id)).iovCount > 0) {
          throw conflict(`target tag ${input.target} exists and is not an empty OPEN tag`);
        }
      } else {
        const description = input.description ?? `merge of ${names.join(' > ')}`;
        target = (
          await tx.$queryRaw<TagRow[]>`INSERT INTO "GlobalTag" (name, description, type, state, version, "createdAt", "createdBy", "updatedAt")
            VALUES (${input.target}, ${description}, ${input.type}, 'OPEN', 0, ${now}, ${actor.user}, ${now})
            RETURNING id, name, type, state, description, "fcsrExp", "fcsrRun", version, "createdAt", "createdBy", "updatedAt"`
        )[0];
        await appendEvents(tx, target.id, [{ kind: 'create', details: { type: input.type, description } }], now, actor, input.reason);
      }
      const lists = [];
      for (const s of sources) {
        const rows = await listIovs(tx, locked.get(s.tag)!.id, { asOf: input.asOf });
        lists.push({ entries: rows.map((r) => ({ ...pickIov(r), name: r.name, revision: r.revision, payloadId: r.payloadId })), range: s.range });
      }
      const merged = mergeByPriority(lists);
      const entries: NewIov[] = merged.map((m) => ({ ...pickIov(m), name: m.name, revision: m.revision, payloadId: m.payloadId }));
      if (entries.length) await insertEntries(tx, actor, target, entries, { allowOverlap: true, reason: input.reason, now });
      const details = {
        sources: sources.map((s) => ({ tag: s.tag, range: s.range ? formatIov(s.range) : undefined })),
        asOf: input.asOf ?? now,
        merged: entries.length,
      };
      await appendEvents(tx, target.id, [{ kind: 'merge', details }], now, actor, input.reason);
      await recordAudit(tx, actor, {
        action: 'tag.merge',
        targetType: 'tag',
        targetId: target.name,
        summary: `merged ${names.join(' > ')} into ${target.name} (${entries.length} IoVs)`,
        details,
        at: now,
      });
      const after = (await tx.$queryRaw<TagRow[]>`SELECT id, name, type, state, description, "fcsrExp", "fcsrRun", version, "createdAt", "createdBy", "updatedAt" FROM "GlobalTag" WHERE id = ${target.id}`)[0];
      return { ...tagView(after), iovCount: entries.length, merged: entries.length, sources: names };
    },
    { ...opts, timeoutMs: 300_000 },
  );
}
