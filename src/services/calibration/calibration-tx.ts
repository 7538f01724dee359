/**
 * Transactions of the calibration part. Generous waits: with embedded PGlite there is one connection and transactions
 * queue for their turn behind uploads and running updates; Prisma's defaults (2 s wait, 5 s run) are too short there.
 */
import type { Deps } from '../../deps.ts';
import type { Tx } from '../audit/record-audit.ts';

export function inCalibrationTx<T>(deps: Pick<Deps, 'prisma'>, fn: (tx: Tx) => Promise<T>, timeoutMs = 60_000): Promise<T> {
  return deps.prisma.$transaction(fn, { maxWait: 120_000, timeout: timeoutMs });
}
