/**
 * Notifications of the calibration part, written into the Notification outbox in the caller's transaction (the
 * notifications tick of src/services/loop/notify.ts delivers them). Keys are unique per event, so a repeated tick
 * notifies once.
 */
import type { Db } from '../../db/transaction.ts';

export const CALIBRATION_NOTIFICATION_KINDS = {
  payloadRejected: 'payload_rejected',
  calibrationFailed: 'calibration_failed',
  awaitingApproval: 'awaiting_approval',
  snapshotted: 'snapshotted',
} as const;
export type CalibrationNotificationKind = (typeof CALIBRATION_NOTIFICATION_KINDS)[keyof typeof CALIBRATION_NOTIFICATION_KINDS];

export async function queueLoopNotification(
  db: Db,
  n: { key: string; kind: CalibrationNotificationKind; message: string; payload?: Record<string, unknown>; at?: Date },
): Promise<boolean> {
  const r = await db.notification.createMany({
    data: [{ key: n.key, kind: n.kind, message: n.message, payload: JSON.parse(JSON.stringify(n.payload ?? {})), ...(n.at ? { createdAt: n.at } : {}) }],
    skipDuplicates: true,
  });
  return r.count === 1;
}
