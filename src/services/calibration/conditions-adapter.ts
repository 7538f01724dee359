/**
 * `LoopConditions` over the conditions services (src/services/conditions). Resolution and the local-database export
 * read the store directly with the pure resolution of src/domain/resolution.ts (the same rule the resolve endpoint
 * uses: first tag of the chain wins per name, higher revision inside a tag); tags of the chain that do not exist yet
 * (the first bucket has no running or fixing tag) are skipped.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Deps } from '../../deps.ts';
import { resolveChainEntries } from '../../domain/resolution.ts';
import { DATABASE_FILE, formatDatabaseTxt, payloadFileName } from '../../domain/localdb-format.ts';
import { notFound } from '../../domain/errors.ts';
import type { Tx } from '../../db/transaction.ts';
import { addIov } from '../conditions/add-iov.ts';
import { ensureTag } from '../conditions/create-tag.ts';
import { deleteIov } from '../conditions/delete-iov.ts';
import { runningUpdate } from '../conditions/running-update.ts';
import { setTagState } from '../conditions/set-tag-state.ts';
import { snapshotTag } from '../conditions/snapshot-tag.ts';
import { uploadPayloadFromFile } from '../conditions/upload-payload.ts';
import { listIovs } from '../conditions/support/iovs.ts';
import { findTagOrNull } from '../conditions/support/tags.ts';
import { transitionPath, type TagState } from '../../domain/tag-states.ts';
import type { LiveIov, LoopConditions, ResolvedPayloadRef } from './conditions-port.ts';

export function loopConditions(deps: Deps): LoopConditions {
  const db = (tx?: Tx) => tx ?? deps.prisma;

  async function liveIovs(tag: string, tx?: Tx): Promise<LiveIov[]> {
    const row = await findTagOrNull(db(tx), tag);
    if (!row) return [];
    const rows = await listIovs(db(tx), row.id);
    return rows.map((r) => ({ id: r.id, name: r.name, revision: r.revision, payloadId: r.payloadId, firstExp: r.firstExp, firstRun: r.firstRun, finalExp: r.finalExp, finalRun: r.finalRun }));
  }

  async function resolve(chain: readonly string[], exp: number, run: number): Promise<Array<ResolvedPayloadRef & LiveIov>> {
    const parts: Array<{ tag: string; entries: LiveIov[] }> = [];
    for (const tag of chain) {
      const row = await findTagOrNull(deps.prisma, tag);
      if (!row || row.state === 'INVALID') continue;
      parts.push({ tag, entries: await liveIovs(tag) });
    }
    return resolveChainEntries(parts, exp, run);
  }

  async function payloadPath(payloadId: number): Promise<string> {
    const p = await deps.prisma.payload.findUnique({ where: { id: payloadId } });
    if (!p) throw notFound(`payload ${payloadId}`);
    return deps.payloadStore.pathOf(p.storageKey);
  }

  return {
    async uploadPayloadFile({ name, file, actor }) {
      const r = await uploadPayloadFromFile(deps, actor, { name, path: file, reason: 'calibration output' });
      return { id: r.id, name: r.name, revision: r.revision };
    },
    async tagState(name, tx) {
      return (await findTagOrNull(db(tx), name))?.state ?? null;
    },
    async ensureTag({ name, type, description, actor }) {
      await ensureTag(deps, actor, { name, type, description });
    },
    liveIovs,
    async addIov({ tag, payloadId, iov, actor, reason }) {
      const p = await deps.prisma.payload.findUniqueOrThrow({ where: { id: payloadId } });
      const added = await addIov(deps, actor, { tag, payload: { name: p.name, revision: p.revision }, iov, reason });
      return { id: added.id };
    },
    async removeIov({ tag, iovId, actor, reason }) {
      await deleteIov(deps, actor, { tag, id: iovId, reason });
    },
    async setTagState({ tag, state, actor, reason, tx }) {
      const row = await findTagOrNull(db(tx), tag);
      if (!row) throw notFound(`global tag ${tag}`);
      const path = transitionPath(row.state as TagState, state) ?? [state];
      for (const to of path) await setTagState(deps, actor, { name: tag, state: to, reason }, tx ? { tx } : {});
    },
    async runningUpdate({ staging, running, exp, run, actor, reason, tx }) {
      const summary = await runningUpdate(deps, actor, { running, staging, firstValid: { exp, run }, reason }, { tx });
      return summary as unknown as Record<string, unknown>;
    },
    async snapshot({ source, name, actor, reason, tx }) {
      const r = await snapshotTag(deps, actor, { source, name, reason }, { tx });
      return { name: r.name, state: r.state, copied: r.copied };
    },
    resolve,
    async exportLocalDb({ chain, exp, run, dir }) {
      mkdirSync(dir, { recursive: true });
      const resolved = await resolve(chain, exp, run);
      for (const r of resolved) copyFileSync(await payloadPath(r.payloadId), join(dir, payloadFileName(r.name, r.revision)));
      writeFileSync(
        join(dir, DATABASE_FILE),
        formatDatabaseTxt(resolved, [`calibloop export of chain ${chain.join(', ')} at ${exp}/${run}`]),
      );
      return { entries: resolved.length };
    },
    payloadPath,
  };
}
