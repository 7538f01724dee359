// @ts-check
/**
 * `cdst --input F,... --output FILE [--localdb DIR]`: reconstructs skimmed (or raw) events into the cDST objects the
 * calibrations need. Values stay as measured; the baseline conditions found in --localdb are recorded in the header
 * (provenance) but not applied, so that each algorithm corrects with the payloads it depends on.
 */
import { basename, resolve } from 'node:path';
import { Flags } from '../lib/args.mjs';
import { PAYLOADS } from '../lib/detector.mjs';
import { FORMAT, readAsCdst, singleRun, writeDataFile } from '../lib/fileio.mjs';
import { LocalDb } from '../lib/localdb.mjs';

/** @param {string[]} argv */
export async function run(argv) {
  const f = new Flags('cdst', argv, { input: 'string', 'input-list': 'string', output: 'string', localdb: 'string' });
  const output = resolve(f.string('output'));
  const inputs = f.inputs().map((p) => readAsCdst(p, [FORMAT.skim, FORMAT.raw]));
  const { exp, run: runNo } = singleRun(inputs);
  const localdb = f.optString('localdb');
  /** @type {Record<string, number>} */
  const conditions = {};
  if (localdb) {
    const db = LocalDb.open(localdb);
    for (const name of PAYLOADS) {
      const p = db.get(name, exp, runNo);
      if (p) conditions[name] = p.revision;
    }
  }
  const skims = [...new Set(inputs.map((i) => i.header.skim).filter((s) => typeof s === 'string'))];
  const events = inputs.flatMap((i) => i.events);
  const header = {
    format: FORMAT.cdst, exp, run: runNo, skim: skims.length === 1 ? skims[0] : null, events: events.length,
    inputs: inputs.map((i) => basename(i.path)), conditions,
  };
  const size = writeDataFile(output, header, events);
  return {
    summary: { exp, run: runNo, eventsIn: events.length, eventsOut: events.length, outputs: [{ path: output, size, events: events.length }], conditions },
  };
}
