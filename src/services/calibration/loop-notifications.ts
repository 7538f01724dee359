/**
 * Notifications of the calibration part, written into the Notification outbox in the caller's transaction (the
 * notifications tick of src/services/loop/notify.ts delivers them). Keys are unique per event, so a repeated tick
 * notifies once.
 */
import type { Db } from '../../db/transaction.ts';
import { enqueueNotification } from '../loop/notify.ts';

export const CALIBRATION_NOTIFICATION_KINDS = {
  payloadRejected: 'payload_rejected',
  calibrationFailed: 'calibration_failed',
  awaitingApproval: 'awaiting_approval',
  snapshotted: 'snapshotted',
} as const;
export type CalibrationNotificationKind = (typeof CALIBRATION_NOTIFICATION_KINDS)[keyof typeof CALIBRATION_NOTIFICATION_KINDS];

/** The one outbox writer (src/services/loop/notify.ts), typed to this part's kinds. */
export function queueLoopNotification(
  db: Db,
  n: { key: string; kind: CalibrationNotificationKind; message: string; payload?: Record<string, unknown>; at?: Date },
): Promise<boolean> {
  return enqueueNotification(db, n);
}
