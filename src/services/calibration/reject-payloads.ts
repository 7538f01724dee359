/**
 * The calibration manager rejects payload candidates (one by one or every pending one of a bucket) with a comment.
 * A rejection returns the whole calibration to its detector expert: its run becomes `rejected`, all its candidates
 * are rejected with it, a notification for the experts is queued, and the bucket cannot reach the running update
 * until a resubmitted request for that calibration produced payloads that were approved.
 */
import type { Deps } from '../../deps.ts';
import { inTransaction } from '../../db/transaction.ts';
import { invalid } from '../../domain/errors.ts';
import { candidateLifecycle } from '../../domain/calibration-states.ts';
import { assertCalibrationManager, type Actor } from '../../domain/roles.ts';
import { calibrationSetup } from './calibration-config.ts';
import { toCandidateView, type CandidateView } from './candidate-view.ts';
import { lockBucketsForDecision, parseDecision, selectCandidates, type DecidePayloadsInput, recordCandidateDecisions } from './decide-payloads.ts';
import { queueLoopNotification } from './loop-notifications.ts';
import { syncStagingTagQuietly } from './staging-tag.ts';
import { transitionCalibration } from './transition-calibration.ts';

export async function rejectPayloads(deps: Deps, actor: Actor, raw: DecidePayloadsInput): Promise<CandidateView[]> {
  assertCalibrationManager(actor, 'reject payloads');
  const input = parseDecision(raw);
  if (!input.comment) throw invalid('a rejection needs a comment for the expert', [{ path: 'body.comment', message: 'required' }]);
  const comment = input.comment;
  const setup = calibrationSetup(deps.config);
  const now = deps.clock.now();
  const { views, bucketIds } = await inTransaction(deps, async (tx) => {
    const listed = await selectCandidates(tx, input, input.ids ? ['pending', 'approved'] : ['pending']);
    if (listed.length === 0) return { views: [], bucketIds: [] };
    const buckets = await lockBucketsForDecision(tx, listed.map((c) => c.bucketId), now);
    const runIds = [...new Set(listed.map((c) => c.calibrationRunId))];
    const runs = await tx.calibrationRun.findMany({ where: { id: { in: runIds } }, orderBy: { id: 'asc' } });
    // The calibration goes back as a whole: every live candidate of its run is rejected with the ones named.
    const affected = await tx.payloadCandidate.findMany({
      where: { calibrationRunId: { in: runIds }, state: { in: ['pending', 'approved'] } },
      orderBy: { id: 'asc' },
    });
    for (const c of affected) candidateLifecycle.assert(c.state, 'rejected');
    await recordCandidateDecisions(tx, actor, {
      candidates: affected,
      buckets,
      from: ['pending', 'approved'],
      to: 'rejected',
      comment,
      at: now,
      details: (c) => ({ listed: listed.some((l) => l.id === c.id) }),
    });
    for (const run of runs) {
      const bucket = buckets.get(run.bucketId)!;
      const experts = setup.byName.get(run.calibration)?.expertUsernames ?? [];
      if (run.state === 'converged' || run.state === 'stopped') {
        await transitionCalibration(tx, deps.logger, {
          run,
          to: 'rejected',
          reason: `payloads rejected by ${actor.user}: ${comment}`,
          at: now,
          actor,
          details: { experts, comment },
        });
      }
      await queueLoopNotification(tx, {
        key: `payload-rejected:${bucket.name}:${run.calibration}:run${run.id}`,
        kind: 'payload_rejected',
        message:
          `${run.calibration} payloads for ${bucket.name} were rejected by ${actor.user}: ${comment}. ` +
          `Experts ${experts.join(', ') || '(none listed)'}: resubmit with \`calibloop request submit ${run.calibration} --bucket ${bucket.name} --reason ...\`.`,
        payload: { bucket: bucket.name, calibration: run.calibration, calibrationRunId: run.id, detector: run.detector, experts, comment, by: actor.user },
        at: now,
      });
    }
    const rows = await tx.payloadCandidate.findMany({ where: { id: { in: affected.map((c) => c.id) } }, orderBy: { id: 'asc' } });
    return { views: rows.map((r) => toCandidateView(r, buckets.get(r.bucketId)!.name)), bucketIds: [...buckets.keys()] };
  });
  deps.logger.info('payloads rejected', { by: actor.user, candidates: views.map((c) => c.id), comment });
  // The staging tag must not keep rejected payloads; finalising re-checks it, so a failure here is only logged.
  for (const id of bucketIds) await syncStagingTagQuietly(deps, id);
  return views;
}
