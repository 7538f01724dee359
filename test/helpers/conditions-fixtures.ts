/**
 * Builders for conditions tests: payloads with distinct contents, tags with IoVs in a given state, and a snapshot of
 * everything a tag holds (rows, events) to prove that a refused operation changed nothing.
 */
import { Readable } from 'node:stream';
import type { Deps } from '../../src/deps.ts';
import type { Actor } from '../../src/domain/roles.ts';
import { transitionPath, type TagState, type TagType } from '../../src/domain/tag-states.ts';
import { uploadPayload } from '../../src/services/conditions/upload-payload.ts';
import { createTag } from '../../src/services/conditions/create-tag.ts';
import { addIovs } from '../../src/services/conditions/add-iov.ts';
import { setTagState } from '../../src/services/conditions/set-tag-state.ts';
import { REFUSAL_ACTION } from '../../src/services/audit/record-refusal.ts';

export const MANAGER: Actor = { user: 'carla', role: 'calibration_manager', detectors: [] };

/** [payload name, revision, firstExp, firstRun, finalExp, finalRun] */
export type E = [string, number, number, number, number, number];

export function conditions(deps: Deps, actor: Actor = MANAGER) {
  return {
    /** Uploads revisions until `name` has at least `revision` revisions (contents "name#k"). */
    async payload(name: string, revision = 1): Promise<void> {
      const have = await deps.prisma.payload.count({ where: { name } });
      for (let k = have + 1; k <= revision; k++) await uploadPayload(deps, actor, { name, source: Readable.from([Buffer.from(`${name}#${k}`)]) });
    },
    async tag(name: string, type: TagType, entries: E[], state: TagState = 'OPEN'): Promise<void> {
      for (const [p, rev] of entries) await this.payload(p, rev);
      await createTag(deps, actor, { name, type });
      if (entries.length) {
        await addIovs(deps, actor, {
          tag: name,
          entries: entries.map(([p, revision, firstExp, firstRun, finalExp, finalRun]) => ({ payload: { name: p, revision }, iov: { firstExp, firstRun, finalExp, finalRun } })),
        });
      }
      for (const s of transitionPath('OPEN', state) ?? []) await setTagState(deps, actor, { name, state: s });
    },
    /** Live IoVs as "name rREV e1,r1,e2,r2", sorted. */
    async live(tag: string): Promise<string[]> {
      const rows = await deps.prisma.$queryRaw<Array<{ name: string; revision: number; firstExp: number; firstRun: number; finalExp: number; finalRun: number }>>`
        SELECT i.name, i.revision, i."firstExp", i."firstRun", i."finalExp", i."finalRun" FROM "Iov" i JOIN "GlobalTag" t ON t.id = i."tagId"
        WHERE t.name = ${tag} AND i."removedAt" IS NULL`;
      return rows.map((r) => `${r.name} r${r.revision} ${r.firstExp},${r.firstRun},${r.finalExp},${r.finalRun}`).sort();
    },
    /** Everything stored about the conditions (to prove nothing changed). */
    async everything(): Promise<string> {
      const [iovs, events, tags, audits] = await Promise.all([
        deps.prisma.iov.findMany({ orderBy: { id: 'asc' } }),
        deps.prisma.tagEvent.count(),
        deps.prisma.globalTag.findMany({ orderBy: { id: 'asc' } }),
        // refused requests are audited on their own (record-refusal.ts); everything else must stay as it was
        deps.prisma.auditEvent.count({ where: { action: { not: REFUSAL_ACTION } } }),
      ]);
      return JSON.stringify({ iovs, events, tags, audits }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    },
  };
}
