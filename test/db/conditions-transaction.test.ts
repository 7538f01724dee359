/**
 * Transactions of the conditions store: serialization failures and deadlocks are retried with a bounded backoff,
 * anything else is thrown at once; a real deadlock between two writers on PostgreSQL resolves by itself.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { usingPostgres } from '../helpers/db.ts';
import { conditions } from '../helpers/conditions-fixtures.ts';
import { inTransaction, isRetryableDbError } from '../../src/db/transaction.ts';
import { lockTag } from '../../src/services/conditions/support/tags.ts';

let app: TestApp;
before(async () => {
  app = await startTestApp();
  await conditions(app.deps).tag('tx_a', 'staging', []);
  await conditions(app.deps).tag('tx_b', 'staging', []);
});
after(async () => app.close());

/** Errors shaped as the Prisma driver adapters report them. */
const rawQueryError = (sqlstate: string) =>
  Object.assign(new Error(`Raw query failed. Code: \`${sqlstate}\``), { code: 'P2010', meta: { driverAdapterError: { cause: { originalCode: sqlstate, kind: 'postgres' } } } });
const writeConflict = () => Object.assign(new Error('write conflict'), { code: 'P2034' });

describe('conditions transactions', () => {
  it('when the database reports 40001, 40P01 or a write conflict, then the error is retryable; others are not', () => {
    assert.ok(isRetryableDbError(rawQueryError('40001')));
    assert.ok(isRetryableDbError(rawQueryError('40P01')));
    assert.ok(isRetryableDbError(writeConflict()));
    assert.ok(!isRetryableDbError(rawQueryError('23505')));
    assert.ok(!isRetryableDbError(new Error('boom')));
    assert.ok(!isRetryableDbError(undefined));
  });

  it('when a transaction fails with an injected serialization failure twice, then the third attempt commits', async () => {
    let attempts = 0;
    const r = await inTransaction(app.deps, async (tx) => {
      attempts++;
      await tx.$executeRaw`UPDATE "GlobalTag" SET description = ${`attempt ${attempts}`} WHERE name = 'tx_a'`;
      if (attempts < 3) throw rawQueryError(attempts === 1 ? '40001' : '40P01');
      return 'committed';
    });
    assert.equal(r, 'committed');
    assert.equal(attempts, 3);
    assert.equal((await app.deps.prisma.globalTag.findUniqueOrThrow({ where: { name: 'tx_a' } })).description, 'attempt 3');
  });

  it('when the failure keeps coming, then it gives up after the bounded number of attempts', async () => {
    let attempts = 0;
    await assert.rejects(
      () =>
        inTransaction(
          app.deps,
          async () => {
            attempts++;
            throw writeConflict();
          },
          { attempts: 4 },
        ),
      /write conflict/,
    );
    assert.equal(attempts, 4);
  });

  it('when the error is not retryable, then it is thrown at once', async () => {
    let attempts = 0;
    await assert.rejects(() =>
      inTransaction(app.deps, async () => {
        attempts++;
        throw new Error('a rule was broken');
      }),
    );
    assert.equal(attempts, 1);
  });

  it('when two writers lock two tags in opposite orders on PostgreSQL, then the deadlock is detected and retried and both commit', { skip: !usingPostgres && 'PGlite runs one transaction at a time: no deadlock possible' }, async () => {
    let aHolds = false;
    let bHolds = false;
    const waitFor = async (cond: () => boolean) => {
      for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    };
    let attemptsA = 0;
    let attemptsB = 0;
    const a = inTransaction(app.deps, async (tx) => {
      attemptsA++;
      await lockTag(tx, 'tx_a');
      aHolds = true;
      if (attemptsA === 1) await waitFor(() => bHolds);
      await lockTag(tx, 'tx_b');
      return 'a';
    });
    const b = inTransaction(app.deps, async (tx) => {
      attemptsB++;
      await lockTag(tx, 'tx_b');
      bHolds = true;
      if (attemptsB === 1) await waitFor(() => aHolds);
      await lockTag(tx, 'tx_a');
      return 'b';
    });
    assert.deepEqual(await Promise.all([a, b]), ['a', 'b']);
    assert.equal(attemptsA + attemptsB, 3, 'exactly one of them was retried');
  });
});
