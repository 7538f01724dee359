/**
 * The bucket's staging tag (name from `staging_tag_pattern`) holds exactly the IoVs of the bucket's live payload
 * candidates (pending or approved). Syncing is idempotent and repairs whatever a crash left half done: IoVs of rejected
 * or superseded candidates are removed, missing ones added, an IoV added just before a crash is adopted. The tag is
 * only edited while it is OPEN (before the bucket moves to `updating`).
 */
import type { Deps } from '../../deps.ts';
import { coerceError } from '../../domain/errors.ts';
import { SYSTEM_ACTOR } from '../../domain/roles.ts';
import { calibrationSetup, loopTags } from './calibration-config.ts';
import { conditionsPort } from '../conditions/store-conditions.ts';
import { DECIDABLE_BUCKET_STAGES } from './decide-payloads.ts';

const sameRange = (a: { firstExp: number; firstRun: number; finalExp: number; finalRun: number }, b: typeof a) =>
  a.firstExp === b.firstExp && a.firstRun === b.firstRun && a.finalExp === b.finalExp && a.finalRun === b.finalRun;

export async function syncStagingTag(deps: Deps, bucketId: number): Promise<{ added: number; removed: number; skipped?: string }> {
  const bucket = await deps.prisma.bucket.findUnique({ where: { id: bucketId } });
  if (!bucket) return { added: 0, removed: 0, skipped: 'no such bucket' };
  if (!DECIDABLE_BUCKET_STAGES.includes(bucket.stage)) return { added: 0, removed: 0, skipped: `bucket is ${bucket.stage}` };
  const conditions = conditionsPort(deps);
  const tag = loopTags(calibrationSetup(deps.config), bucket.name).staging;
  const state = await conditions.tagState(tag);
  if (state === null) {
    await conditions.ensureTag({ name: tag, type: 'staging', description: `staging tag of ${bucket.name}: payloads of its calibrations`, actor: SYSTEM_ACTOR });
  } else if (state !== 'OPEN') {
    return { added: 0, removed: 0, skipped: `staging tag ${tag} is ${state}` };
  }
  const desired = await deps.prisma.payloadCandidate.findMany({
    where: { bucketId, state: { in: ['pending', 'approved'] } },
    orderBy: { id: 'asc' },
    // not the metrics: a bucket of per-run candidates holds hundreds of them
    select: { id: true, calibration: true, payloadId: true, stagingIovId: true, firstExp: true, firstRun: true, finalExp: true, finalRun: true },
  });
  const live = await conditions.liveIovs(tag);
  const claimed = new Set<number>();
  let removed = 0;
  let added = 0;
  for (const iov of live) {
    const match =
      desired.find((c) => c.stagingIovId === iov.id) ??
      desired.find((c) => !claimed.has(c.id) && c.stagingIovId === null && c.payloadId === iov.payloadId && sameRange(c, iov));
    if (match && !claimed.has(match.id)) {
      claimed.add(match.id);
      if (match.stagingIovId !== iov.id) await deps.prisma.payloadCandidate.update({ where: { id: match.id }, data: { stagingIovId: iov.id } });
      continue;
    }
    await conditions.removeIov({ tag, iovId: iov.id, actor: SYSTEM_ACTOR, reason: `${bucket.name}: payload no longer a live candidate` });
    removed++;
  }
  for (const c of desired) {
    if (claimed.has(c.id)) continue;
    const iov = await conditions.addIov({
      tag,
      payloadId: c.payloadId,
      iov: { firstExp: c.firstExp, firstRun: c.firstRun, finalExp: c.finalExp, finalRun: c.finalRun },
      actor: SYSTEM_ACTOR,
      reason: `${bucket.name}: candidate ${c.id} of ${c.calibration}`,
    });
    await deps.prisma.payloadCandidate.update({ where: { id: c.id }, data: { stagingIovId: iov.id } });
    added++;
  }
  if (added || removed) deps.logger.info('staging tag synced', { bucket: bucket.name, tag, added, removed });
  return { added, removed };
}

/** Same, for callers that must not fail because of it (the finalise step syncs again and reports problems). */
export async function syncStagingTagQuietly(deps: Deps, bucketId: number): Promise<void> {
  try {
    await syncStagingTag(deps, bucketId);
  } catch (e) {
    deps.logger.warn('staging tag sync failed; finalising will retry', { bucketId, error: coerceError(e).message });
  }
}
