// @ts-check
/**
 * Data files: line 1 is a JSON header (`format`, `exp`, `run`, `events`, ...), then one JSON event per line. Reading
 * checks the header, every event line and the event count, so that corrupt or truncated files are input errors (exit
 * 65) and never half-processed. Writing goes through a temporary file and a rename, so a killed job leaves no
 * half-written output under the final name.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { InputError, UsageError } from './errors.mjs';
import { reconstructEvent } from './reconstruct.mjs';

export const FORMAT = Object.freeze({
  raw: 'b2raw/1',
  skim: 'b2skim/1',
  cdst: 'b2cdst/1',
  mdst: 'b2mdst/1',
});

/**
 * @typedef {{ format: string, exp: number, run: number, events: number, [k: string]: unknown }} Header
 * @typedef {{ path: string, header: Header, events: any[] }} DataFile
 */

/**
 * Reads and checks a data file's header and event count; the event lines are returned unparsed.
 * @param {string} path
 * @param {readonly string[]} accepted formats, e.g. [FORMAT.raw]
 * @returns {{ path: string, header: Header, lines: string[] }}
 */
export function readDataLines(path, accepted) {
  // Name the format the file claims to be by its extension (a corrupt e1_r2_f0.b2raw "is not a b2raw file").
  const ext = /\.(b2raw|b2skim|b2cdst|b2mdst)$/.exec(path)?.[1];
  const expected = ext ?? accepted[0].split('/')[0];
  let buf;
  try {
    buf = readFileSync(path);
  } catch (err) {
    const code = /** @type {NodeJS.ErrnoException} */ (err).code;
    throw new InputError(`${path}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(err)})`}`);
  }
  const text = buf.toString('utf8');
  const nl = text.indexOf('\n');
  const headerLine = nl < 0 ? text : text.slice(0, nl);
  /** @type {any} */
  let header;
  try {
    header = JSON.parse(headerLine);
  } catch {
    throw new InputError(`${path} is not a ${expected} file`);
  }
  if (!header || typeof header !== 'object' || typeof header.format !== 'string' || !header.format.startsWith('b2')) {
    throw new InputError(`${path} is not a ${expected} file`);
  }
  if (!accepted.includes(header.format)) {
    throw new InputError(`${path} is a ${header.format} file, expected ${accepted.join(' or ')}`);
  }
  for (const k of ['exp', 'run', 'events']) {
    if (!Number.isInteger(header[k])) throw new InputError(`${path}: header has no integer "${k}"`);
  }
  const lines = nl < 0 ? [] : text.slice(nl + 1).split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length !== header.events) {
    throw new InputError(`${path}: truncated or padded, header says ${header.events} events, found ${lines.length}`);
  }
  return { path, header, lines };
}

const TRG_PREFIX = /^\{"trg":\[([^\]]*)\]/;

/**
 * The trigger lines an event line fired, read from its prefix without parsing the whole line (null if the line does
 * not start the usual way).
 * @param {string} line @returns {string[]|null}
 */
export function triggersOf(line) {
  const m = TRG_PREFIX.exec(line);
  if (!m) return null;
  return m[1] === '' ? [] : m[1].split(',').map((t) => t.slice(1, -1));
}

/**
 * Parses event lines. With `triggers`, only events that fired one of them are parsed and returned; the other lines
 * only get a cheap shape check (a calibration reads a fraction of each file; corrupt files fail on their header).
 * @param {string} path @param {string[]} lines @param {{ triggers?: readonly string[] }} [opts]
 */
export function parseEvents(path, lines, opts = {}) {
  const events = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (opts.triggers) {
      const trg = triggersOf(line);
      if (trg && !trg.some((t) => opts.triggers?.includes(t))) {
        if (line.charCodeAt(line.length - 1) !== 0x7d) throw new InputError(`${path}: corrupt event on line ${i + 2}`);
        continue;
      }
    }
    const ev = parseLine(path, line, i);
    if (opts.triggers && !ev.trg.some((/** @type {string} */ t) => opts.triggers?.includes(t))) continue;
    events.push(ev);
  }
  return events;
}

/**
 * @param {string} path @param {string} line @param {number} index of the event (line index + 2 in the file)
 * @returns {any} the event
 */
export function parseLine(path, line, index) {
  let ev;
  try {
    ev = JSON.parse(line);
  } catch {
    throw new InputError(`${path}: corrupt event on line ${index + 2}`);
  }
  if (!ev || !Array.isArray(ev.trg)) throw new InputError(`${path}: event on line ${index + 2} has no trigger list`);
  return ev;
}

/**
 * @param {string} path @param {readonly string[]} accepted @param {{ triggers?: readonly string[] }} [opts]
 * @returns {DataFile}
 */
export function readDataFile(path, accepted, opts = {}) {
  const { header, lines } = readDataLines(path, accepted);
  return { path, header, events: parseEvents(path, lines, opts) };
}

/**
 * Reads files that may be raw, skim or cDST and returns cDST events (raw events are reconstructed on the fly).
 * @param {string} path @param {readonly string[]} accepted @param {{ triggers?: readonly string[] }} [opts]
 * @returns {DataFile}
 */
export function readAsCdst(path, accepted, opts = {}) {
  const f = readDataFile(path, accepted, opts);
  if (f.header.format === FORMAT.cdst) return f;
  return { ...f, events: f.events.map(reconstructEvent) };
}

/**
 * @param {string} path
 * @param {Header} header `events` is set from the events given
 * @param {readonly any[]} events
 * @returns {number} bytes written
 */
export function writeDataFile(path, header, events) {
  return writeDataLines(path, header, events.map((ev) => JSON.stringify(ev)));
}

/**
 * @param {string} path @param {Header} header @param {readonly string[]} lines serialised events
 * @returns {number} bytes written
 */
export function writeDataLines(path, header, lines) {
  return writeAtomic(path, `${[JSON.stringify({ ...header, events: lines.length }), ...lines].join('\n')}\n`);
}

/**
 * @param {string} path @param {string|Buffer} content
 * @returns {number} bytes written
 */
export function writeAtomic(path, content) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${dirname(path)}/.${basename(path)}.${process.pid}.tmp`;
  const buf = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const fd = openSync(tmp, 'w');
  try {
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return buf.length;
}

/**
 * Inputs that make one output (skim, cDST, mDST) must all belong to one run.
 * @param {{ path: string, header: Header }[]} files
 * @returns {{ exp: number, run: number }}
 */
export function singleRun(files) {
  const { exp, run } = files[0].header;
  for (const f of files) {
    if (f.header.exp !== exp || f.header.run !== run) {
      throw new UsageError(`inputs span several runs: ${files[0].path} is e${exp} r${run}, ${f.path} is e${f.header.exp} r${f.header.run}`);
    }
  }
  return { exp, run };
}
