/**
 * Which database a direct CLI command (`token create`, `db migrate`) may write to, so a token is never issued into a
 * database nobody serves:
 *
 * - whoever opens the home's database holds `$CALIBLOOP_HOME/run/home.lock` (pid, server or CLI, database kind and
 *   location), taken atomically: `serve` before it opens its database, until it stops; a CLI command while it writes;
 * - with `DATABASE_URL` set, the command writes there and says so (and warns when the server on this home serves a
 *   different database);
 * - without it, beside a live server on PostgreSQL, it refuses (the server's database is not the embedded one);
 * - beside a live server on the embedded database, it waits for that server's socket and talks through it, and
 *   refuses to open the data directory the server holds;
 * - with no live server it opens the data directory itself.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { AppConfig } from '../config/app-config.ts';
import { openForCli, redact, type Database } from '../db/database.ts';
import { CliError } from '../clients/api-client.ts';

/** Who holds this home's database: written atomically (O_EXCL) by whoever opens the embedded data directory. */
export interface HomeLock {
  pid: number;
  holder: 'server' | 'cli';
  database: 'pglite' | 'postgresql';
  /** data directory, or the URL without its password */
  location: string;
  startedAt: string;
}

const LOCK = 'home.lock';
const SOCKET = '.s.PGSQL.5432';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock of a process that is still running, if any (a dead holder's lock is removed). */
export function readHomeLock(socketDir: string): HomeLock | undefined {
  const file = join(socketDir, LOCK);
  if (!existsSync(file)) return undefined;
  let lock: HomeLock;
  try {
    lock = JSON.parse(readFileSync(file, 'utf8')) as HomeLock;
  } catch {
    // being written this very moment (create and write are two steps): held, by someone we cannot name yet
    return { pid: -1, holder: 'cli', database: 'pglite', location: '?', startedAt: '' };
  }
  if (Number.isInteger(lock.pid) && alive(lock.pid)) return lock;
  rmSync(file, { force: true });
  return undefined;
}

/** Takes the lock if nobody holds it; returns its release, or the current holder. */
function tryClaim(socketDir: string, lock: Omit<HomeLock, 'pid' | 'startedAt'>): { release: () => void } | { heldBy: HomeLock } {
  mkdirSync(socketDir, { recursive: true });
  const file = join(socketDir, LOCK);
  const mine: HomeLock = { ...lock, pid: process.pid, startedAt: new Date().toISOString() };
  for (;;) {
    try {
      writeFileSync(file, JSON.stringify(mine), { flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const held = readHomeLock(socketDir);
      if (held) return { heldBy: held };
      continue; // its holder was dead: removed, try again
    }
    const release = () => {
      if (readHomeLock(socketDir)?.pid === process.pid) rmSync(file, { force: true });
    };
    process.once('exit', release);
    return { release };
  }
}

const pause = () => new Promise((r) => setTimeout(r, 200));

/**
 * Called by `serve` before it opens its database. A `token create` holding the embedded database finishes first;
 * the server then holds the home until it stops, so a later `token create` talks through its socket.
 */
export async function claimHomeForServer(config: Pick<AppConfig, 'socketDir' | 'databaseUrl' | 'dbDir'>): Promise<() => void> {
  const lock = { holder: 'server' as const, database: config.databaseUrl ? ('postgresql' as const) : ('pglite' as const), location: config.databaseUrl ? redact(config.databaseUrl) : config.dbDir };
  for (;;) {
    const r = tryClaim(config.socketDir, lock);
    if ('release' in r) return r.release;
    if (r.heldBy.holder === 'server') {
      if (config.databaseUrl) return () => {}; // several instances on one PostgreSQL may share a home
      throw new CliError(`another server (pid ${r.heldBy.pid}) holds the embedded database of this home (${r.heldBy.location})`);
    }
    await pause(); // a CLI command is writing; it is short
  }
}

export class HomeDatabaseRefused extends CliError {}

async function socketAnswers(socketDir: string): Promise<boolean> {
  if (!existsSync(join(socketDir, SOCKET))) return false;
  const probe = new pg.Client({ host: socketDir, port: 5432, user: 'postgres', database: 'postgres' });
  try {
    await probe.connect();
    await probe.end();
    return true;
  } catch {
    return false;
  }
}

/** Opens the database a direct CLI command must write to, or throws HomeDatabaseRefused saying why not. */
export async function openHomeDatabase(config: Pick<AppConfig, 'socketDir' | 'databaseUrl' | 'dbDir'>, opts: { waitMs?: number; warn?: (s: string) => void } = {}): Promise<Database> {
  const deadline = Date.now() + (opts.waitMs ?? 120_000);
  if (config.databaseUrl) {
    const held = readHomeLock(config.socketDir);
    if (held?.holder === 'server' && held.location !== redact(config.databaseUrl)) {
      opts.warn?.(`note: the server on this home (pid ${held.pid}) serves ${held.location}; writing to DATABASE_URL ${redact(config.databaseUrl)} as asked`);
    }
    return openForCli({ url: config.databaseUrl, dataDir: config.dbDir, socketDir: config.socketDir });
  }
  for (;;) {
    const r = tryClaim(config.socketDir, { holder: 'cli', database: 'pglite', location: config.dbDir });
    if ('release' in r) {
      // nobody serves this home: the data directory is ours until we close it
      const db = await openForCli({ dataDir: config.dbDir, socketDir: join(config.socketDir, 'none') });
      return { ...db, close: async () => { await db.close(); r.release(); } };
    }
    const held = r.heldBy;
    if (held.holder === 'server' && held.database === 'postgresql') {
      throw new HomeDatabaseRefused(`the server on this home (pid ${held.pid}) uses PostgreSQL at ${held.location}; set DATABASE_URL to that database`);
    }
    if (held.holder === 'server' && (await socketAnswers(config.socketDir))) {
      const db = await openForCli({ dataDir: config.dbDir, socketDir: config.socketDir });
      if (db.location.includes('(via ')) return db;
      await db.close();
    }
    if (Date.now() > deadline) {
      throw new HomeDatabaseRefused(`${held.holder === 'server' ? 'the server' : 'another command'} (pid ${held.pid}) holds ${held.location}${held.holder === 'server' ? ' and its socket is not up' : ''}; try again later`);
    }
    await pause(); // a server that is starting (its socket comes when start-up is done), or another CLI command
  }
}
