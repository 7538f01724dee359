/**
 * Export a tag chain as a basf2 local database: `database.txt` plus `dbstore_<name>_rev_<revision>.root` files.
 *
 * The chain is flattened by priority first (src/domain/tag-merge.ts), so the file has no overlaps and reads exactly
 * like the chain. With (exp, run) it is a job-ready database for that run: only the payloads valid there, each with the
 * interval over which that same payload stays the chain's answer for its name.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { textInt } from '../../domain/strict-input.ts';
import type { Deps } from '../../deps.ts';
import { invalid, unknownName } from '../../domain/errors.ts';
import { covers, MAX_EXP, MAX_RUN } from '../../domain/iov.ts';
import { assertServable } from '../../domain/tag-states.ts';
import { mergeByPriority } from '../../domain/tag-merge.ts';
import { DATABASE_FILE, formatDatabaseTxt, payloadFileName } from '../../domain/localdb-format.ts';
import { AsOfSchema, TagNameSchema } from './support/schemas.ts';
import { aliveAt } from './support/iovs.ts';
import { payloadUrl } from './support/payloads.ts';

export const LocalDbPlanSchema = z
  .object({
    tags: z.array(TagNameSchema).min(1).max(20),
    exp: z.number().int().min(0).max(MAX_EXP).optional(),
    run: z.number().int().min(0).max(MAX_RUN).optional(),
    asOf: z.date().optional(),
  })
  .refine((v) => (v.exp === undefined) === (v.run === undefined), { message: 'give both exp and run, or neither', path: ['run'] });
export type LocalDbPlanInput = z.input<typeof LocalDbPlanSchema>;

export const LocalDbPlanQuerySchema = z.object({
  exp: textInt(0, MAX_EXP).optional(),
  run: textInt(0, MAX_RUN).optional(),
  asOf: AsOfSchema,
});

export interface LocalDbEntry {
  name: string;
  revision: number;
  firstExp: number;
  firstRun: number;
  finalExp: number;
  finalRun: number;
  tag: string;
  md5: string;
  sha256: string;
  size: number;
  url: string;
  file: string;
  storageKey: string;
}

export interface LocalDbPlan {
  tags: string[];
  /** every tag of the chain is PUBLISHED: the plan never changes */
  immutable: boolean;
  exp: number | null;
  run: number | null;
  asOf: Date | null;
  entries: LocalDbEntry[];
}

/** One live IoV of a tag with its payload's stored facts, as read for the plan. */
type Row = Pick<LocalDbEntry, 'name' | 'revision' | 'firstExp' | 'firstRun' | 'finalExp' | 'finalRun' | 'md5' | 'sha256' | 'storageKey'> & { size: bigint };

export async function localDbPlan(deps: Deps, raw: LocalDbPlanInput): Promise<LocalDbPlan> {
  const input = LocalDbPlanSchema.parse(raw);
  const sources = [];
  let immutable = true;
  for (const name of input.tags) {
    const tags = await deps.prisma.$queryRaw<Array<{ id: number; state: string }>>`SELECT id, state FROM "GlobalTag" WHERE name = ${name}`;
    if (!tags.length) throw unknownName('tag', name);
    assertServable(name, tags[0].state as never);
    if (tags[0].state !== 'PUBLISHED') immutable = false;
    const rows = await deps.prisma.$queryRaw<Row[]>`SELECT i.name, i.revision, i."firstExp", i."firstRun", i."finalExp", i."finalRun", p.md5, p.sha256, p.size, p."storageKey"
      FROM "Iov" i JOIN "Payload" p ON p.id = i."payloadId"
      WHERE i."tagId" = ${tags[0].id} AND ${aliveAt(input.asOf)}`;
    sources.push({ entries: rows.map((r) => ({ ...r, tag: name })) });
  }
  let merged = mergeByPriority(sources);
  if (input.exp !== undefined) merged = merged.filter((m) => covers(m, input.exp!, input.run!));
  return {
    tags: input.tags,
    immutable,
    exp: input.exp ?? null,
    run: input.run ?? null,
    asOf: input.asOf ?? null,
    entries: merged.map((m) => ({
      name: m.name,
      revision: m.revision,
      firstExp: m.firstExp,
      firstRun: m.firstRun,
      finalExp: m.finalExp,
      finalRun: m.finalRun,
      tag: m.tag,
      md5: m.md5,
      sha256: m.sha256,
      size: Number(m.size),
      url: payloadUrl(m.name, m.revision),
      file: payloadFileName(m.name, m.revision),
      storageKey: m.storageKey,
    })),
  };
}

export function databaseTxtFor(plan: LocalDbPlan, now: Date): string {
  const header = [
    `basf2 local database exported by calibloop at ${now.toISOString()}`,
    `tag chain (highest priority first): ${plan.tags.join(' ')}`,
    ...(plan.exp !== null ? [`only the payloads valid for exp ${plan.exp} run ${plan.run}`] : []),
    ...(plan.asOf ? [`as of ${plan.asOf.toISOString()}`] : []),
  ];
  return formatDatabaseTxt(plan.entries, header);
}

export interface ExportLocalDbInput extends LocalDbPlanInput {
  /** directory to write into (created if needed) */
  dir: string;
  onProgress?: (done: number, total: number) => void;
}

export async function exportLocalDb(deps: Deps, input: ExportLocalDbInput): Promise<{ dir: string; database: string; files: number; bytes: number; entries: number }> {
  const plan = await localDbPlan(deps, input);
  if (!input.dir) throw invalid('no output directory', [{ path: 'dir', message: 'required' }]);
  mkdirSync(input.dir, { recursive: true });
  const files = new Map<string, LocalDbEntry>();
  for (const e of plan.entries) files.set(e.file, e);
  let bytes = 0;
  let done = 0;
  for (const [file, e] of files) {
    await pipeline(deps.payloadStore.open(e.storageKey), createWriteStream(join(input.dir, file)));
    bytes += e.size;
    input.onProgress?.(++done, files.size);
  }
  const database = join(input.dir, DATABASE_FILE);
  await writeFile(database, databaseTxtFor(plan, deps.clock.now()));
  return { dir: input.dir, database, files: files.size, bytes, entries: plan.entries.length };
}

export interface ChainExportInput {
  /** the chain, highest priority first; tags that do not exist yet (the first bucket has no running tag) are left out */
  chain: readonly string[];
  dir: string;
  /** keep an export already complete in `dir` (chains of PUBLISHED tags never change); otherwise replace it */
  reuse?: boolean;
}

/**
 * The one local-database export the calibration, the loop and production planning use. The chain is exported whole
 * (every run gets the chain's answer) into a temporary directory next to `dir` and renamed into place, so a job never
 * sees half an export. An INVALID tag in the chain is refused exactly as resolve refuses it; a chain none of whose tags
 * exist yet gives an empty database (the toolkit then uses default constants).
 */
export async function exportChainLocalDb(deps: Deps, input: ChainExportInput): Promise<{ dir: string; entries: number }> {
  const { dir } = input;
  if (input.reuse && existsSync(join(dir, DATABASE_FILE))) return { dir, entries: -1 };
  const existing = input.chain.length
    ? await deps.prisma.globalTag.findMany({ where: { name: { in: [...input.chain] } }, select: { name: true } })
    : [];
  const tags = input.chain.filter((t) => existing.some((e) => e.name === t));
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`;
  let entries = 0;
  try {
    if (tags.length) {
      entries = (await exportLocalDb(deps, { tags, dir: tmp })).entries;
    } else {
      mkdirSync(tmp, { recursive: true });
      await writeFile(join(tmp, DATABASE_FILE), formatDatabaseTxt([], [`basf2 local database: tag chain ${input.chain.join(' ') || '(none)'} has no tags yet`]));
    }
    if (!input.reuse) rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(tmp, dir);
    } catch (e) {
      // another instance finished the same export first
      if (!input.reuse || !existsSync(join(dir, DATABASE_FILE))) throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { dir, entries };
}
