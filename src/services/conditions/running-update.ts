/**
 * Running update (docs/conditions.md; Belle II `b2conditionsdb tag runningupdate`): apply a VALIDATED staging tag to a RUNNING
 * tag from a first valid run R on, atomically. The rules and the operations are planned by
 * `src/domain/running-update.ts`; this use case locks the running tag (FOR UPDATE) and the staging tag (FOR SHARE), loads
 * what the plan needs, and applies it in the same transaction: closes and extensions are remove + insert (rows are never
 * rewritten), each IoV change is a history event, and one audit event summarises it. A refused update changes nothing
 * and lists every violation with the IoV and the rule it broke. `dryRun` returns the plan without applying it.
 */
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import type { Actor } from '../../domain/roles.ts';
import { ruleViolation } from '../../domain/errors.ts';
import { formatIov, formatPoint, type Iov, type RunPoint } from '../../domain/iov.ts';
import { planRunningUpdate, type RunningUpdateMode, type TagIov } from '../../domain/running-update.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { ReasonSchema, RunningUpdateModeSchema, RunPointSchema, TagNameSchema } from './support/schemas.ts';
import { inTransaction, type TxOption } from '../../db/transaction.ts';
import { bumpVersion, fcsrOf, lockTags } from './support/tags.ts';
import { insertIovs, iovsRelevantFrom, listIovs, pickIov, removeIovs, type NewIov } from './support/iovs.ts';
import { appendEvents, type NewTagEvent } from './support/events.ts';

export const RunningUpdateSchema = z.object({
  running: TagNameSchema,
  staging: TagNameSchema,
  firstValid: RunPointSchema.describe('first valid run R: the staging payloads apply from here on'),
  mode: RunningUpdateModeSchema.default('strict'),
  reason: ReasonSchema,
  dryRun: z.boolean().default(false).describe('check and plan only; change nothing'),
});
export type RunningUpdateInput = z.input<typeof RunningUpdateSchema>;

export interface IovChangeSummary {
  name: string;
  revision: number;
  oldIovId: number;
  newIovId?: number;
  from: string;
  to: string;
}

export interface RunningUpdateSummary {
  running: string;
  staging: string;
  mode: RunningUpdateMode;
  firstValid: RunPoint;
  applied: boolean;
  closed: IovChangeSummary[];
  extended: Array<IovChangeSummary & { unchanged: boolean }>;
  added: Array<{ name: string; revision: number; iov: string; stagingIovId: number; iovId?: number }>;
  counts: { closed: number; extended: number; added: number };
  /** the smallest first valid run the next update may use */
  nextFirstValid: RunPoint;
}

const asTagIov = (r: TagIov): TagIov => ({ id: r.id, name: r.name, revision: r.revision, payloadId: r.payloadId, ...pickIov(r) });

export async function runningUpdate(deps: Deps, actor: Actor, raw: RunningUpdateInput, opts: TxOption = {}): Promise<RunningUpdateSummary> {
  const input = RunningUpdateSchema.parse(raw);
  const mode = input.mode as RunningUpdateMode;
  const now = deps.clock.now();
  const summary = await inTransaction(
    deps,
    async (tx) => {
      const tags = await lockTags(tx, [
        { name: input.running, mode: 'update' },
        { name: input.staging, mode: 'share' },
      ]);
      const running = tags.get(input.running)!;
      const staging = tags.get(input.staging)!;
      const stateProblems = [
        ...(running.state === 'RUNNING' ? [] : [{ rule: 'tag-state', tag: 'running', message: `running tag ${running.name} is ${running.state}, not RUNNING` }]),
        ...(staging.state === 'VALIDATED' ? [] : [{ rule: 'tag-state', tag: 'staging', message: `staging tag ${staging.name} is ${staging.state}, not VALIDATED` }]),
      ];
      if (input.running === input.staging) stateProblems.push({ rule: 'tag-state', tag: 'staging', message: 'the staging tag must differ from the running tag' });
      if (stateProblems.length) throw ruleViolation(`running update refused: ${stateProblems.map((p) => p.message).join('; ')}`, { violations: stateProblems });

      const runningIovs = (await iovsRelevantFrom(tx, running.id, input.firstValid)).map(asTagIov);
      const stagingIovs = (await listIovs(tx, staging.id)).map(asTagIov);
      const result = planRunningUpdate({ running: runningIovs, staging: stagingIovs, firstValid: input.firstValid, mode, fcsr: fcsrOf(running) });
      if (!result.ok) {
        const n = result.violations.length;
        throw ruleViolation(`running update of ${running.name} from ${formatPoint(input.firstValid)} refused: ${n} violation${n > 1 ? 's' : ''}; first: ${result.violations[0].message}`, {
          violations: result.violations,
        });
      }
      const plan = result.plan;
      const base: RunningUpdateSummary = {
        running: running.name,
        staging: staging.name,
        mode,
        firstValid: input.firstValid,
        applied: false,
        closed: plan.closed.map((c) => ({ name: c.iov.name, revision: c.iov.revision, oldIovId: c.iov.id, from: formatIov(c.iov), to: formatIov(c.to) })),
        extended: plan.extended.map((e) => ({ name: e.iov.name, revision: e.iov.revision, oldIovId: e.iov.id, from: formatIov(e.iov), to: formatIov(e.to), unchanged: e.unchanged })),
        added: plan.added.map((a) => ({ name: a.staging.name, revision: a.staging.revision, iov: formatIov(a.iov), stagingIovId: a.staging.id })),
        counts: { closed: plan.closed.length, extended: plan.extended.length, added: plan.added.length },
        nextFirstValid: plan.nextFirstValid,
      };
      if (input.dryRun) return base;

      const rewritten = [...plan.closed, ...plan.extended.filter((e) => !e.unchanged)];
      await removeIovs(tx, running.id, rewritten.map((c) => c.iov.id), now, actor.user);
      const copy = (r: TagIov, to: Iov): NewIov => ({ ...to, name: r.name, revision: r.revision, payloadId: r.payloadId });
      const newRows: NewIov[] = [
        ...rewritten.map((c) => copy(c.iov, c.to)),
        ...plan.added.map((a) => copy(a.staging, a.iov)),
      ];
      const ids = await insertIovs(tx, running.id, newRows, now, actor.user);
      let k = 0;
      for (const c of base.closed) c.newIovId = ids[k++];
      for (const e of base.extended) if (!e.unchanged) e.newIovId = ids[k++];
      for (const a of base.added) a.iovId = ids[k++];

      const events: NewTagEvent[] = [
        ...base.closed.map((c) => ({ kind: 'iov.close' as const, details: c })),
        ...base.extended.map((e) => ({ kind: 'iov.extend' as const, details: e })),
        ...base.added.map((a) => ({ kind: 'iov.insert' as const, details: { ...a, staging: staging.name } })),
        { kind: 'runningupdate' as const, details: { staging: staging.name, firstValid: input.firstValid, mode, counts: base.counts, nextFirstValid: plan.nextFirstValid } },
      ];
      await appendEvents(tx, running.id, events, now, actor, input.reason);
      await appendEvents(tx, staging.id, [{ kind: 'runningupdate', details: { appliedTo: running.name, firstValid: input.firstValid, mode, counts: base.counts } }], now, actor, input.reason);
      await bumpVersion(tx, running.id, now);
      await recordAudit(tx, actor, {
        action: 'tag.runningupdate',
        targetType: 'tag',
        targetId: running.name,
        summary: `running update of ${running.name} with ${staging.name} from ${formatPoint(input.firstValid)} (${mode}): ${base.counts.closed} closed, ${base.counts.extended} extended, ${base.counts.added} added`,
        details: { staging: staging.name, firstValid: input.firstValid, mode, counts: base.counts, nextFirstValid: plan.nextFirstValid, reason: input.reason },
        at: now,
      });
      return { ...base, applied: true };
    },
    { ...opts, timeoutMs: 300_000 },
  );
  if (summary.applied) {
    deps.logger.info('running update applied', { running: summary.running, staging: summary.staging, firstValid: formatPoint(summary.firstValid), mode, ...summary.counts, user: actor.user });
  }
  return summary;
}
