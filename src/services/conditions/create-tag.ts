/**
 * Create a global tag (OPEN), or make sure one exists (`ensureTag`, idempotent: for the tags the loop manages, such as
 * the running tag, the fixing tag and per-bucket staging tags).
 */
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import type { Actor } from '../../domain/roles.ts';
import { conflict } from '../../domain/errors.ts';
import { transitionPath, type TagState, type TagType } from '../../domain/tag-states.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { TagNameSchema, TagStateSchema, TagTypeSchema } from './support/schemas.ts';
import { inTransaction, type Tx, type TxOption } from '../../db/transaction.ts';
import { findTag, tagView, type TagRow, type TagView } from './support/tags.ts';
import { appendEvents } from './support/events.ts';
import { changeState } from './set-tag-state.ts';

export const CreateTagSchema = z.object({
  name: TagNameSchema,
  type: TagTypeSchema,
  description: z.string().max(10_000).default(''),
});
export type CreateTagInput = z.input<typeof CreateTagSchema>;

async function insertTag(tx: Tx, actor: Actor, input: z.output<typeof CreateTagSchema>, now: Date): Promise<TagRow | undefined> {
  const rows = await tx.$queryRaw<TagRow[]>`INSERT INTO "GlobalTag" (name, description, type, state, version, "createdAt", "createdBy", "updatedAt")
    VALUES (${input.name}, ${input.description}, ${input.type}, 'OPEN', 0, ${now}, ${actor.user}, ${now})
    ON CONFLICT (name) DO NOTHING
    RETURNING id, name, type, state, description, "fcsrExp", "fcsrRun", version, "createdAt", "createdBy", "updatedAt"`;
  if (!rows.length) return undefined;
  const tag = rows[0];
  await appendEvents(tx, tag.id, [{ kind: 'create', details: { type: tag.type, description: tag.description } }], now, actor);
  await recordAudit(tx, actor, { action: 'tag.create', targetType: 'tag', targetId: tag.name, summary: `created ${tag.type} tag ${tag.name} (OPEN)`, at: now });
  return tag;
}

export async function createTag(deps: Deps, actor: Actor, raw: CreateTagInput, opts: TxOption = {}): Promise<TagView> {
  const input = CreateTagSchema.parse(raw);
  const now = deps.clock.now();
  return inTransaction(
    deps,
    async (tx) => {
      const tag = await insertTag(tx, actor, input, now);
      if (!tag) throw conflict(`global tag ${input.name} already exists`);
      return tagView(tag, { iovCount: 0, payloadNames: 0 });
    },
    opts,
  );
}

export const EnsureTagSchema = CreateTagSchema.extend({
  /** when the tag is created, walk it to this state along legal transitions (e.g. RUNNING for the running tag) */
  state: TagStateSchema.optional(),
});
export type EnsureTagInput = z.input<typeof EnsureTagSchema>;

/**
 * Idempotent: returns the existing tag when one of that name and type exists (whatever its state), creates it
 * otherwise. A tag of that name with another type is a CONFLICT (two roles must never share a tag).
 */
export async function ensureTag(deps: Deps, actor: Actor, raw: EnsureTagInput, opts: TxOption = {}): Promise<{ tag: TagView; created: boolean }> {
  const input = EnsureTagSchema.parse(raw);
  const now = deps.clock.now();
  return inTransaction(
    deps,
    async (tx) => {
      let tag = await insertTag(tx, actor, input, now);
      if (!tag) {
        const existing = await findTag(tx, input.name);
        if (existing.type !== input.type) {
          throw conflict(`global tag ${input.name} exists with type ${existing.type}, not ${input.type}`, { tag: input.name, type: existing.type });
        }
        return { tag: tagView(existing), created: false };
      }
      if (input.state && input.state !== 'OPEN') {
        const path = transitionPath('OPEN', input.state as TagState);
        if (!path) throw conflict(`a new tag cannot reach state ${input.state}`);
        for (const to of path) tag = await changeState(deps, tx, actor, tag, to, 'created by ensureTag', now);
      }
      return { tag: tagView(tag), created: true };
    },
    opts,
  );
}

export type { TagType };
