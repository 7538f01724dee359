/**
 * The good-run list of a bucket as conditions data (src/domain/good-run-list.ts): written into the final tag at
 * blessing, read back from any tag or tag chain by `runs good` and by the campaigns that select their runs from it.
 */
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import { DomainError, invalid, ruleViolation, unknownName } from '../../domain/errors.ts';
import type { PlannedRun, RunRequirements } from '../../domain/reprocessing.ts';
import type { Actor } from '../../domain/roles.ts';
import {
  GOOD_RUN_LIST_FORMAT,
  GOOD_RUN_LIST_PAYLOAD,
  filterGoodRuns,
  parseGoodRunList,
  selectFromGoodRunList,
  serializeGoodRunList,
  type GoodRunEntry,
  type GoodRunList,
} from '../../domain/good-run-list.ts';
import { bucketCompleteness } from '../production/completeness.ts';
import { readFile } from 'node:fs/promises';
import { conditionsPort } from '../conditions/store-conditions.ts';
import { inTransaction } from '../../db/transaction.ts';

interface BucketRef {
  id: number;
  name: string;
  exp: number;
  firstRun: number;
  lastRun: number | null;
}

/** Every run of the bucket with its quality, files, flag and processing completeness per production step. */
export async function buildGoodRunList(deps: Deps, bucket: BucketRef, input: { tag: string; actor: Actor; at: Date }): Promise<GoodRunList> {
  const runs = await deps.prisma.run.findMany({ where: { bucketId: bucket.id }, include: { files: { select: { status: true } } }, orderBy: [{ exp: 'asc' }, { run: 'asc' }] });
  const completeness = await bucketCompleteness(deps, bucket.name);
  const incomplete = new Map(completeness.incomplete.map((r) => [`${r.exp}/${r.run}`, r]));
  const steps = Object.keys(completeness.summary);
  const entries: GoodRunEntry[] = runs.map((r) => {
    const inc = incomplete.get(`${r.exp}/${r.run}`);
    const perStep = Object.fromEntries(steps.map((s) => [s, inc?.steps.find((x) => x.step === s)?.status ?? 'complete']));
    const first = inc?.steps.find((x) => x.missing.length > 0);
    const files: Record<string, number> = {};
    for (const f of r.files) files[f.status] = (files[f.status] ?? 0) + 1;
    return {
      exp: r.exp,
      run: r.run,
      type: r.type,
      quality: (r.quality ?? {}) as Record<string, string>,
      files,
      flag: r.flag ?? null,
      completeness: perStep,
      complete: !inc,
      missing: first ? `${first.step}: ${first.missing[0]!.reason}` : null,
    };
  });
  return { format: GOOD_RUN_LIST_FORMAT, bucket: bucket.name, tag: input.tag, blessedAt: input.at.toISOString(), blessedBy: input.actor.user, runs: entries };
}

/**
 * Stores the list as a payload and puts it into the (VALIDATED) final tag over the bucket's runs: reopened, the IoV
 * added, frozen again, in one transaction, so the tag is never left OPEN. Nothing happens when the tag already holds a
 * good-run list (an interrupted earlier blessing).
 */
export async function attachGoodRunList(deps: Deps, actor: Actor, bucket: BucketRef, tag: string, list: GoodRunList) {
  const port = conditionsPort(deps);
  const reason = `good-run list of ${bucket.name} (${list.runs.length} runs)`;
  const payload = await port.storePayload({ name: GOOD_RUN_LIST_PAYLOAD, content: serializeGoodRunList(list), actor, reason });
  const iov = { firstExp: bucket.exp, firstRun: bucket.firstRun, finalExp: bucket.exp, finalRun: bucket.lastRun ?? bucket.firstRun };
  const added = await inTransaction(deps, async (tx) => {
    if ((await port.liveIovs(tag, tx)).some((i) => i.name === GOOD_RUN_LIST_PAYLOAD)) return false;
    const state = await port.tagState(tag, tx);
    if (state !== 'VALIDATED') throw ruleViolation(`tag ${tag} is ${state ?? 'missing'}; the good-run list can only be added to a VALIDATED final tag`);
    await port.walkTagTo({ tag, state: 'OPEN', actor, reason }, tx);
    await port.addIov({ tag, payloadId: payload.id, iov, actor, reason }, tx);
    await port.walkTagTo({ tag, state: 'VALIDATED', actor, reason }, tx);
    return true;
  });
  return { ...payload, added };
}

/** The contents of the tag's live GoodRunList IoVs, one per revision, in IoV order. */
async function readTagLists(deps: Deps, tag: string): Promise<Array<{ name: string; revision: number; content: Buffer }>> {
  const port = conditionsPort(deps);
  if ((await port.tagState(tag)) === null) throw unknownName('tag', tag);
  const out: Array<{ name: string; revision: number; content: Buffer }> = [];
  for (const iov of await port.liveIovs(tag)) {
    if (iov.name !== GOOD_RUN_LIST_PAYLOAD || out.some((o) => o.revision === iov.revision)) continue;
    out.push({ name: iov.name, revision: iov.revision, content: await readFile(await port.payloadPath(iov.payloadId)) });
  }
  return out;
}

export interface GoodRunSource {
  tags: string[];
  payloads: Array<{ tag: string; name: string; revision: number; bucket: string }>;
}

/**
 * The good-run entries of the tags, first tag first: a run listed by an earlier tag is not taken from a later one
 * (the tag chain's priority). A stored list that does not parse is an error, never silently skipped.
 */
export async function readGoodRunLists(deps: Deps, tags: readonly string[]): Promise<{ runs: GoodRunEntry[]; source: GoodRunSource }> {
  const byRun = new Map<string, GoodRunEntry>();
  const source: GoodRunSource = { tags: [...tags], payloads: [] };
  for (const tag of tags) {
    for (const p of await readTagLists(deps, tag)) {
      let list: GoodRunList;
      try {
        list = parseGoodRunList(p.content);
      } catch (e) {
        throw new DomainError('RULE_VIOLATION', `${p.name} revision ${p.revision} in ${tag} is not a good-run list: ${(e as Error).message.slice(0, 300)}`);
      }
      source.payloads.push({ tag, name: p.name, revision: p.revision, bucket: list.bucket });
      for (const r of list.runs) if (!byRun.has(`${r.exp}/${r.run}`)) byRun.set(`${r.exp}/${r.run}`, r);
    }
  }
  const runs = [...byRun.values()].sort((a, b) => a.exp - b.exp || a.run - b.run);
  return { runs, source };
}

const DETECTOR = /^[a-z][a-z0-9_]{0,31}$/;

export const GoodRunsQuery = z.strictObject({
  tag: z.string().min(1).max(200).describe('global tag holding GoodRunList payloads (e.g. a blessed final tag)'),
  require: z.string().max(500).optional().describe('comma-separated detectors that must be good, e.g. cdc,ecl'),
  acceptUgly: z.enum(['true', 'false']).optional().describe('count ugly as good (default true)'),
  complete: z.enum(['true', 'false']).optional().describe('only runs whose processing is complete'),
  all: z.enum(['true', 'false']).optional().describe('also list the runs that do not pass, with why'),
});

/** `runs good --tag T [--require cdc,ecl]`: the runs of the tag's good-run lists that pass the filter. */
export async function goodRuns(deps: Deps, q: z.infer<typeof GoodRunsQuery>) {
  const require = (q.require ?? '').split(',').map((d) => d.trim()).filter(Boolean);
  const bad = require.findIndex((d) => !DETECTOR.test(d));
  if (bad >= 0) throw invalid(`not a detector name: ${JSON.stringify(require[bad])}`, [{ path: 'query.require', message: 'detector names are lower-case words' }]);
  const { runs, source } = await readGoodRunLists(deps, [q.tag]);
  if (source.payloads.length === 0) throw new DomainError('NOT_FOUND', `tag ${q.tag} holds no ${GOOD_RUN_LIST_PAYLOAD} payload`);
  const filtered = filterGoodRuns(runs, { require, acceptUgly: q.acceptUgly !== 'false', complete: q.complete === 'true' });
  const good = filtered.filter((r) => r.good);
  return { tag: q.tag, require, source: source.payloads, total: runs.length, good: good.length, runs: q.all === 'true' ? filtered : good };
}

/**
 * A campaign's run plan over a run range, from the good-run lists of `tags`: every listed run of the range selected
 * or skipped by the requirements, and every known run of the range that no list names skipped as such.
 */
export async function selectCampaignRuns(
  deps: Deps,
  input: { tags: readonly string[]; exp: number; firstRun: number; lastRun: number; requirements: RunRequirements },
): Promise<{ plan: PlannedRun[]; source: GoodRunSource }> {
  const { runs, source } = await readGoodRunLists(deps, input.tags);
  if (source.payloads.length === 0) throw ruleViolation(`no ${GOOD_RUN_LIST_PAYLOAD} payload in ${input.tags.join(', ')}: runs are selected from blessed good-run lists`);
  const inRange = (r: { exp: number; run: number }) => r.exp === input.exp && r.run >= input.firstRun && r.run <= input.lastRun;
  const listed = runs.filter(inRange);
  const known = await deps.prisma.run.findMany({ where: { exp: input.exp, run: { gte: input.firstRun, lte: input.lastRun } }, select: { exp: true, run: true } });
  const names = new Set(listed.map((r) => r.run));
  const unlisted: PlannedRun[] = known.filter((r) => !names.has(r.run)).map((r) => ({ exp: r.exp, run: r.run, selected: false, reason: 'in no blessed good-run list of the chosen tags' }));
  const plan = [...selectFromGoodRunList(listed, input.requirements), ...unlisted].sort((a, b) => a.exp - b.exp || a.run - b.run);
  return { plan, source };
}
