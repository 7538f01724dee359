/**
 * The loop's adapter onto the conditions services (src/services/conditions): the few operations the fix window,
 * the final tag, prompt processing and blessing need, in the loop's words. Nothing else in the loop imports the
 * conditions services, so a change there is absorbed here.
 */
import { Readable } from 'node:stream';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Deps } from '../../deps.ts';
import { DomainError } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { uploadPayload } from '../conditions/upload-payload.ts';
import { ensureTag } from '../conditions/create-tag.ts';
import { addIov } from '../conditions/add-iov.ts';
import { setTagState } from '../conditions/set-tag-state.ts';
import { setFirstConditionSafeRun } from '../conditions/set-fcsr.ts';
import { findTagOrNull } from '../conditions/support/tags.ts';
import { pointKey } from '../../domain/iov.ts';
import { mergeTags } from '../conditions/merge-tags.ts';
import { inTransaction } from '../../db/transaction.ts';
import { countIovs } from '../conditions/support/iovs.ts';
import { exportLocalDb } from '../conditions/export-localdb.ts';

export interface StoredPayload {
  id: number;
  name: string;
  revision: number;
}

/** Stores the bytes under `name` (identical bytes give the existing revision). */
export async function storePayload(deps: Deps, actor: Actor, name: string, content: Buffer, reason?: string): Promise<StoredPayload> {
  const p = await uploadPayload(deps, actor, { name, source: Readable.from([content]), reason });
  const row = await deps.prisma.payload.findUniqueOrThrow({ where: { name_revision: { name: p.name, revision: p.revision } }, select: { id: true } });
  return { id: row.id, name: p.name, revision: p.revision };
}

/** Adds an approved fix to the auxiliary fixing tag (created OPEN on first use). Returns the new IoV's id. */
export async function addFixToFixingTag(
  deps: Deps,
  actor: Actor,
  tag: string,
  fix: { payloadId: number; name: string; revision: number; firstExp: number; firstRun: number; finalExp: number; finalRun: number },
  reason: string,
): Promise<number> {
  await ensureFixingTag(deps, actor, tag);
  const iov = await addIov(deps, actor, {
    tag,
    payload: { name: fix.name, revision: fix.revision },
    iov: { firstExp: fix.firstExp, firstRun: fix.firstRun, finalExp: fix.finalExp, finalRun: fix.finalRun },
    reason,
  });
  return iov.id;
}

/** PUBLISHED, walking VALIDATED → PUBLISHED; a tag already PUBLISHED (an interrupted earlier blessing) is fine. */
export async function publishTag(deps: Deps, actor: Actor, tag: string, reason: string): Promise<void> {
  const row = await findTagOrNull(deps.prisma, tag);
  if (!row) throw new DomainError('NOT_FOUND', `global tag ${tag} not found`);
  if (row.state === 'PUBLISHED') return;
  if (row.state !== 'VALIDATED') throw new DomainError('RULE_VIOLATION', `tag ${tag} is ${row.state}; only a VALIDATED final tag can be blessed`);
  await setTagState(deps, actor, { name: tag, state: 'PUBLISHED', reason, expectedState: 'VALIDATED' });
}

/** Moves the running tag's first condition-safe run forward to `fcsr` (never backwards; a no-op when already past). */
export async function advanceFcsr(deps: Deps, actor: Actor, tag: string, fcsr: { exp: number; run: number }, reason: string): Promise<void> {
  const row = await findTagOrNull(deps.prisma, tag);
  if (!row) throw new DomainError('NOT_FOUND', `running tag ${tag} not found`);
  if (row.fcsrExp !== null && row.fcsrRun !== null && pointKey(row.fcsrExp, row.fcsrRun) >= pointKey(fcsr.exp, fcsr.run)) return;
  await setFirstConditionSafeRun(deps, actor, { tag, exp: fcsr.exp, run: fcsr.run, reason });
}

/**
 * The final tag of a bucket: the fixing tag clipped to the bucket's runs over the snapshot (merge by priority), then
 * frozen to VALIDATED — all in one transaction, so an interrupted attempt leaves nothing behind. A final tag that is
 * already VALIDATED or PUBLISHED (the attempt that made it crashed before moving the bucket) is reused.
 */
export async function buildFinalTag(
  deps: Deps,
  actor: Actor,
  input: { finalTag: string; snapshotTag: string; fixingTag: string; bucket: { exp: number; firstRun: number; lastRun: number }; reason: string },
): Promise<{ finalTag: string; iovs: number; reused: boolean }> {
  await ensureFixingTag(deps, actor, input.fixingTag);
  return inTransaction(
    deps,
    async (tx) => {
      const existing = await findTagOrNull(tx, input.finalTag);
      if (existing && (existing.state === 'VALIDATED' || existing.state === 'PUBLISHED')) {
        return { finalTag: input.finalTag, iovs: (await countIovs(tx, existing.id)).iovCount, reused: true };
      }
      const range = { firstExp: input.bucket.exp, firstRun: input.bucket.firstRun, finalExp: input.bucket.exp, finalRun: input.bucket.lastRun };
      const merged = await mergeTags(
        deps,
        actor,
        {
          sources: [{ tag: input.fixingTag, range }, input.snapshotTag],
          target: input.finalTag,
          type: 'release',
          description: `final tag: fixes of runs ${range.firstExp}/${range.firstRun}-${range.finalRun} over ${input.snapshotTag}`,
          reason: input.reason,
        },
        { tx },
      );
      for (const state of ['TESTING', 'VALIDATED'] as const) {
        await setTagState(deps, actor, { name: input.finalTag, state, reason: input.reason }, { tx });
      }
      return { finalTag: input.finalTag, iovs: merged.merged, reused: false };
    },
    { timeoutMs: 300_000 },
  );
}

export async function ensureFixingTag(deps: Deps, actor: Actor, tag: string): Promise<void> {
  await ensureTag(deps, actor, { name: tag, type: 'auxiliary', description: 'Auxiliary fixing tag: corrected payloads from fix windows (first in the calibration chain)' });
}

/**
 * A basf2 local database of a chain of PUBLISHED tags (snapshot, blessed final tag), exported once under
 * `$CALIBLOOP_HOME/localdb/<chain>` and shared by every job of the bucket: the tags never change, so neither does the
 * export. Written into a temporary directory and renamed, so a job never sees half an export.
 */
export async function exportChainLocalDb(deps: Deps, chain: string[]): Promise<string> {
  const dir = join(deps.config.home, 'localdb', chain.join('+'));
  if (existsSync(join(dir, 'database.txt'))) return dir;
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await exportLocalDb(deps, { tags: chain, dir: tmp });
  mkdirSync(dirname(dir), { recursive: true });
  try {
    renameSync(tmp, dir);
  } catch (e) {
    // another instance finished the same export first
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, 'database.txt'))) throw e;
  }
  return dir;
}
