/**
 * Which database a direct CLI command (`token create`, `db migrate`) may write to, so a token is never issued into a
 * database nobody serves:
 *
 * - `serve` leaves a marker in `$CALIBLOOP_HOME/run/server.json` (pid, database kind and location) before it opens
 *   the database, and removes it when it stops;
 * - with `DATABASE_URL` set, the command writes there and says so (and warns when the server on this home serves a
 *   different database);
 * - without it, beside a live server on PostgreSQL, it refuses (the server's database is not the embedded one);
 * - beside a live server on the embedded database, it waits for that server's socket and talks through it, and
 *   refuses to open the data directory the server holds;
 * - with no live server it opens the data directory itself.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { AppConfig } from '../config/app-config.ts';
import { openForCli, type Database } from '../db/database.ts';
import { CliError } from '../clients/api-client.ts';

export interface ServerMarker {
  pid: number;
  database: 'pglite' | 'postgresql';
  /** data directory, or the URL without its password */
  location: string;
  startedAt: string;
}

const MARKER = 'server.json';
const SOCKET = '.s.PGSQL.5432';

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Written by `serve` before it opens its database; returns the function that removes it. */
export function markServer(config: Pick<AppConfig, 'socketDir' | 'databaseUrl' | 'dbDir'>): () => void {
  mkdirSync(config.socketDir, { recursive: true });
  const marker: ServerMarker = {
    pid: process.pid,
    database: config.databaseUrl ? 'postgresql' : 'pglite',
    location: config.databaseUrl ? redactUrl(config.databaseUrl) : config.dbDir,
    startedAt: new Date().toISOString(),
  };
  const file = join(config.socketDir, MARKER);
  writeFileSync(`${file}.${process.pid}`, JSON.stringify(marker));
  renameSync(`${file}.${process.pid}`, file);
  const remove = () => {
    const now = readServerMarker(config.socketDir);
    if (now?.pid === process.pid) rmSync(file, { force: true });
  };
  process.once('exit', remove);
  return remove;
}

/** The marker of a server that is still running on this home, if any. */
export function readServerMarker(socketDir: string): ServerMarker | undefined {
  const file = join(socketDir, MARKER);
  if (!existsSync(file)) return undefined;
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as ServerMarker;
    return Number.isInteger(m.pid) && alive(m.pid) ? m : undefined;
  } catch {
    return undefined;
  }
}

/** A CLI error (exit code 1, message on stderr): nothing was written. */
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
  const server = readServerMarker(config.socketDir);
  if (config.databaseUrl) {
    if (server && server.location !== redactUrl(config.databaseUrl)) {
      opts.warn?.(`note: the server on this home (pid ${server.pid}) serves ${server.location}; writing to DATABASE_URL ${redactUrl(config.databaseUrl)} as asked`);
    }
    return openForCli({ url: config.databaseUrl, dataDir: config.dbDir, socketDir: config.socketDir });
  }
  if (server?.database === 'postgresql') {
    throw new HomeDatabaseRefused(`the server on this home (pid ${server.pid}) uses PostgreSQL at ${server.location}; set DATABASE_URL to that database`);
  }
  if (server) {
    // the server holds the embedded database: only its socket may be used; it appears once start-up is done
    const deadline = Date.now() + (opts.waitMs ?? 120_000);
    while (!(await socketAnswers(config.socketDir))) {
      if (Date.now() > deadline || !readServerMarker(config.socketDir)) {
        throw new HomeDatabaseRefused(`the server on this home (pid ${server.pid}) holds ${server.location} and its socket is not up; try again when it has started`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const db = await openForCli({ dataDir: config.dbDir, socketDir: config.socketDir });
    if (!db.location.includes('(via ')) {
      await db.close();
      throw new HomeDatabaseRefused(`the server on this home (pid ${server.pid}) holds ${server.location} but does not answer on its socket`);
    }
    return db;
  }
  return openForCli({ dataDir: config.dbDir, socketDir: config.socketDir });
}
