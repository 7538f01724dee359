// @ts-check
/**
 * Reader of a basf2 local database: `DIR/database.txt` with lines `dbstore/<name> <revision> <e1>,<r1>,<e2>,<r2>`
 * (`#` comments, blank lines ignored) and payload files `DIR/dbstore_<name>_rev_<revision>.root` beside it (JSON text
 * here). For a payload name and a run, the last line whose IoV covers the run wins. IoV ends are inclusive;
 * `e2=-1,r2=-1` is open-ended, `r2=-1` means every run of experiment e2.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, UsageError } from './errors.mjs';

/**
 * @typedef {{ name: string, revision: number, iov: [number, number, number, number], line: number }} DbEntry
 * @typedef {{ name: string, revision: number, file: string, payload: any }} ResolvedPayload
 */

/**
 * @param {[number, number, number, number]} iov @param {number} exp @param {number} run
 */
export function iovCovers(iov, exp, run) {
  const [e1, r1, e2, r2] = iov;
  if (exp < e1 || (exp === e1 && run < r1)) return false;
  if (e2 === -1) return true;
  if (exp > e2) return false;
  if (exp < e2 || r2 === -1) return true;
  return run <= r2;
}

export class LocalDb {
  /** @param {string} dir @param {DbEntry[]} entries */
  constructor(dir, entries) {
    this.dir = dir;
    this.entries = entries;
    /** @type {Map<string, ResolvedPayload|null>} */
    this.cache = new Map();
  }

  /**
   * Opens DIR/database.txt; a directory without one is an empty database (the first bucket has no conditions yet),
   * a directory that does not exist is a usage error.
   * @param {string} dir
   */
  static open(dir) {
    if (!existsSync(dir)) throw new UsageError(`local database directory ${dir} does not exist`);
    const file = join(dir, 'database.txt');
    if (!existsSync(file)) return new LocalDb(dir, []);
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new InputError(`${file}: cannot read (${String(err)})`);
    }
    return new LocalDb(dir, parseDatabaseTxt(text, file));
  }

  /**
   * The payload valid for (exp, run), or null if no IoV covers it.
   * @param {string} name @param {number} exp @param {number} run
   * @returns {ResolvedPayload|null}
   */
  get(name, exp, run) {
    let found = null;
    for (const e of this.entries) if (e.name === name && iovCovers(e.iov, exp, run)) found = e;
    if (!found) return null;
    const key = `${name}#${found.revision}`;
    if (!this.cache.has(key)) {
      const file = join(this.dir, `dbstore_${name}_rev_${found.revision}.root`);
      let payload;
      try {
        payload = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        const code = /** @type {NodeJS.ErrnoException} */ (err).code;
        throw new InputError(`${file}: ${code === 'ENOENT' ? 'payload file missing' : 'not a JSON payload'}`);
      }
      if (!payload || typeof payload !== 'object' || typeof payload.values !== 'object' || payload.values === null) {
        throw new InputError(`${file}: payload has no "values" object`);
      }
      this.cache.set(key, { name, revision: found.revision, file, payload });
    }
    return this.cache.get(key) ?? null;
  }
}

/**
 * @param {string} text @param {string} file for messages
 * @returns {DbEntry[]}
 */
export function parseDatabaseTxt(text, file) {
  /** @type {DbEntry[]} */
  const entries = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/#.*/, '').trim();
    if (!line) continue;
    const m = /^dbstore\/(\S+)\s+(\d+)\s+(-?\d+),(-?\d+),(-?\d+),(-?\d+)$/.exec(line);
    if (!m) throw new InputError(`${file}:${i + 1}: malformed line "${lines[i].trim()}"`);
    entries.push({
      name: m[1],
      revision: Number(m[2]),
      iov: [Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])],
      line: i + 1,
    });
  }
  return entries;
}

/** A database that holds nothing, for commands run without --localdb. */
export const EMPTY_DB = new LocalDb('', []);
