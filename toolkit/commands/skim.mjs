// @ts-check
/** `skim --input F,... --skim NAME --output FILE`: keeps the raw events that fired the skim's trigger line. */
import { basename, resolve } from 'node:path';
import { Flags } from '../lib/args.mjs';
import { SKIMS } from '../lib/detector.mjs';
import { UsageError } from '../lib/errors.mjs';
import { FORMAT, parseLine, readDataLines, singleRun, triggersOf, writeDataLines } from '../lib/fileio.mjs';

/** @param {string[]} argv */
export async function run(argv) {
  const f = new Flags('skim', argv, { input: 'string', 'input-list': 'string', skim: 'string', output: 'string' });
  const skim = f.string('skim');
  const trigger = /** @type {Record<string, string>} */ (SKIMS)[skim];
  if (!trigger) throw new UsageError(`skim: unknown skim "${skim}" (known: ${Object.keys(SKIMS).join(', ')})`);
  const output = resolve(f.string('output'));
  const inputs = f.inputs().map((p) => readDataLines(p, [FORMAT.raw]));
  const { exp, run: runNo } = singleRun(inputs);
  let eventsIn = 0;
  // Selected events are copied byte for byte; lines that do not start as usual are parsed to be sure.
  const selected = [];
  for (const file of inputs) {
    eventsIn += file.lines.length;
    for (let i = 0; i < file.lines.length; i++) {
      const line = file.lines[i];
      let trg = triggersOf(line);
      if (trg === null || line.charCodeAt(line.length - 1) !== 0x7d) trg = parseLine(file.path, line, i).trg;
      if (/** @type {string[]} */ (trg).includes(trigger)) selected.push(line);
    }
  }
  const header = {
    format: FORMAT.skim, exp, run: runNo, skim, events: selected.length,
    inputs: inputs.map((i) => basename(i.path)),
  };
  const size = writeDataLines(output, header, selected);
  return {
    summary: { exp, run: runNo, skim, eventsIn, eventsOut: selected.length, outputs: [{ path: output, size, events: selected.length }] },
  };
}
