// @ts-check
/** `generate --exp E --run R --file-index I --events K --seed S --output FILE [--corrupt]`: one raw file. */
import { resolve } from 'node:path';
import { Flags } from '../lib/args.mjs';
import { UsageError } from '../lib/errors.mjs';
import { writeAtomic } from '../lib/fileio.mjs';
import { buildRawFile } from '../lib/generate.mjs';

/** @param {string[]} argv */
export async function run(argv) {
  const f = new Flags('generate', argv, {
    exp: 'string', run: 'string', 'file-index': 'string', events: 'string', seed: 'string', output: 'string',
    corrupt: 'boolean',
  });
  const o = {
    exp: f.int('exp'),
    run: f.int('run'),
    fileIndex: f.int('file-index', 0),
    events: f.int('events'),
    seed: f.int('seed'),
    corrupt: f.bool('corrupt'),
  };
  if (o.events < 0) throw new UsageError('generate: --events must be >= 0');
  const output = resolve(f.string('output'));
  const file = buildRawFile(o);
  const size = writeAtomic(output, file.content);
  return {
    summary: {
      exp: o.exp, run: o.run, eventsOut: o.corrupt ? 0 : o.events, corrupt: o.corrupt,
      outputs: [{ path: output, size, checksum: `sha256:${file.sha256}`, events: o.events }],
    },
  };
}
