/**
 * The notification outbox. A use case that changes the loop's state writes its notification row in the same
 * transaction (`enqueueNotification`), keyed uniquely per event, so a repeated tick or a second server instance
 * notifies once. The notifications tick (`deliverNotifications`) sends what is due through `deps.notifier`; a failed
 * delivery is logged and retried with backoff a bounded number of times, and never blocks or undoes the loop.
 */
import type { Deps } from '../../deps.ts';
import type { Db } from '../../db/transaction.ts';
import { coerceError } from '../../domain/errors.ts';

export const NOTIFICATION_KINDS = {
  windowOpened: 'window_opened',
  windowClosingSoon: 'window_closing_soon',
  windowClosed: 'window_closed',
  awaitingBlessing: 'awaiting_blessing',
  blessed: 'blessed',
  reprocessingFinished: 'reprocessing_finished',
  reprocessingFailing: 'reprocessing_failing',
  fixUploaded: 'fix_uploaded',
  fixDecided: 'fix_decided',
  jobFailures: 'job_failures',
  runFlagged: 'run_flagged',
} as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[keyof typeof NOTIFICATION_KINDS];

export interface OutgoingNotification {
  /** unique per event: `<kind>:<bucket>[:<n>]` */
  key: string;
  /** a NotificationKind here, or one of the calibration part's (loop-notifications.ts) */
  kind: string;
  message: string;
  payload?: Record<string, unknown>;
  at?: Date;
}

/** Queues a notification; a second call with the same key is a no-op (INSERT … ON CONFLICT DO NOTHING). */
export async function enqueueNotification(db: Db, n: OutgoingNotification): Promise<boolean> {
  const r = await db.notification.createMany({
    data: [
      {
        key: n.key,
        kind: n.kind,
        message: n.message,
        payload: JSON.parse(JSON.stringify(n.payload ?? {})),
        ...(n.at ? { createdAt: n.at } : {}),
      },
    ],
    skipDuplicates: true,
  });
  return r.count === 1;
}

export const MAX_DELIVERY_ATTEMPTS = 5;
/** 15 s, 1 min, 4 min, 16 min between attempts. */
export function retryDelayMs(attempts: number): number {
  return 15_000 * 4 ** Math.max(0, attempts - 1);
}

export interface DeliveryResult {
  sent: number;
  failed: number;
  abandoned: number;
}

/** Sends the due notifications, oldest first. Called by the notifications tick (one instance at a time). */
export async function deliverNotifications(deps: Deps, opts: { limit?: number } = {}): Promise<DeliveryResult> {
  const { prisma, clock, logger, notifier } = deps;
  const now = clock.now();
  const due = await prisma.notification.findMany({
    where: { sentAt: null, abandonedAt: null, OR: [{ nextAttemptAt: null }, { nextAttemptAt: { lte: now } }] },
    orderBy: { id: 'asc' },
    take: opts.limit ?? 50,
  });
  const result: DeliveryResult = { sent: 0, failed: 0, abandoned: 0 };
  for (const n of due) {
    try {
      await notifier.send({ key: n.key, kind: n.kind, text: n.message, payload: n.payload as Record<string, unknown> });
      await prisma.notification.updateMany({ where: { id: n.id, sentAt: null }, data: { sentAt: clock.now(), attempts: n.attempts + 1, error: null, deliveredVia: notifier.delivery } });
      result.sent++;
    } catch (e) {
      const err = coerceError(e);
      deps.metrics.notificationFailures.inc({ kind: n.kind });
      const attempts = n.attempts + 1;
      const giveUp = attempts >= MAX_DELIVERY_ATTEMPTS;
      await prisma.notification.updateMany({
        where: { id: n.id, sentAt: null },
        data: {
          attempts,
          error: err.message.slice(0, 500),
          nextAttemptAt: new Date(clock.now().getTime() + retryDelayMs(attempts)),
          ...(giveUp ? { abandonedAt: clock.now() } : {}),
        },
      });
      logger.warn(giveUp ? 'notification abandoned' : 'notification failed; will retry', {
        key: n.key,
        kind: n.kind,
        attempts,
        notifier: notifier.name,
        error: err.message,
      });
      if (giveUp) result.abandoned++;
      else result.failed++;
    }
  }
  return result;
}
