/** Argument parsing and rendering shared by the conditions commands. */
import cliProgress from 'cli-progress';
import { CliError } from '../../clients/api-client.ts';

/** The one grammar of src/cli/parse.ts, under the names these commands use. */
export { iovValue as iovArg, runPoint as pointArg, intArg } from '../parse.ts';

/** For repeatable options: --tag a --tag b. */
export const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(',').filter(Boolean)];

export const iovText = (i: { firstExp: number; firstRun: number; finalExp: number; finalRun: number }) => `${i.firstExp},${i.firstRun},${i.finalExp},${i.finalRun}`;

/** A progress bar on stderr (silent when stderr is not a terminal or --json is on). */
export function progressBar(label: string, total: number, enabled: boolean): { update(v: number): void; stop(): void } {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | {value}/{total}`, stream: process.stderr, hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { update: (v) => bar.update(v), stop: () => bar.stop() };
}

export function fmtBytes(n: number): string {
  return n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(1)} GiB` : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
}

/**
 * Re-throws a refused request with its violations or overlaps as one line each (the CLI prints array details line by
 * line), so a calibration manager reads which IoV broke which rule.
 */
export async function explained<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    const d = (e as CliError).details as { violations?: Array<{ rule: string; message: string }>; overlaps?: Array<{ name: string; revision: number; iov: string; with: { id?: number; revision: number; iov: string } }> } | undefined;
    if (e instanceof CliError && d?.violations) throw new CliError(e.message.replace(/; first: .*$/, ''), e.exitCode, d.violations.map((v) => `[${v.rule}] ${v.message}`));
    if (e instanceof CliError && d?.overlaps) {
      throw new CliError(e.message, e.exitCode, d.overlaps.map((o) => `${o.name} r${o.revision} [${o.iov}] overlaps ${o.with.id ? `IoV ${o.with.id} ` : ''}r${o.with.revision} [${o.with.iov}]`));
    }
    throw e;
  }
}
