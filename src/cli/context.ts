/**
 * Global CLI options and output, in the manner of b2conditionsdb/conddb: human tables by default, `--json` for
 * scripts; server at CALIBLOOP_URL with CALIBLOOP_TOKEN.
 */
import type { Command } from 'commander';
import { apiClient, CliError, usageError } from '../clients/api-client.ts';
import { roundForPeople } from '../domain/human.ts';

export interface GlobalOptions {
  url: string;
  token?: string;
  json?: boolean;
}

export function globals(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals() as GlobalOptions;
  return { url: o.url ?? process.env.CALIBLOOP_URL ?? 'http://localhost:8080', token: o.token ?? process.env.CALIBLOOP_TOKEN, json: o.json };
}

export function api(cmd: Command) {
  return apiClient(globals(cmd));
}

/** Prints JSON with --json, else the human rendering. */
export function output(cmd: Command, data: unknown, human: (data: any) => string | void): void {
  if (globals(cmd).json) {
    process.stdout.write(JSON.stringify(data, null, 2) + '\n');
    return;
  }
  const text = human(data);
  if (typeof text === 'string' && text.length) process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

/**
 * Every list prints one shape under --json: a JSON array of its rows. When the server holds more than were fetched
 * (`total`), a note on stderr says so, so a script reading stdout still gets a plain array.
 */
export function outputList(cmd: Command, rows: unknown[], human: (rows: any[]) => string, total = rows.length): void {
  if (globals(cmd).json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    if (total > rows.length) process.stderr.write(`${rows.length} of ${total}; --limit/--offset for the rest\n`);
    return;
  }
  output(cmd, rows, human);
}

/** A plain aligned table; numbers rounded for people (--json keeps them exact). */
export function table(rows: Record<string, unknown>[], columns?: string[]): string {
  if (rows.length === 0) return '(none)';
  const cols = columns ?? Object.keys(rows[0]);
  const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'number' ? String(roundForPeople(v)) : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n');
}

/** Commands that make PUBLISHED/INVALID-like irreversible changes ask for the name to be retyped unless --yes. */
export async function confirmByRetyping(name: string, what: string, yes?: boolean): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) throw usageError('--yes', `${what} cannot be undone; pass --yes to confirm non-interactively`);
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`${what} cannot be undone. Type the name (${name}) to confirm: `);
  rl.close();
  if (answer.trim() !== name) throw new CliError('not confirmed; nothing changed');
}
