/**
 * Roles (who may do what: docs/operations.md). A token acts in one role; detector experts are scoped to detectors.
 *
 * | role | may |
 * |---|---|
 * | detector_expert | algorithm requests and fixes for their detectors; read |
 * | calibration_manager | approve/reject requests and payloads; running update; snapshot; tag states; fix windows; bless |
 * | data_production_manager | runs, buckets, production and reprocessing |
 * | admin | users and tokens |
 * | anyone (no token) | read conditions, health |
 */
import { forbidden } from './errors.ts';

export const ROLES = ['detector_expert', 'calibration_manager', 'data_production_manager', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const DETECTORS = ['pxd', 'svd', 'cdc', 'ecl', 'top', 'arich', 'klm', 'trg'] as const;
export type Detector = (typeof DETECTORS)[number];

export interface Actor {
  user: string;
  role: Role;
  /** only meaningful for detector_expert; the token's scope, fixed when it was issued */
  detectors: string[];
  /** the token the request presented (absent for the server's own work) */
  tokenId?: number;
  expiresAt?: string | null;
}

/** The identity under which the server's own scheduled work acts (audit trail says "system"). */
export const SYSTEM_ACTOR: Actor = { user: 'system', role: 'admin', detectors: [] };

export function assertDetectorScope(actor: Actor, detector: string): void {
  if (actor.role === 'detector_expert' && !actor.detectors.includes(detector)) {
    throw forbidden(`${actor.user} is a detector expert for ${actor.detectors.join(', ') || 'no detector'}, not for ${detector}`);
  }
}

/** Decisions of the calibration loop (approvals, rejections) are the calibration manager's alone. */
export function assertCalibrationManager(actor: Actor, what: string): void {
  if (actor.role !== 'calibration_manager') throw forbidden(`only the calibration manager may ${what}; ${actor.user} acts as ${actor.role}`);
}
