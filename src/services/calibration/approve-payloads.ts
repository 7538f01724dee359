/**
 * The calibration manager approves payload candidates, one by one or every pending one of a bucket. A candidate from
 * a run that stopped at the iteration bound is approved only with a comment saying why it is good enough. When every
 * required payload of a bucket is approved, the finalise tick takes the bucket on (staging → VALIDATED → running
 * update → snapshot).
 */
import type { Deps } from '../../deps.ts';
import { inTransaction } from '../../db/transaction.ts';
import { conflict, invalid } from '../../domain/errors.ts';
import { candidateLifecycle } from '../../domain/calibration-states.ts';
import { assertCalibrationManager, type Actor } from '../../domain/roles.ts';
import { toCandidateView, type CandidateView } from './candidate-view.ts';
import { lockBucketsForDecision, parseDecision, selectCandidates, type DecidePayloadsInput, recordCandidateDecisions } from './decide-payloads.ts';

export async function approvePayloads(deps: Deps, actor: Actor, raw: DecidePayloadsInput): Promise<CandidateView[]> {
  assertCalibrationManager(actor, 'approve payloads');
  const input = parseDecision(raw);
  const now = deps.clock.now();
  const decided = await inTransaction(deps, async (tx) => {
    const candidates = await selectCandidates(tx, input, ['pending']);
    if (candidates.length === 0) return [];
    const buckets = await lockBucketsForDecision(tx, candidates.map((c) => c.bucketId), now);
    const stopped = candidates.filter((c) => c.outcome === 'stopped');
    if (stopped.length > 0 && !input.comment) {
      throw invalid(
        `candidate(s) ${stopped.map((c) => `${c.id} (${c.calibration})`).join(', ')} stopped at the iteration bound without converging; approving them needs a comment`,
        [{ path: 'body.comment', message: 'required for candidates that stopped at max_iterations' }],
      );
    }
    // Only the current run of a calibration can be approved: a newer run supersedes its candidates.
    const runIds = [...new Set(candidates.map((c) => c.calibrationRunId))];
    const runs = await tx.calibrationRun.findMany({ where: { id: { in: runIds } } });
    for (const r of runs) {
      if (r.state !== 'converged' && r.state !== 'stopped') {
        throw conflict(`calibration run ${r.id} (${r.calibration}) is ${r.state}; its candidates cannot be approved`);
      }
    }
    for (const c of candidates) candidateLifecycle.assert(c.state, 'approved');
    const byId = new Map(candidates.map((c) => [c.id, c]));
    const moved = await recordCandidateDecisions(tx, actor, {
      candidates,
      buckets,
      from: ['pending'],
      to: 'approved',
      comment: input.comment ?? null,
      at: now,
      details: (c) => ({ outcome: byId.get(c.id)!.outcome }),
    });
    if (moved !== candidates.length) throw conflict('some candidates were decided meanwhile; nothing changed');
    const rows = await tx.payloadCandidate.findMany({ where: { id: { in: candidates.map((c) => c.id) } }, orderBy: { id: 'asc' } });
    return rows.map((r) => toCandidateView(r, buckets.get(r.bucketId)!.name));
  });
  deps.logger.info('payloads approved', { by: actor.user, candidates: decided.map((c) => c.id) });
  return decided;
}
