/**
 * The fix-window tick. Idempotent and safe on several server instances:
 * 1. warns once per deadline when a window is within the closing-soon lead time (CAS on warnedAt);
 * 2. closes every open window whose stored deadline has passed at the clock's now — including windows that expired
 *    while the server was down (caught up on the first tick after start-up) — compare-and-set on (id, state,
 *    deadline), so of two instances exactly one closes it and writes its audit event and notification;
 * 3. assembles the final tag of every bucket whose window is closed and which still waits in `fix_window`
 *    (a crash between closing and assembling is simply finished by the next tick).
 */
import type { Deps } from '../../deps.ts';
import type { Db } from '../../db/transaction.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { isClosingSoon } from '../../domain/fix-window.ts';
import { coerceError } from '../../domain/errors.ts';
import { SYSTEM_ACTOR, type Actor } from '../../domain/roles.ts';
import { enqueueNotification } from './notify.ts';
import { humanDuration } from '../../domain/human.ts';
import { loopConfig } from './loop-config.ts';
import { assembleFinalTag } from './assemble-final-tag.ts';
import { inTransaction } from '../../db/transaction.ts';

type WindowRow = NonNullable<Awaited<ReturnType<Db['fixWindow']['findUnique']>>>;

/**
 * Closes one window inside the caller's transaction. Returns false when it was not open any more (or its deadline
 * moved) — someone else settled it first, and nothing is written.
 */
export async function recordWindowClose(
  tx: Db,
  window: WindowRow,
  bucketName: string,
  by: Actor,
  reason: string,
  now: Date,
): Promise<boolean> {
  const r = await tx.fixWindow.updateMany({
    where: { id: window.id, state: 'open', deadline: window.deadline },
    data: { state: 'closed', closedAt: now, closedBy: by.user, closeReason: reason },
  });
  if (r.count === 0) return false;
  const pending = await tx.fix.count({ where: { windowId: window.id, state: 'pending' } });
  const approved = await tx.fix.count({ where: { windowId: window.id, state: 'approved' } });
  await recordAudit(tx, by, {
    action: 'window.close',
    targetType: 'bucket',
    targetId: bucketName,
    summary: `fix window of ${bucketName} closed (${reason}); ${approved} approved fix(es)${pending ? `, ${pending} still pending a decision` : ''}`,
    details: { reason, deadline: window.deadline.toISOString(), approved, pending },
    at: now,
  });
  await enqueueNotification(tx, {
    key: `window-closed:${bucketName}`,
    kind: 'window_closed',
    message:
      `Fix window of ${bucketName} closed (${reason}). ${approved} approved fix(es)` +
      (pending ? `; ${pending} fix(es) still wait for the calibration manager before the final tag is assembled.` : '; the final tag is being assembled.'),
    payload: { bucket: bucketName, reason, approved, pending },
    at: now,
  });
  return true;
}

export interface CloseWindowsResult {
  warned: string[];
  closed: string[];
  assembled: string[];
  problems: { bucket: string; error: string }[];
}

export async function closeExpiredWindows(deps: Deps): Promise<CloseWindowsResult> {
  const { prisma, clock, logger } = deps;
  const now = clock.now();
  const leadMs = loopConfig(deps).globalTags.fixWindow.closingSoonLeadHours * 3600_000;
  const result: CloseWindowsResult = { warned: [], closed: [], assembled: [], problems: [] };
  const open = await prisma.fixWindow.findMany({ where: { state: 'open' }, orderBy: { deadline: 'asc' } });
  const names = new Map(
    (await prisma.bucket.findMany({ where: { id: { in: open.map((w) => w.bucketId) } }, select: { id: true, name: true } })).map((b) => [b.id, b.name]),
  );

  for (const w of open) {
    const bucket = names.get(w.bucketId) ?? `bucket ${w.bucketId}`;
    if (w.warnedAt === null && isClosingSoon(w, now, leadMs)) {
      const warned = await inTransaction(deps, async (tx) => {
        const r = await tx.fixWindow.updateMany({ where: { id: w.id, state: 'open', warnedAt: null, deadline: w.deadline }, data: { warnedAt: now } });
        if (r.count === 0) return false;
        const left = humanDuration(w.deadline.getTime() - now.getTime());
        await enqueueNotification(tx, {
          key: `window-closing-soon:${bucket}:${w.deadline.toISOString()}`,
          kind: 'window_closing_soon',
          message: `Fix window of ${bucket} closes in ${left} (at ${w.deadline.toISOString()}). Upload fixes now: calibloop fix upload --bucket ${bucket} …`,
          payload: { bucket, deadline: w.deadline.toISOString(), closesIn: left },
          at: now,
        });
        return true;
      });
      if (warned) result.warned.push(bucket);
    }
    if (w.deadline.getTime() <= now.getTime()) {
      const late = now.getTime() - w.deadline.getTime();
      const reason = `expired at ${w.deadline.toISOString()}${late > 120_000 ? `, closed ${Math.round(late / 60_000)} min late (server was down)` : ''}`;
      const closed = await inTransaction(deps, (tx) => recordWindowClose(tx, w, bucket, SYSTEM_ACTOR, reason, now));
      if (closed) {
        result.closed.push(bucket);
        logger.info('fix window closed', { bucket, deadline: w.deadline.toISOString(), lateMs: late });
      }
    }
  }

  const waiting = await prisma.bucket.findMany({ where: { stage: 'fix_window' }, orderBy: { id: 'asc' } });
  for (const b of waiting) {
    try {
      const r = await assembleFinalTag(deps, b.name);
      if (r.assembled) result.assembled.push(b.name);
    } catch (e) {
      const err = coerceError(e);
      result.problems.push({ bucket: b.name, error: err.message });
      logger.warn('final tag not assembled yet', { bucket: b.name, error: err.message });
    }
  }
  return result;
}
