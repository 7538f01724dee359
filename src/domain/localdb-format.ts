/**
 * The basf2 local database format (testing payloads): a text file `database.txt`, one line per IoV,
 * `dbstore/<name> <revision> <firstExp>,<firstRun>,<finalExp>,<finalRun>`, `#` comments and blank lines ignored, and for
 * a name and a run the *last* line covering the run wins; payload files `dbstore_<name>_rev_<revision>.root` beside it.
 */
import { formatIov, validateIov, type Iov } from './iov.ts';
import { invalid } from './errors.ts';
import { mergeByPriority } from './tag-merge.ts';
import { isValidName, NAME_RE, NAME_RULE } from './names.ts';

export const DATABASE_FILE = 'database.txt';

export interface LocalDbLine extends Iov {
  name: string;
  revision: number;
  /** 1-based line number in the file */
  line: number;
}

/** Payload names basf2 accepts in a file name (and we accept as payload names). */
export const PAYLOAD_NAME_RE = NAME_RE;

export function payloadFileName(name: string, revision: number): string {
  return `dbstore_${name}_rev_${revision}.root`;
}

export function formatDatabaseLine(e: { name: string; revision: number } & Iov): string {
  return `dbstore/${e.name} ${e.revision} ${formatIov(e)}`;
}

export function formatDatabaseTxt(entries: ReadonlyArray<{ name: string; revision: number } & Iov>, header: string[] = []): string {
  const lines = [...header.map((h) => `# ${h}`), ...entries.map(formatDatabaseLine)];
  return lines.join('\n') + '\n';
}

/** Parses database.txt; throws INVALID_INPUT listing every malformed line ("line N: ..."). */
export function parseDatabaseTxt(text: string, file = DATABASE_FILE): LocalDbLine[] {
  const { lines, problems } = readDatabaseTxt(text, file);
  if (problems.length) throw invalid(`${file}: ${problems.length} malformed line${problems.length === 1 ? '' : 's'}`, problems);
  return lines;
}

/** Every well-formed line and every problem (`path` is `file:line`), so a caller can report them all at once. */
export function readDatabaseTxt(text: string, file = DATABASE_FILE): { lines: LocalDbLine[]; problems: Array<{ path: string; message: string }> } {
  const out: LocalDbLine[] = [];
  const problems: Array<{ path: string; message: string }> = [];
  text.split(/\r?\n/).forEach((raw, k) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const m = /^dbstore\/(\S+)\s+(\d+)\s+(-?\d+),(-?\d+),(-?\d+),(-?\d+)$/.exec(line);
    if (!m) {
      problems.push({ path: `${file}:${k + 1}`, message: `malformed line "${raw.trim()}" (want dbstore/<name> <revision> e1,r1,e2,r2)` });
      return;
    }
    const entry: LocalDbLine = {
      name: m[1],
      revision: Number(m[2]),
      firstExp: Number(m[3]),
      firstRun: Number(m[4]),
      finalExp: Number(m[5]),
      finalRun: Number(m[6]),
      line: k + 1,
    };
    const bad = [...validateIov(entry), ...(isValidName(entry.name) ? [] : [`payload name "${entry.name}": ${NAME_RULE}`])];
    if (entry.revision < 1) bad.push('revision must be 1 or more');
    for (const message of bad) problems.push({ path: `${file}:${k + 1}`, message });
    if (bad.length === 0) out.push(entry);
  });
  return { lines: out, problems };
}

/**
 * What the lines mean as a tag: later lines win, so each line only keeps the runs no later line of the same name
 * covers. The result has no overlaps and resolves like basf2 reading the file.
 */
export function effectiveEntries(lines: readonly LocalDbLine[]): LocalDbLine[] {
  const reversed = [...lines].reverse().map((l) => ({ entries: [l] }));
  return mergeByPriority(reversed).map(({ sourceIndex: _s, ...e }) => e);
}
