/**
 * Add IoVs to an OPEN tag: each names a payload (name + revision) and an interval. IoVs of one payload name must not
 * overlap inside the tag (neither with existing ones nor with each other) unless `allowOverlap` is given, in which case
 * the higher revision wins where they overlap. All or nothing: one transaction, the tag row locked first, so parallel
 * additions to one tag are checked one after the other and can never create an overlap together.
 */
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import type { Actor } from '../../domain/roles.ts';
import { notFound, ruleViolation } from '../../domain/errors.ts';
import { formatIov, MAX_EXP, MAX_RUN, overlaps, type Iov } from '../../domain/iov.ts';
import { MAX_ID } from '../../domain/strict-input.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { IovSchema, PayloadNameSchema, ReasonSchema, TagNameSchema } from './support/schemas.ts';
import { inTransaction, type Tx, type TxOption } from '../../db/transaction.ts';
import { bumpVersion, lockEditableTag, type TagRow } from './support/tags.ts';
import { insertIovs, iovView, pickIov, type IovRow, type IovView, type NewIov } from './support/iovs.ts';
import { appendEvents } from './support/events.ts';

export const IovEntrySchema = z.object({
  payload: z.object({ name: PayloadNameSchema, revision: z.number().int().min(1).max(MAX_ID) }),
  iov: IovSchema,
});
export type IovEntry = z.input<typeof IovEntrySchema>;

/** Entries one bulk request may carry. */
export const BULK_IOV_MAX_ENTRIES = 200_000;
/** The longest entry compact JSON can spell (longest name, largest numbers). */
const WORST_ENTRY_BYTES = JSON.stringify({ payload: { name: 'x'.repeat(128), revision: MAX_ID }, iov: { firstExp: MAX_EXP, firstRun: MAX_RUN, finalExp: MAX_EXP, finalRun: MAX_RUN } }).length + 1;
/**
 * The body limit of the bulk endpoint: what BULK_IOV_MAX_ENTRIES entries of compact JSON need at worst, plus room for
 * the reason. So every request the schema accepts also fits the body limit (stated in the OpenAPI description).
 */
export const BULK_IOV_BODY_LIMIT_BYTES = BULK_IOV_MAX_ENTRIES * WORST_ENTRY_BYTES + 64 * 1024;

export const AddIovsSchema = z.object({
  tag: TagNameSchema,
  entries: z.array(IovEntrySchema).min(1).max(BULK_IOV_MAX_ENTRIES),
  allowOverlap: z.boolean().default(false),
  reason: ReasonSchema,
});
export type AddIovsInput = z.input<typeof AddIovsSchema>;

export interface OverlapProblem {
  name: string;
  iov: string;
  revision: number;
  /** the IoV it overlaps: an existing row (id) or another new entry (index) */
  with: { id?: number; index?: number; revision: number; iov: string };
}

/** Payload ids for (name, revision) pairs; NOT_FOUND listing every missing one. */
export async function resolvePayloadIds(tx: Tx, refs: ReadonlyArray<{ name: string; revision: number }>): Promise<Map<string, number>> {
  const names = refs.map((r) => r.name);
  const revs = refs.map((r) => r.revision);
  const rows = await tx.$queryRaw<Array<{ id: number; name: string; revision: number }>>`SELECT DISTINCT p.id, p.name, p.revision FROM "Payload" p
    JOIN unnest(${names}::text[], ${revs}::int[]) AS u(name, rev) ON p.name = u.name AND p.revision = u.rev`;
  const ids = new Map(rows.map((r) => [`${r.name}@${r.revision}`, r.id]));
  const missing = [...new Set(refs.map((r) => `${r.name}@${r.revision}`))].filter((k) => !ids.has(k));
  if (missing.length) {
    const e = notFound(`payload${missing.length > 1 ? 's' : ''} ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`);
    Object.assign(e, { details: missing.map((m) => ({ path: 'payload', message: `${m} does not exist` })) });
    throw e;
  }
  return ids;
}

/** Overlaps of new entries with live rows and with each other, per payload name. */
export async function findNewOverlaps(tx: Tx, tagId: number, entries: ReadonlyArray<NewIov>): Promise<OverlapProblem[]> {
  const names = [...new Set(entries.map((e) => e.name))];
  const live = await tx.$queryRaw<IovRow[]>`SELECT id, name, revision, "firstExp", "firstRun", "finalExp", "finalRun" FROM "Iov"
    WHERE "tagId" = ${tagId} AND "removedAt" IS NULL AND name = ANY(${names}::text[])`;
  const byName = new Map<string, Array<{ iov: Iov; id?: number; index?: number; revision: number }>>();
  for (const r of live) {
    const l = byName.get(r.name) ?? [];
    l.push({ iov: pickIov(r), id: r.id, revision: r.revision });
    byName.set(r.name, l);
  }
  const problems: OverlapProblem[] = [];
  entries.forEach((e, index) => {
    const l = byName.get(e.name) ?? [];
    for (const other of l) {
      if (overlaps(e, other.iov)) {
        problems.push({ name: e.name, iov: formatIov(e), revision: e.revision, with: { id: other.id, index: other.index, revision: other.revision, iov: formatIov(other.iov) } });
      }
    }
    l.push({ iov: pickIov(e), index, revision: e.revision });
    byName.set(e.name, l);
  });
  return problems;
}

export function overlapError(tag: string, problems: OverlapProblem[]) {
  const first = problems[0];
  return ruleViolation(
    `${problems.length} overlap${problems.length > 1 ? 's' : ''} in tag ${tag}: ${first.name} r${first.revision} [${first.iov}] overlaps ${first.with.id ? `IoV ${first.with.id}` : `entry ${first.with.index}`} r${first.with.revision} [${first.with.iov}]`,
    { rule: 'overlap', overlaps: problems.slice(0, 100) },
  );
}

/** The insert itself, on a locked OPEN tag (shared with import and merge). */
export async function insertEntries(
  tx: Tx,
  actor: Actor,
  tag: TagRow,
  entries: ReadonlyArray<NewIov>,
  opts: { allowOverlap: boolean; reason: string; now: Date },
): Promise<IovView[]> {
  if (!opts.allowOverlap) {
    const problems = await findNewOverlaps(tx, tag.id, entries);
    if (problems.length) throw overlapError(tag.name, problems);
  }
  const ids = await insertIovs(tx, tag.id, entries, opts.now, actor.user);
  await appendEvents(
    tx,
    tag.id,
    entries.map((e, k) => ({ kind: 'iov.insert' as const, details: { iovId: ids[k], name: e.name, revision: e.revision, iov: formatIov(e) } })),
    opts.now,
    actor,
    opts.reason,
  );
  await bumpVersion(tx, tag.id, opts.now);
  return entries.map((e, k) =>
    iovView({ ...e, id: ids[k], tagId: tag.id, insertedAt: opts.now, insertedBy: actor.user, removedAt: null, removedBy: null }),
  );
}

export async function addIovs(deps: Deps, actor: Actor, raw: AddIovsInput, opts: TxOption = {}): Promise<{ tag: string; added: IovView[] }> {
  const input = AddIovsSchema.parse(raw);
  const now = deps.clock.now();
  return inTransaction(
    deps,
    async (tx) => {
      const tag = await lockEditableTag(tx, input.tag);
      const ids = await resolvePayloadIds(tx, input.entries.map((e) => e.payload));
      const entries: NewIov[] = input.entries.map((e) => ({
        ...pickIov(e.iov),
        name: e.payload.name,
        revision: e.payload.revision,
        payloadId: ids.get(`${e.payload.name}@${e.payload.revision}`)!,
      }));
      const added = await insertEntries(tx, actor, tag, entries, { allowOverlap: input.allowOverlap, reason: input.reason, now });
      await recordAudit(tx, actor, {
        action: 'iov.add',
        targetType: 'tag',
        targetId: tag.name,
        summary:
          added.length === 1
            ? `${tag.name}: added ${added[0].name} r${added[0].revision} [${formatIov(added[0])}]`
            : `${tag.name}: added ${added.length} IoVs`,
        details: { count: added.length, first: added.slice(0, 20).map((a) => ({ id: a.id, name: a.name, revision: a.revision, iov: formatIov(a) })), reason: input.reason },
        at: now,
      });
      return { tag: tag.name, added };
    },
    { ...opts, timeoutMs: 120_000 },
  );
}

export const AddIovSchema = IovEntrySchema.extend({ tag: TagNameSchema, allowOverlap: z.boolean().default(false), reason: ReasonSchema });
export type AddIovInput = z.input<typeof AddIovSchema>;

export async function addIov(deps: Deps, actor: Actor, raw: AddIovInput, opts: TxOption = {}): Promise<IovView> {
  const input = AddIovSchema.parse(raw);
  const r = await addIovs(deps, actor, { tag: input.tag, entries: [{ payload: input.payload, iov: input.iov }], allowOverlap: input.allowOverlap, reason: input.reason }, opts);
  return r.added[0];
}

const RowId = z.number().int().min(1).max(2 ** 31 - 1);
export const AddIovByIdsSchema = z.object({ tagId: RowId, payloadId: RowId, iov: IovSchema, reason: ReasonSchema });
export type AddIovByIdsInput = z.input<typeof AddIovByIdsSchema>;

/** The same addition, with the tag and the payload named by their row ids (as Belle II clients name them). */
export async function addIovByIds(deps: Deps, actor: Actor, raw: AddIovByIdsInput, opts: TxOption = {}): Promise<IovView> {
  const input = AddIovByIdsSchema.parse(raw);
  return inTransaction(
    deps,
    async (tx) => {
      const [tag] = await tx.$queryRaw<Array<{ name: string }>>`SELECT name FROM "GlobalTag" WHERE id = ${input.tagId}`;
      if (!tag) throw notFound(`global tag with id ${input.tagId}`);
      const [payload] = await tx.$queryRaw<Array<{ name: string; revision: number }>>`SELECT name, revision FROM "Payload" WHERE id = ${input.payloadId}`;
      if (!payload) throw notFound(`payload with id ${input.payloadId}`);
      return addIov(deps, actor, { tag: tag.name, payload, iov: input.iov, reason: input.reason }, { tx });
    },
    opts,
  );
}
