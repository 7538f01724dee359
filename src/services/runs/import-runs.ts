/**
 * `run import` / POST /runs/import: the data-production manager delivers a run list by hand (a source that is down,
 * a correction). Same validation and transaction as the run sources; audited.
 */
import type { Deps } from '../../deps.ts';
import type { Actor } from '../../domain/roles.ts';
import { DomainError } from '../../domain/errors.ts';
import { parseRunList } from '../../domain/run-list.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { upsertRunList, type UpsertSummary } from './upsert-run-list.ts';
import { inTransaction } from '../../db/transaction.ts';

export async function importRuns(deps: Deps, actor: Actor, data: unknown, source = 'import'): Promise<UpsertSummary> {
  const parsed = parseRunList(data);
  if (!parsed.ok) {
    throw new DomainError('INVALID_INPUT', `invalid run list: ${parsed.problems.length} problem(s)`, parsed.problems.map((p) => ({ path: `body.${p.path}`, message: p.message })));
  }
  const summary = await inTransaction(deps,
    async (tx) => {
      const s = await upsertRunList(tx, parsed.list, source, deps.clock.now());
      await recordAudit(tx, actor, {
        action: 'run.import',
        targetType: 'run-list',
        targetId: source,
        summary: `imported ${s.runs} run(s) (${s.newRuns} new), ${s.files} file(s) (${s.newFiles} new)`,
        details: { ...s, runs: parsed.list.runs.map((r) => `e${r.exp}/r${r.run}`).slice(0, 1000) },
        at: deps.clock.now(),
      });
      return s;
    },
    { timeoutMs: 120_000 },
  );
  deps.logger.info('run list imported', { actor: actor.user, ...summary });
  return summary;
}
