/**
 * Import a basf2 local database (database.txt + dbstore_<name>_rev_<revision>.root files) into an OPEN tag.
 *
 * Each payload file is uploaded (identical bytes under the same name dedup to the existing revision, so a round trip
 * on one server keeps revisions; on another server revisions are that server's own). Lines are read as basf2 does, later
 * lines winning, and the resulting non-overlapping IoVs are added in one transaction; they must not overlap what the
 * tag already holds.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import type { Actor } from '../../domain/roles.ts';
import { invalid } from '../../domain/errors.ts';
import { formatIov } from '../../domain/iov.ts';
import { DATABASE_FILE, effectiveEntries, parseDatabaseTxt, payloadFileName, type LocalDbLine } from '../../domain/localdb-format.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { IovSchema, PayloadNameSchema, ReasonSchema, TagNameSchema, TagTypeSchema } from './support/schemas.ts';
import { inTransaction, type TxOption } from '../../db/transaction.ts';
import { lockEditableTag } from './support/tags.ts';
import { pickIov, type IovView } from './support/iovs.ts';
import { appendEvents } from './support/events.ts';
import { insertEntries, resolvePayloadIds } from './add-iov.ts';
import { ensureTag } from './create-tag.ts';
import { uploadPayloadFromFile } from './upload-payload.ts';

export const ImportLocalDbEntriesSchema = z.object({
  tag: TagNameSchema,
  /** in file order (later lines win); revisions are this server's */
  lines: z.array(z.object({ name: PayloadNameSchema, revision: z.number().int().min(1), iov: IovSchema })).min(1).max(200_000),
  /** create the tag (OPEN, this type) when it does not exist */
  create: TagTypeSchema.optional(),
  reason: ReasonSchema,
});
export type ImportLocalDbEntriesInput = z.input<typeof ImportLocalDbEntriesSchema>;

export async function importLocalDbEntries(
  deps: Deps,
  actor: Actor,
  raw: ImportLocalDbEntriesInput,
  opts: TxOption = {},
): Promise<{ tag: string; created: boolean; lines: number; added: IovView[] }> {
  const input = ImportLocalDbEntriesSchema.parse(raw);
  const lines: LocalDbLine[] = input.lines.map((l, k) => ({ ...pickIov(l.iov), name: l.name, revision: l.revision, line: k + 1 }));
  const effective = effectiveEntries(lines);
  const now = deps.clock.now();
  return inTransaction(
    deps,
    async (tx) => {
      let created = false;
      if (input.create) created = (await ensureTag(deps, actor, { name: input.tag, type: input.create }, { tx })).created;
      const tag = await lockEditableTag(tx, input.tag);
      const ids = await resolvePayloadIds(tx, effective);
      const entries = effective.map((e) => ({ ...pickIov(e), name: e.name, revision: e.revision, payloadId: ids.get(`${e.name}@${e.revision}`)! }));
      const added = await insertEntries(tx, actor, tag, entries, { allowOverlap: false, reason: input.reason, now });
      await appendEvents(tx, tag.id, [{ kind: 'import', details: { lines: lines.length, added: added.length } }], now, actor, input.reason);
      await recordAudit(tx, actor, {
        action: 'tag.import',
        targetType: 'tag',
        targetId: tag.name,
        summary: `imported a local database into ${tag.name}: ${lines.length} lines, ${added.length} IoVs`,
        details: { first: added.slice(0, 20).map((a) => `${a.name} ${a.revision} ${formatIov(a)}`), reason: input.reason },
        at: now,
      });
      return { tag: tag.name, created, lines: lines.length, added };
    },
    { ...opts, timeoutMs: 300_000 },
  );
}

export interface ImportLocalDbInput {
  dir: string;
  tag: string;
  create?: z.input<typeof TagTypeSchema>;
  reason?: string;
  onProgress?: (done: number, total: number) => void;
}

/** Reads DIR/database.txt and its payload files from the local disk (for services of later parts and tests). */
export async function importLocalDb(deps: Deps, actor: Actor, input: ImportLocalDbInput) {
  const file = join(input.dir, DATABASE_FILE);
  if (!existsSync(file)) throw invalid(`${file} does not exist`, [{ path: 'dir', message: `no ${DATABASE_FILE}` }]);
  const lines = parseDatabaseTxt(await readFile(file, 'utf8'), file);
  if (!lines.length) throw invalid(`${file} has no entries`);
  const payloads = [...new Map(lines.map((l) => [`${l.name}@${l.revision}`, l])).values()];
  const missing = payloads.filter((p) => !existsSync(join(input.dir, payloadFileName(p.name, p.revision))));
  if (missing.length) {
    throw invalid(
      `${missing.length} payload file${missing.length > 1 ? 's are' : ' is'} missing from ${input.dir}`,
      missing.map((m) => ({ path: `${DATABASE_FILE}:${m.line}`, message: `${payloadFileName(m.name, m.revision)} not found` })),
    );
  }
  const revisionOf = new Map<string, number>();
  let done = 0;
  for (const p of payloads) {
    const up = await uploadPayloadFromFile(deps, actor, { name: p.name, path: join(input.dir, payloadFileName(p.name, p.revision)), reason: input.reason });
    revisionOf.set(`${p.name}@${p.revision}`, up.revision);
    input.onProgress?.(++done, payloads.length);
  }
  return importLocalDbEntries(deps, actor, {
    tag: input.tag,
    create: input.create,
    reason: input.reason ?? '',
    lines: lines.map((l) => ({ name: l.name, revision: revisionOf.get(`${l.name}@${l.revision}`)!, iov: pickIov(l) })),
  });
}
