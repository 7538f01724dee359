/**
 * The one implementation of `ConditionsPort` (conditions-port.ts), over the conditions services of this folder.
 * Resolution uses the pure rule of src/domain/resolution.ts, the same as the resolve endpoint: first tag of the chain
 * wins per name, higher revision inside a tag, INVALID tags refused.
 */
import { Readable } from 'node:stream';
import type { Deps } from '../../deps.ts';
import { notFound, ruleViolation, unknownName } from '../../domain/errors.ts';
import { pointKey } from '../../domain/iov.ts';
import { resolveChainEntries } from '../../domain/resolution.ts';
import { assertServable, transitionPath } from '../../domain/tag-states.ts';
import { inTransaction, type Tx } from '../../db/transaction.ts';
import { addIov } from './add-iov.ts';
import { ensureTag } from './create-tag.ts';
import { deleteIov } from './delete-iov.ts';
import { exportChainLocalDb } from './export-localdb.ts';
import { mergeTags } from './merge-tags.ts';
import { runningUpdate } from './running-update.ts';
import { setFirstConditionSafeRun } from './set-fcsr.ts';
import { setTagState } from './set-tag-state.ts';
import { snapshotTag } from './snapshot-tag.ts';
import { uploadPayload, uploadPayloadFromFile } from './upload-payload.ts';
import { countIovs, listIovs } from './support/iovs.ts';
import { findTagOrNull } from './support/tags.ts';
import type { ConditionsPort, LiveIov } from './conditions-port.ts';

const FIXING_TAG_DESCRIPTION = 'Auxiliary fixing tag: corrected payloads from fix windows (first in the calibration chain)';

export function conditionsPort(deps: Deps): ConditionsPort {
  const db = (tx?: Tx) => tx ?? deps.prisma;
  const opts = (tx?: Tx) => (tx ? { tx } : {});

  async function findTag(name: string, tx?: Tx) {
    const row = await findTagOrNull(db(tx), name);
    if (!row) throw unknownName('tag', name);
    return row;
  }

  const port: ConditionsPort = {
    async storePayload({ name, file, content, actor, reason }, tx) {
      const p = file
        ? await uploadPayloadFromFile(deps, actor, { name, path: file, reason }, opts(tx))
        : await uploadPayload(deps, actor, { name, source: Readable.from([content ?? Buffer.alloc(0)]), reason }, opts(tx));
      return { id: p.id, name: p.name, revision: p.revision };
    },
    async payloadPath(payloadId, tx) {
      const p = await db(tx).payload.findUnique({ where: { id: payloadId } });
      if (!p) throw notFound(`payload ${payloadId}`);
      return deps.payloadStore.pathOf(p.storageKey);
    },
    async tagState(name, tx) {
      return (await findTagOrNull(db(tx), name))?.state ?? null;
    },
    async ensureTag({ name, type, description, actor }, tx) {
      await ensureTag(deps, actor, { name, type, description }, opts(tx));
    },
    async liveIovs(tag, tx) {
      const row = await findTagOrNull(db(tx), tag);
      if (!row) return [];
      const rows = await listIovs(db(tx), row.id);
      return rows.map((r) => ({ id: r.id, name: r.name, revision: r.revision, payloadId: r.payloadId, firstExp: r.firstExp, firstRun: r.firstRun, finalExp: r.finalExp, finalRun: r.finalRun }));
    },
    async addIov({ tag, payloadId, iov, actor, reason }, tx) {
      const p = await db(tx).payload.findUniqueOrThrow({ where: { id: payloadId } });
      const added = await addIov(deps, actor, { tag, payload: { name: p.name, revision: p.revision }, iov, reason }, opts(tx));
      return { id: added.id };
    },
    async removeIov({ tag, iovId, actor, reason }, tx) {
      await deleteIov(deps, actor, { tag, id: iovId, reason }, opts(tx));
    },
    async walkTagTo({ tag, state, actor, reason }, tx) {
      const row = await findTag(tag, tx);
      // unreachable: let set-tag-state refuse the direct move with its ILLEGAL_TRANSITION message
      const path = transitionPath(row.state, state) ?? [state];
      for (const to of path) await setTagState(deps, actor, { name: tag, state: to, reason }, opts(tx));
    },
    async publishTag({ tag, actor, reason }, tx) {
      const row = await findTag(tag, tx);
      if (row.state === 'PUBLISHED') return;
      if (row.state !== 'VALIDATED') throw ruleViolation(`tag ${tag} is ${row.state}; only a VALIDATED final tag can be blessed`);
      await setTagState(deps, actor, { name: tag, state: 'PUBLISHED', reason, expectedState: 'VALIDATED' }, opts(tx));
    },
    async advanceFcsr({ tag, fcsr, actor, reason }, tx) {
      const row = await findTag(tag, tx);
      if (row.fcsrExp !== null && row.fcsrRun !== null && pointKey(row.fcsrExp, row.fcsrRun) >= pointKey(fcsr.exp, fcsr.run)) return;
      await setFirstConditionSafeRun(deps, actor, { tag, exp: fcsr.exp, run: fcsr.run, reason }, opts(tx));
    },
    async runningUpdate({ staging, running, exp, run, actor, reason }, tx) {
      const summary = await runningUpdate(deps, actor, { running, staging, firstValid: { exp, run }, reason }, opts(tx));
      return summary as unknown as Record<string, unknown>;
    },
    async snapshot({ source, name, actor, reason }, tx) {
      const r = await snapshotTag(deps, actor, { source, name, reason }, opts(tx));
      return { name: r.name, state: r.state, copied: r.copied };
    },
    async buildFinalTag(input, tx) {
      const { actor } = input;
      await port.ensureTag({ name: input.fixingTag, type: 'auxiliary', description: FIXING_TAG_DESCRIPTION, actor }, tx);
      return inTransaction(
        deps,
        async (t) => {
          const existing = await findTagOrNull(t, input.finalTag);
          if (existing && (existing.state === 'VALIDATED' || existing.state === 'PUBLISHED')) {
            return { finalTag: input.finalTag, iovs: (await countIovs(t, existing.id)).iovCount, reused: true };
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
            { tx: t },
          );
          await port.walkTagTo({ tag: input.finalTag, state: 'VALIDATED', actor, reason: input.reason }, t);
          return { finalTag: input.finalTag, iovs: merged.merged, reused: false };
        },
        { timeoutMs: 300_000, tx },
      );
    },
    async addFix({ tag, fix, actor, reason }, tx) {
      await port.ensureTag({ name: tag, type: 'auxiliary', description: FIXING_TAG_DESCRIPTION, actor }, tx);
      const iov = await addIov(
        deps,
        actor,
        { tag, payload: { name: fix.name, revision: fix.revision }, iov: { firstExp: fix.firstExp, firstRun: fix.firstRun, finalExp: fix.finalExp, finalRun: fix.finalRun }, reason },
        opts(tx),
      );
      return iov.id;
    },
    async resolve(chain, exp, run, tx) {
      const parts: Array<{ tag: string; entries: LiveIov[] }> = [];
      for (const tag of chain) {
        const row = await findTagOrNull(db(tx), tag);
        if (!row) continue;
        assertServable(tag, row.state);
        parts.push({ tag, entries: await port.liveIovs(tag, tx) });
      }
      return resolveChainEntries(parts, exp, run);
    },
    exportLocalDb(input) {
      return exportChainLocalDb(deps, input);
    },
  };
  return port;
}
