/**
 * Reading and locking global tag rows. A mutation locks the rows it touches in one canonical order (by name), the one
 * it changes FOR UPDATE and the ones it only reads FOR SHARE, so two transactions never wait on each other in a cycle.
 */
import { Prisma as P } from '../../../db/generated/client.ts';
import { notFound, unknownName } from '../../../domain/errors.ts';
import { assertIovsEditable, tagLifecycle, type TagState, type TagType } from '../../../domain/tag-states.ts';
import { findIov, type IovRow } from './iovs.ts';
import type { RunPoint } from '../../../domain/iov.ts';
import type { Db, Tx } from '../../../db/transaction.ts';


export interface TagRow {
  id: number;
  name: string;
  type: TagType;
  state: TagState;
  description: string;
  fcsrExp: number | null;
  fcsrRun: number | null;
  version: number;
  createdAt: Date;
  createdBy: string;
  updatedAt: Date;
}

const COLUMNS = P.sql`id, name, type, state, description, "fcsrExp", "fcsrRun", version, "createdAt", "createdBy", "updatedAt"`;

export async function findTag(db: Db, name: string): Promise<TagRow> {
  const rows = await db.$queryRaw<TagRow[]>`SELECT ${COLUMNS} FROM "GlobalTag" WHERE name = ${name}`;
  if (!rows.length) throw unknownName('tag', name);
  return rows[0];
}

export async function findTagOrNull(db: Db, name: string): Promise<TagRow | undefined> {
  const rows = await db.$queryRaw<TagRow[]>`SELECT ${COLUMNS} FROM "GlobalTag" WHERE name = ${name}`;
  return rows[0];
}

export type LockMode = 'update' | 'share';

/** Locks tags in name order; returns them by name. Throws NOT_FOUND naming the first missing tag. */
export async function lockTags(tx: Tx, specs: ReadonlyArray<{ name: string; mode: LockMode }>): Promise<Map<string, TagRow>> {
  const modes = new Map<string, LockMode>();
  for (const s of specs) if (modes.get(s.name) !== 'update') modes.set(s.name, s.mode);
  const out = new Map<string, TagRow>();
  for (const name of [...modes.keys()].sort()) {
    const lock = modes.get(name) === 'update' ? P.sql`FOR UPDATE` : P.sql`FOR SHARE`;
    const rows = await tx.$queryRaw<TagRow[]>`SELECT ${COLUMNS} FROM "GlobalTag" WHERE name = ${name} ${lock}`;
    if (!rows.length) throw unknownName('tag', name);
    out.set(name, rows[0]);
  }
  return out;
}

export async function lockTag(tx: Tx, name: string, mode: LockMode = 'update'): Promise<TagRow> {
  return (await lockTags(tx, [{ name, mode }])).get(name)!;
}

/** The prologue of every direct IoV edit: lock the tag for update and refuse unless its IoVs may change. */
export async function lockEditableTag(tx: Tx, name: string): Promise<TagRow> {
  const tag = await lockTag(tx, name);
  assertIovsEditable(tag.name, tag.state);
  return tag;
}

/** The prologue of modifying or deleting one IoV: the editable tag, locked, and its live IoV `iovId`. */
export async function lockLiveIov(tx: Tx, tagName: string, iovId: number): Promise<{ tag: TagRow; iov: IovRow }> {
  const tag = await lockEditableTag(tx, tagName);
  const iov = await findIov(tx, tag.id, iovId);
  if (!iov || iov.removedAt) throw notFound(`live IoV ${iovId} in tag ${tag.name}`);
  return { tag, iov };
}

/** Sets columns of one (locked) tag and returns the row as it now is. */
export async function updateTag(tx: Tx, id: number, set: P.Sql, at: Date): Promise<TagRow> {
  const rows = await tx.$queryRaw<TagRow[]>`UPDATE "GlobalTag" SET ${set}, "updatedAt" = ${at} WHERE id = ${id} RETURNING ${COLUMNS}`;
  return rows[0];
}

/** Every change of a tag's content or state bumps its version: caches of non-immutable tags key on it. */
export async function bumpVersion(tx: Tx, tagId: number, at: Date): Promise<void> {
  await tx.$executeRaw`UPDATE "GlobalTag" SET version = version + 1, "updatedAt" = ${at} WHERE id = ${tagId}`;
}

export function fcsrOf(t: Pick<TagRow, 'fcsrExp' | 'fcsrRun'>): RunPoint | null {
  return t.fcsrExp === null || t.fcsrRun === null ? null : { exp: t.fcsrExp, run: t.fcsrRun };
}

export interface TagView {
  id: number;
  name: string;
  type: string;
  state: string;
  description: string;
  fcsr: RunPoint | null;
  version: number;
  createdAt: Date;
  createdBy: string;
  updatedAt: Date;
  nextStates: string[];
  iovCount?: number;
  payloadNames?: number;
}

export function tagView(t: TagRow, counts?: { iovCount: number; payloadNames: number }): TagView {
  return {
    id: t.id,
    name: t.name,
    type: t.type,
    state: t.state,
    description: t.description,
    fcsr: fcsrOf(t),
    version: t.version,
    createdAt: t.createdAt,
    createdBy: t.createdBy,
    updatedAt: t.updatedAt,
    nextStates: [...(tagLifecycle.transitions[t.state] ?? [])],
    ...(counts ?? {}),
  };
}
