/**
 * The one way a service opens a transaction. `inTransaction` runs `fn` in an interactive transaction and, when the
 * database reports that the transaction lost a race (serialization failure 40001, deadlock 40P01, Prisma's P2034),
 * runs it again after a bounded, jittered backoff; anything else is thrown at once. The data is fine after such a
 * failure (PostgreSQL rolled everything back), so `fn` must only touch the database: side effects outside it (an
 * executor call, a file) belong after the transaction commits.
 *
 * Services accept an optional `tx` so a caller can compose them into a bigger transaction (a compare-and-set on a
 * bucket together with a running update). With `tx` given, nothing is retried here: the caller owns the retry.
 */
import type { Prisma } from './database.ts';
import type { Logger } from '../observability/logger.ts';
import { coerceError } from '../domain/errors.ts';

/** A client inside an interactive transaction. */
export type Tx = Parameters<Parameters<Prisma['$transaction']>[0]>[0];
/** Either the client or a transaction: for reads and writes that work in both. */
export type Db = Prisma | Tx;

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
  if (err.code && (Object.hasOwn(RETRYABLE_PRISMA_CODES, err.code) || Object.hasOwn(RETRYABLE_SQLSTATES, err.code))) return true;
  const cause = err.meta?.driverAdapterError?.cause ?? err.cause;
  if (cause?.originalCode && Object.hasOwn(RETRYABLE_SQLSTATES, cause.originalCode)) return true;
  return cause?.kind === 'TransactionWriteConflict';
}

export interface TransactionOptions extends TxOption {
  /** longest the transaction may run (default 60 s; bulk operations pass more) */
  timeoutMs?: number;
  /** attempts in total when the database reports a retryable conflict (default 8) */
  attempts?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function inTransaction<T>(
  deps: { prisma: Prisma; logger?: Logger },
  fn: (tx: Tx) => Promise<T>,
  opts: TransactionOptions = {},
): Promise<T> {
  if (opts.tx) return fn(opts.tx);
  // maxWait is generous: with PGlite (one connection) or a saturated pool, transactions queue for their turn.
  return retryingConflicts(deps, () => deps.prisma.$transaction(fn, { maxWait: 120_000, timeout: opts.timeoutMs ?? 60_000 }), opts.attempts);
}

/**
 * Runs `run` (a transaction, or one statement that is a transaction by itself) again after a bounded, jittered backoff
 * when the database reports that it lost a race; anything else is thrown at once.
 */
export async function retryingConflicts<T>(deps: { logger?: Logger }, run: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (e) {
      if (attempt >= attempts || !isRetryableDbError(e)) throw e;
      const backoff = Math.min(1000, 10 * 2 ** attempt) * (0.5 + Math.random());
      deps.logger?.warn('transaction conflict, retrying', { attempt, backoffMs: Math.round(backoff), error: coerceError(e).message.slice(0, 200) });
      await sleep(backoff);
    }
  }
}
