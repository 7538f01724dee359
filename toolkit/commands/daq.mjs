// @ts-check
/**
 * `daq`: plays data acquisition for a run range — writes the raw files of each run, then drops one run-list file per
 * run (docs/contracts.md) into --runlist-dir, atomically and only after the run's raw files exist, as a DAQ would.
 * In each run listed in --corrupt-runs, max(1, round(F × files)) files (F = --corrupt-fraction, default 1) are
 * replaced by random bytes; the run-list still says "transferred" (the damage is found when the file is read).
 */
import { resolve } from 'node:path';
import { Flags } from '../lib/args.mjs';
import { UsageError } from '../lib/errors.mjs';
import { runConditions } from '../lib/event-model.mjs';
import { writeAtomic } from '../lib/fileio.mjs';
import { buildRawFile } from '../lib/generate.mjs';
import { Rng } from '../lib/rng.mjs';

const DETECTORS = ['svd', 'cdc', 'ecl', 'top', 'arich', 'klm'];

/** @param {string[]} argv */
export async function run(argv) {
  const f = new Flags('daq', argv, {
    exp: 'string', 'first-run': 'string', 'last-run': 'string', 'files-per-run': 'string',
    'events-per-file': 'string', seed: 'string', 'corrupt-runs': 'string', 'corrupt-fraction': 'string',
    'run-type': 'string', 'start-time': 'string', 'raw-dir': 'string', 'runlist-dir': 'string',
  });
  const exp = f.int('exp');
  const firstRun = f.int('first-run');
  const lastRun = f.int('last-run');
  const filesPerRun = f.int('files-per-run');
  const eventsPerFile = f.int('events-per-file');
  const seed = f.int('seed');
  const corruptRuns = new Set(f.intList('corrupt-runs'));
  const corruptFraction = f.float('corrupt-fraction', 1);
  const runType = f.optString('run-type') ?? 'physics';
  const startText = f.optString('start-time') ?? '2026-11-01T00:00:00Z';
  const rawDir = resolve(f.string('raw-dir'));
  const runlistDir = resolve(f.string('runlist-dir'));
  const start = Date.parse(startText);
  if (Number.isNaN(start)) throw new UsageError(`daq: --start-time "${startText}" is not an ISO date`);
  if (lastRun < firstRun) throw new UsageError('daq: --last-run is before --first-run');
  if (filesPerRun < 1 || eventsPerFile < 1) throw new UsageError('daq: --files-per-run and --events-per-file must be >= 1');
  if (!(corruptFraction > 0 && corruptFraction <= 1)) throw new UsageError('daq: --corrupt-fraction must be in (0, 1]');

  const runs = [];
  const runlists = [];
  const corrupt = [];
  let files = 0;
  let events = 0;
  for (let r = firstRun; r <= lastRun; r++) {
    const cond = runConditions(exp, r);
    const rng = Rng.from('daq', seed, exp, r);
    const bad = new Set();
    if (corruptRuns.has(r)) {
      const n = Math.max(1, Math.round(corruptFraction * filesPerRun));
      const order = Array.from({ length: filesPerRun }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (const i of order.slice(0, n)) bad.add(i);
    }
    const fileEntries = [];
    for (let i = 0; i < filesPerRun; i++) {
      const path = `${rawDir}/e${exp}_r${r}_f${i}.b2raw`;
      const raw = buildRawFile({ seed, exp, run: r, fileIndex: i, events: eventsPerFile, corrupt: bad.has(i), conditions: cond });
      const size = writeAtomic(path, raw.content);
      if (bad.has(i)) corrupt.push(path);
      fileEntries.push({ path, status: 'transferred', size, checksum: `sha256:${raw.sha256}`, events: eventsPerFile });
      files++;
      events += eventsPerFile;
    }
    const runStart = start + (r - firstRun) * 3600_000;
    const offline = filesPerRun * eventsPerFile;
    const entry = {
      exp,
      run: r,
      type: runType,
      startTime: new Date(runStart).toISOString().replace('.000Z', 'Z'),
      endTime: new Date(runStart + 3300_000).toISOString().replace('.000Z', 'Z'),
      luminosity: Math.round(rng.range(1, 2) * 1000) / 1000,
      eventsOnline: offline + rng.int(20),
      eventsOffline: offline,
      quality: Object.fromEntries(DETECTORS.map((d) => [d, 'good'])),
      files: fileEntries,
    };
    const runlist = `${runlistDir}/e${exp}_r${r}.json`;
    writeAtomic(runlist, `${JSON.stringify({ runs: [entry] }, null, 2)}\n`);
    runlists.push(runlist);
    runs.push(r);
  }
  return { summary: { exp, runs, files, events, corrupt, runlists } };
}
