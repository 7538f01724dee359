/**
 * The good-run list as conditions data: at blessing, the bucket's final tag gains a `GoodRunList` payload (JSON) that
 * says, per run, its type, per-detector quality (good / bad / ugly), its raw files by status and how complete its
 * processing was — so basf2 jobs and later campaigns read the centrally-blessed list from the same tag chain as their
 * constants, instead of a spreadsheet. The reprocessing campaign selects its runs from this payload, read back from
 * the tag, so what was blessed is what is reprocessed.
 */
import { z } from 'zod';
import { selectRuns, type PlannedRun, type RunRequirements } from './reprocessing.ts';

export const GOOD_RUN_LIST_PAYLOAD = 'GoodRunList';
export const GOOD_RUN_LIST_FORMAT = 'calibloop.good-run-list/1';

const Quality = z.record(z.string(), z.string());

export const GoodRunEntrySchema = z.strictObject({
  exp: z.number().int().min(0),
  run: z.number().int().min(0),
  type: z.string(),
  quality: Quality,
  /** raw files by status, e.g. { transferred: 2, corrupt: 1 } */
  files: z.record(z.string(), z.number().int().min(0)),
  /** production flag of the run (e.g. input_error), null when none */
  flag: z.string().nullable(),
  /** processing completeness per production step: complete | incomplete | in_progress | waiting | not_planned */
  completeness: z.record(z.string(), z.string()),
  /** every production step complete */
  complete: z.boolean(),
  /** the first thing missing, in words, when not complete */
  missing: z.string().nullable(),
});
export type GoodRunEntry = z.infer<typeof GoodRunEntrySchema>;

export const GoodRunListSchema = z.strictObject({
  format: z.literal(GOOD_RUN_LIST_FORMAT),
  bucket: z.string(),
  tag: z.string(),
  blessedAt: z.string(),
  blessedBy: z.string(),
  runs: z.array(GoodRunEntrySchema),
});
export type GoodRunList = z.infer<typeof GoodRunListSchema>;

export function serializeGoodRunList(list: GoodRunList): Buffer {
  const sorted = { ...list, runs: [...list.runs].sort((a, b) => a.exp - b.exp || a.run - b.run) };
  return Buffer.from(JSON.stringify(sorted, null, 1) + '\n');
}

/** Parses a stored payload; throws a ZodError for a document that is not a good-run list of this format. */
export function parseGoodRunList(bytes: Buffer | string): GoodRunList {
  return GoodRunListSchema.parse(JSON.parse(bytes.toString()));
}

/** The run selection of a campaign, from the list: the same rules as for runs in the database. */
export function selectFromGoodRunList(runs: readonly GoodRunEntry[], req: RunRequirements): PlannedRun[] {
  return selectRuns(
    runs.map((r) => ({
      exp: r.exp,
      run: r.run,
      type: r.type,
      quality: r.quality,
      flag: r.flag,
      files: Object.entries(r.files).flatMap(([status, n]) => Array.from({ length: n }, () => ({ status }))),
    })),
    req,
  );
}

export interface GoodRunFilter {
  /** detectors that must be good (ugly counts as good when acceptUgly) */
  require: string[];
  acceptUgly: boolean;
  /** only runs whose processing is complete */
  complete: boolean;
}

/** The runs of the list that pass the filter, each with why not when it does not (for `runs good --all`). */
export function filterGoodRuns(runs: readonly GoodRunEntry[], f: GoodRunFilter): Array<GoodRunEntry & { good: boolean; reason: string }> {
  return runs.map((r) => {
    for (const d of f.require) {
      const q = r.quality[d];
      if (q === undefined) return { ...r, good: false, reason: `no ${d} quality flag` };
      if (!(q === 'good' || (q === 'ugly' && f.acceptUgly))) return { ...r, good: false, reason: `${d} quality is ${q}` };
    }
    if (f.complete && !r.complete) return { ...r, good: false, reason: `processing incomplete: ${r.missing ?? 'unknown'}` };
    return { ...r, good: true, reason: r.complete ? 'good' : `good (processing incomplete: ${r.missing ?? 'unknown'})` };
  });
}
