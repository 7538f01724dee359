/**
 * Transactions of the conditions store. Every mutation of a tag runs in one transaction that first locks the tag's row
 * (`SELECT … FOR UPDATE`, see tags.ts), so concurrent IoV additions and running updates on one tag are serialised by
 * PostgreSQL itself and never interleave. Deadlocks (40P01) and serialization failures (40001) are retried with a
 * bounded, jittered backoff; anything else is thrown at once.
 *
 * Services accept an optional `tx` so a caller can compose them into a bigger transaction (e.g. a compare-and-set on
 * a bucket together with a running update). With `tx` given, nothing is retried here: the caller owns the retry.
 */
import type { Deps } from '../../../deps.ts';
import type { Tx } from '../../audit/record-audit.ts';
import { coerceError } from '../../../domain/errors.ts';

export type { Tx };

export interface TxOption {
  /** run inside this transaction instead of opening one (no retry: the caller owns it) */
  tx?: Tx;
}

/** SQLSTATEs worth retrying: the transaction lost a race, the data is fine. */
export const RETRYABLE_SQLSTATES: Readonly<Record<string, string>> = {
  '40001': 'serialization failure',
  '40P01': 'deadlock detected',
};
/** Prisma codes meaning the same (P2034: write conflict or deadlock on a model query). */
export const RETRYABLE_PRISMA_CODES: Readonly<Record<string, string>> = {
  P2034: 'transaction write conflict or deadlock',
};

export function isRetryableDbError(e: unknown): boolean {
  const err = e as { code?: string; meta?: { driverAdapterError?: { cause?: { originalCode?: string; kind?: string } } }; cause?: { originalCode?: string; kind?: string } };
  if (!err || typeof err !== 'object') return false;
  if (err.code && (RETRYABLE_PRISMA_CODES[err.code] || RETRYABLE_SQLSTATES[err.code])) return true;
  const cause = err.meta?.driverAdapterError?.cause ?? err.cause;
  if (cause?.originalCode && RETRYABLE_SQLSTATES[cause.originalCode]) return true;
  return cause?.kind === 'TransactionWriteConflict';
}

export interface TransactionOptions extends TxOption {
  /** longest the transaction may run (default 30 s; bulk operations pass more) */
  timeoutMs?: number;
  /** attempts in total when the database reports a retryable conflict (default 8) */
  attempts?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function inTransaction<T>(deps: Pick<Deps, 'prisma' | 'logger'>, fn: (tx: Tx) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
  if (opts.tx) return fn(opts.tx);
  const attempts = opts.attempts ?? 8;
  for (let attempt = 1; ; attempt++) {
    try {
      // maxWait is generous: with PGlite (one connection) or a saturated pool, transactions queue for their turn.
      return await deps.prisma.$transaction(fn, { maxWait: 120_000, timeout: opts.timeoutMs ?? 30_000 });
    } catch (e) {
      if (attempt >= attempts || !isRetryableDbError(e)) throw e;
      const backoff = Math.min(1000, 10 * 2 ** attempt) * (0.5 + Math.random());
      deps.logger.warn('conditions transaction conflict, retrying', { attempt, backoffMs: Math.round(backoff), error: coerceError(e).message.slice(0, 200) });
      await sleep(backoff);
    }
  }
}
