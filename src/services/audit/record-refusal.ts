/**
 * Refused mutations (401 no or unknown token, 403 role or detector scope) are audited: who tried, what, and why it was
 * refused. At a bounded rate, so a flood of bad requests cannot fill the audit table: at most `limit` events per
 * window per process; the next recorded event says how many were left out.
 */
import type { Deps } from '../../deps.ts';
import { RateWindow } from '../../domain/rate-window.ts';
import { coerceError } from '../../domain/errors.ts';

export const REFUSAL_ACTION = 'request.refused';
/** Statuses that are a refusal of the caller rather than of the input. */
const AUDITED_STATUSES = new Set([401, 403]);
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface Refusal {
  method: string;
  /** path without the query string */
  path: string;
  status: number;
  code: string;
  message: string;
  /** the token's user and role when a valid token was presented */
  actor?: { user: string; role: string };
  ip?: string;
}

export function refusalRecorder(deps: Pick<Deps, 'prisma' | 'clock' | 'logger'>, opts: { limit?: number; windowMs?: number } = {}) {
  const window = new RateWindow(opts.limit ?? 60, opts.windowMs ?? 60_000);
  return async function recordRefusal(r: Refusal): Promise<void> {
    if (!MUTATING.has(r.method) || !AUDITED_STATUSES.has(r.status)) return;
    const now = deps.clock.now();
    const admission = window.admit(now.getTime());
    if (!admission.admitted) return;
    try {
      await deps.prisma.auditEvent.create({
        data: {
          at: now,
          actor: r.actor?.user ?? 'anonymous',
          role: r.actor?.role ?? 'none',
          action: REFUSAL_ACTION,
          targetType: 'endpoint',
          targetId: `${r.method} ${r.path}`.slice(0, 500),
          summary: `${r.status} ${r.code}: ${r.message}`.slice(0, 1000),
          details: { status: r.status, code: r.code, ip: r.ip ?? null, droppedBefore: admission.droppedBefore },
        },
      });
    } catch (e) {
      deps.logger.warn('could not audit a refused request', { error: coerceError(e).message });
    }
  };
}
