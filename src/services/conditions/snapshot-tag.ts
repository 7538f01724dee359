/**
 * Snapshot: a PUBLISHED deep copy of a tag (usually the running tag) at a moment, so processing with it is exactly
 * reproducible. Named explicitly or from the snapshot pattern of `globaltags/prompt.yaml` for a bucket
 * (e.g. data_reprocessing_prompt_snapshot_{bucket}). The copy is one INSERT … SELECT; the tag is created PUBLISHED
 * directly, with the source and the time copied in its history.
 */
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import type { Actor } from '../../domain/roles.ts';
import { invalid, ruleViolation } from '../../domain/errors.ts';
import { loadGlobalTags } from '../../config/load-config.ts';
import { snapshotTagName } from '../../config/globaltags-schema.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { AsOfSchema, ReasonSchema, TagNameSchema } from './support/schemas.ts';
import { inTransaction, type TxOption } from '../../db/transaction.ts';
import { lockTag, tagView, type TagView } from './support/tags.ts';
import { appendEvents } from './support/events.ts';
import { copyTag } from './clone-tag.ts';

export const SnapshotTagSchema = z
  .object({
    source: TagNameSchema,
    name: TagNameSchema.optional().describe('name of the snapshot'),
    bucket: z.string().max(64).optional().describe('bucket name: the snapshot is named by the snapshot pattern of globaltags/'),
    description: z.string().max(10_000).optional(),
    asOf: AsOfSchema,
    reason: ReasonSchema,
  })
  .refine((v) => Boolean(v.name) !== Boolean(v.bucket), { message: 'give either name or bucket', path: ['name'] });
export type SnapshotTagInput = z.input<typeof SnapshotTagSchema>;

export function snapshotNameFor(deps: Deps, bucket: string): string {
  return snapshotTagName(loadGlobalTags(deps.config.globaltagsDir), bucket);
}

export async function snapshotTag(deps: Deps, actor: Actor, raw: SnapshotTagInput, opts: TxOption = {}): Promise<TagView & { copied: number }> {
  const input = SnapshotTagSchema.parse(raw);
  const name = input.name ?? snapshotNameFor(deps, input.bucket!);
  if (name === input.source) throw invalid('a snapshot needs a name of its own', [{ path: 'name', message: 'same as the source' }]);
  const now = deps.clock.now();
  const result = await inTransaction(
    deps,
    async (tx) => {
      const source = await lockTag(tx, input.source, 'share');
      if (source.state === 'INVALID') throw ruleViolation(`tag ${source.name} is INVALID; it cannot be snapshotted for processing`, { rule: 'invalid-tag' });
      const description = input.description ?? `snapshot of ${source.name} at ${(input.asOf ?? now).toISOString()}${input.bucket ? ` for bucket ${input.bucket}` : ''}`;
      const { tag, copied } = await copyTag(tx, actor, source, { name, type: 'snapshot', state: 'PUBLISHED', description }, now, input.asOf);
      const details = { source: source.name, sourceState: source.state, sourceVersion: source.version, asOf: input.asOf ?? now, copied, bucket: input.bucket };
      await appendEvents(tx, tag.id, [{ kind: 'snapshot', details }, { kind: 'state', details: { from: null, to: 'PUBLISHED' } }], now, actor, input.reason);
      await recordAudit(tx, actor, {
        action: 'tag.snapshot',
        targetType: 'tag',
        targetId: tag.name,
        summary: `snapshot ${tag.name} of ${source.name} (${copied} IoVs), PUBLISHED`,
        details,
        at: now,
      });
      return { ...tagView(tag), iovCount: copied, copied };
    },
    { ...opts, timeoutMs: 300_000 },
  );
  deps.logger.info('snapshot created', { tag: result.name, source: input.source, copied: result.copied, user: actor.user });
  return result;
}
