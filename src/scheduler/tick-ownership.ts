/**
 * Who runs a tick now. Ownership must end with its owner: a lease outlives a killed process by its whole length (the
 * restarted server used to wait minutes for its own dead predecessor). So:
 * - PostgreSQL: a session advisory lock per tick, on one connection this process keeps for the purpose. The server
 *   drops the locks the moment that connection closes — when the process dies, at once — so a surviving or restarted
 *   instance takes the tick at its next firing. If the connection breaks while the process lives, its locks are gone
 *   too and another instance may run a tick this one is still finishing; ticks are idempotent compare-and-set
 *   services, so that overlap is harmless, and the connection is opened again at the next acquire.
 * - PGlite: one process owns the database, so ownership is in memory (shared by all schedulers over one database).
 */
import type { Database } from '../db/database.ts';
import type { ClosableSession } from '../db/sessions.ts';

export interface TickOwnership {
  /** True when this process now owns `name` (until `release`). Never throws: an unreachable database means "no". */
  tryAcquire(name: string): Promise<boolean>;
  release(name: string): Promise<void>;
  close(): Promise<void>;
}

/** First key of every tick lock (the second is hashtext(name)); distinct from the migrator's single key. */
const TICK_LOCK_NAMESPACE = 0x7469636b;

export function tickOwnership(db: Database): TickOwnership {
  return db.kind === 'postgres' ? new AdvisoryLockOwnership(db) : inProcessOwnership(db);
}

class AdvisoryLockOwnership implements TickOwnership {
  private session?: Promise<ClosableSession>;
  constructor(private readonly db: Database) {}

  private connection(): Promise<ClosableSession> {
    this.session ??= this.db.openSession().catch((e) => {
      this.session = undefined;
      throw e;
    });
    return this.session;
  }

  async tryAcquire(name: string): Promise<boolean> {
    try {
      const s = await this.connection();
      const [row] = await s.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [TICK_LOCK_NAMESPACE, name]);
      return row.ok === true;
    } catch {
      await this.drop(); // every lock of a broken session is gone with it
      return false;
    }
  }

  async release(name: string): Promise<void> {
    try {
      const s = await this.connection();
      await s.query('SELECT pg_advisory_unlock($1, hashtext($2))', [TICK_LOCK_NAMESPACE, name]);
    } catch {
      await this.drop();
    }
  }

  private async drop(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    if (s) await s.then((x) => x.close()).catch(() => {});
  }

  close(): Promise<void> {
    return this.drop();
  }
}

const heldByDatabase = new WeakMap<Database, Set<string>>();

function inProcessOwnership(db: Database): TickOwnership {
  if (!heldByDatabase.has(db)) heldByDatabase.set(db, new Set());
  const held = heldByDatabase.get(db)!;
  return {
    async tryAcquire(name) {
      if (held.has(name)) return false;
      held.add(name);
      return true;
    },
    async release(name) {
      held.delete(name);
    },
    async close() {},
  };
}
