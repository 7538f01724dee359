/**
 * Polls every run source of config/production.yaml (the run-sources tick: new runs are picked up without anyone importing them).
 *
 * - directory: each run-list file (`*.json`, `*.yaml`, `*.yml`) is read when new or changed (size/mtime, then sha256),
 *   validated as a whole, and written in one transaction. The DAQ's directory is never modified.
 * - http: one GET per poll with `updatedSince` = last successful poll − overlap; the answer is validated and written
 *   in one transaction; the cursor only advances when it was stored.
 *
 * Whatever is wrong (unreadable, not JSON/YAML, schema violations with field paths, a file claimed by two runs, an
 * unreachable database) is logged and recorded in RunSourceItem (which file, what is wrong) and changes nothing; the
 * next tick tries again (a directory file only once it changed).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Deps } from '../../deps.ts';
import type { RunSourceConfig } from '../../config/production-schema.ts';
import { DomainError, coerceError } from '../../domain/errors.ts';
import { parseRunList, type RunListProblem } from '../../domain/run-list.ts';
import { createRunDatabaseClient, type RunDatabaseClient } from '../../clients/run-database-client.ts';
import { upsertRunList, type UpsertSummary } from './upsert-run-list.ts';
import { inTransaction } from '../../db/transaction.ts';

export interface SourceItemResult {
  source: string;
  item: string;
  status: 'ok' | 'error' | 'unchanged';
  message?: string;
  problems?: RunListProblem[];
  summary?: UpsertSummary;
}

const RUN_LIST_EXTENSIONS = ['.json', '.yaml', '.yml'];

async function record(
  deps: Deps,
  source: string,
  item: string,
  r: { status: 'ok' | 'error'; sha256?: string; size?: number; mtimeMs?: number; message?: string; problems?: RunListProblem[]; runs?: number; cursor?: string | null },
): Promise<void> {
  const data = {
    status: r.status,
    sha256: r.sha256 ?? '',
    size: BigInt(r.size ?? 0),
    mtimeMs: r.mtimeMs ?? 0,
    message: r.message ?? '',
    problems: (r.problems ?? []) as never,
    runs: r.runs ?? 0,
    processedAt: deps.clock.now(),
    ...(r.cursor !== undefined ? { cursor: r.cursor } : {}),
  };
  await deps.prisma.runSourceItem.upsert({ where: { source_item: { source, item } }, create: { source, item, ...data }, update: data });
}

/** Validates and stores one run list; problems are returned, never thrown. */
export async function storeRunList(deps: Deps, data: unknown, source: string): Promise<{ ok: true; summary: UpsertSummary } | { ok: false; message: string; problems: RunListProblem[] }> {
  const parsed = parseRunList(data);
  if (!parsed.ok) return { ok: false, message: `invalid run list: ${parsed.problems.length} problem(s)`, problems: parsed.problems };
  try {
    const summary = await inTransaction(deps, (tx) => upsertRunList(tx, parsed.list, source, deps.clock.now()), { timeoutMs: 120_000 });
    return { ok: true, summary };
  } catch (e) {
    if (e instanceof DomainError) return { ok: false, message: e.message, problems: (e.details as RunListProblem[]) ?? [] };
    throw e;
  }
}

function parseContent(file: string, text: string): unknown {
  if (extname(file) === '.json') return JSON.parse(text);
  return parseYaml(text, { uniqueKeys: true });
}

async function pollDirectory(deps: Deps, src: Extract<RunSourceConfig, { type: 'directory' }>): Promise<SourceItemResult[]> {
  let names: string[];
  try {
    names = readdirSync(src.path).filter((n) => !n.startsWith('.') && RUN_LIST_EXTENSIONS.includes(extname(n))).sort();
  } catch (e) {
    const message = `cannot read directory ${src.path}: ${(e as NodeJS.ErrnoException).code ?? coerceError(e).message}`;
    deps.logger.warn('run source unavailable', { source: src.name, message });
    await record(deps, src.name, '.', { status: 'error', message });
    return [{ source: src.name, item: '.', status: 'error', message }];
  }
  const known = new Map((await deps.prisma.runSourceItem.findMany({ where: { source: src.name } })).map((i) => [i.item, i]));
  const results: SourceItemResult[] = [];
  for (const name of names) {
    const file = join(src.path, name);
    let size: number, mtimeMs: number, text: string;
    try {
      const st = statSync(file);
      if (!st.isFile()) continue;
      size = st.size;
      mtimeMs = st.mtimeMs;
      const prev = known.get(name);
      if (prev && Number(prev.size) === size && prev.mtimeMs === mtimeMs) continue;
      text = readFileSync(file, 'utf8');
    } catch (e) {
      results.push({ source: src.name, item: name, status: 'error', message: `cannot read: ${coerceError(e).message}` });
      continue;
    }
    const sha256 = createHash('sha256').update(text).digest('hex');
    const prev = known.get(name);
    if (prev && prev.sha256 === sha256) {
      await deps.prisma.runSourceItem.update({ where: { id: prev.id }, data: { size: BigInt(size), mtimeMs } });
      results.push({ source: src.name, item: name, status: 'unchanged' });
      continue;
    }
    let data: unknown;
    try {
      data = parseContent(name, text);
    } catch (e) {
      const message = `not valid ${extname(name) === '.json' ? 'JSON' : 'YAML'}: ${coerceError(e).message.split('\n')[0]}`;
      deps.logger.warn('run list rejected', { source: src.name, file, message });
      await record(deps, src.name, name, { status: 'error', sha256, size, mtimeMs, message });
      results.push({ source: src.name, item: name, status: 'error', message });
      continue;
    }
    const stored = await storeRunList(deps, data, src.name);
    if (!stored.ok) {
      deps.logger.warn('run list rejected', { source: src.name, file, message: stored.message, problems: stored.problems.slice(0, 20) });
      await record(deps, src.name, name, { status: 'error', sha256, size, mtimeMs, message: stored.message, problems: stored.problems });
      results.push({ source: src.name, item: name, status: 'error', message: stored.message, problems: stored.problems });
      continue;
    }
    deps.logger.info('run list stored', { source: src.name, file, ...stored.summary });
    await record(deps, src.name, name, { status: 'ok', sha256, size, mtimeMs, runs: stored.summary.runs });
    results.push({ source: src.name, item: name, status: 'ok', summary: stored.summary });
  }
  return results;
}

async function pollHttp(deps: Deps, src: Extract<RunSourceConfig, { type: 'http' }>, client?: RunDatabaseClient): Promise<SourceItemResult[]> {
  const startedAt = deps.clock.now();
  const prev = await deps.prisma.runSourceItem.findUnique({ where: { source_item: { source: src.name, item: 'poll' } } });
  const since = prev?.cursor ? new Date(prev.cursor) : undefined;
  const http = client ?? createRunDatabaseClient({ url: src.url, token: src.tokenEnv ? process.env[src.tokenEnv] : undefined, timeoutMs: src.timeoutS * 1000 });
  let data: unknown;
  try {
    data = await http.fetchRuns({ updatedSince: since });
  } catch (e) {
    const message = coerceError(e).message;
    deps.logger.warn('run source unavailable', { source: src.name, message });
    await record(deps, src.name, 'poll', { status: 'error', message, cursor: prev?.cursor ?? null });
    return [{ source: src.name, item: 'poll', status: 'error', message }];
  }
  const stored = await storeRunList(deps, data, src.name);
  if (!stored.ok) {
    deps.logger.warn('run database answer rejected', { source: src.name, message: stored.message, problems: stored.problems.slice(0, 20) });
    await record(deps, src.name, 'poll', { status: 'error', message: stored.message, problems: stored.problems, cursor: prev?.cursor ?? null });
    return [{ source: src.name, item: 'poll', status: 'error', message: stored.message, problems: stored.problems }];
  }
  const cursor = new Date(startedAt.getTime() - src.overlapS * 1000).toISOString();
  deps.logger.info('run database polled', { source: src.name, ...stored.summary });
  await record(deps, src.name, 'poll', { status: 'ok', runs: stored.summary.runs, cursor });
  return [{ source: src.name, item: 'poll', status: 'ok', summary: stored.summary }];
}

export async function pollRunSources(deps: Deps, opts: { httpClient?: (src: RunSourceConfig) => RunDatabaseClient | undefined } = {}): Promise<SourceItemResult[]> {
  const results: SourceItemResult[] = [];
  for (const src of deps.production.runSources) {
    try {
      if (src.type === 'directory') results.push(...(await pollDirectory(deps, src)));
      else results.push(...(await pollHttp(deps, src, opts.httpClient?.(src))));
    } catch (e) {
      const err = coerceError(e);
      deps.logger.error('run source poll failed', { source: src.name, error: err.message });
      results.push({ source: src.name, item: '?', status: 'error', message: err.message });
    }
  }
  for (const r of results) if (r.status === 'error') deps.metrics.runSourcePollErrors.inc({ source: r.source });
  return results;
}
