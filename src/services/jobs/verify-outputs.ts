/**
 * Output verification: a job that exits 0 without its outputs is not a success. After exit 0, every declared output must exist and
 * be non-empty; each is checksummed (sha256) and registered with the events the program's JSON summary reports for
 * it. Anything missing makes the attempt a failure of class software.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readTail } from '../../executors/read-tail.ts';

export interface ProgramSummary {
  eventsIn?: number;
  eventsOut?: number;
  outputs?: Array<{ path: string; events?: number; size?: number }>;
  [k: string]: unknown;
}

export interface VerifiedOutput {
  path: string;
  size: bigint;
  sha256: string;
  events: number;
}

export type Verification =
  | { ok: true; outputs: VerifiedOutput[]; summary?: ProgramSummary }
  | { ok: false; problem: string; summary?: ProgramSummary };

/** The last line of the log that is a JSON object: the toolkit (and basf2 wrappers) print one summary line at the end. */
export function parseSummary(logText: string): ProgramSummary | undefined {
  const lines = logText.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i].trim();
    if (!line.startsWith('{') || !line.endsWith('}')) continue;
    try {
      const v = JSON.parse(line);
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as ProgramSummary;
    } catch {
      // not JSON: keep looking
    }
  }
  return undefined;
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function verifyOutputs(declared: readonly string[], logPath: string | null): Promise<Verification> {
  const summary = logPath ? parseSummary(readTail(logPath, 256 * 1024)) : undefined;
  const outputs: VerifiedOutput[] = [];
  for (const path of declared) {
    let size: number;
    try {
      const s = await stat(path);
      if (!s.isFile()) return { ok: false, problem: `declared output ${path} is not a file`, summary };
      size = s.size;
    } catch {
      return { ok: false, problem: `exit 0 but declared output ${path} does not exist`, summary };
    }
    if (size === 0) return { ok: false, problem: `exit 0 but declared output ${path} is empty`, summary };
    const reported = summary?.outputs?.find((o) => typeof o?.path === 'string' && resolve(o.path) === resolve(path));
    const events = Number.isInteger(reported?.events)
      ? (reported!.events as number)
      : declared.length === 1 && Number.isInteger(summary?.eventsOut)
        ? (summary!.eventsOut as number)
        : 0;
    outputs.push({ path, size: BigInt(size), sha256: await sha256File(path), events });
  }
  return { ok: true, outputs, summary };
}
