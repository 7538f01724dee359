// @ts-check
/** Builds the bytes of one raw file (or of a corrupt stand-in) from (seed, exp, run, file index). */
import { createHash } from 'node:crypto';
import { generateEvent, runConditions } from './event-model.mjs';
import { FORMAT } from './fileio.mjs';
import { Rng } from './rng.mjs';

/**
 * @param {{ seed: number, exp: number, run: number, fileIndex: number, events: number, corrupt?: boolean,
 *           conditions?: import('./event-model.mjs').RunConditions }} o
 * @returns {{ content: Buffer, events: number, sha256: string }}
 */
export function buildRawFile(o) {
  const rng = Rng.from('raw', o.seed, o.exp, o.run, o.fileIndex);
  let content;
  if (o.corrupt) {
    // What a broken transfer leaves behind: bytes that are no b2raw file at all, about as large as a real one.
    const bytes = rng.bytes(Math.max(64, o.events * 700));
    if (bytes[0] === 0x7b) bytes[0] = 0x00; // never start like a JSON object
    content = bytes;
  } else {
    const cond = o.conditions ?? runConditions(o.exp, o.run);
    const header = { format: FORMAT.raw, exp: o.exp, run: o.run, file: o.fileIndex, events: o.events, seed: o.seed };
    const lines = [JSON.stringify(header)];
    for (let i = 0; i < o.events; i++) lines.push(JSON.stringify(generateEvent(rng, cond)));
    content = Buffer.from(lines.join('\n') + '\n', 'utf8');
  }
  return { content, events: o.events, sha256: createHash('sha256').update(content).digest('hex') };
}
