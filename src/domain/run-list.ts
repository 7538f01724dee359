/**
 * The run-list format of docs/contracts.md (run-source directory files, the HTTP run database's answers, and
 * `run import`). Everything a source delivers is validated here before anything is written: a list with one bad field
 * is rejected as a whole, with the field paths, and changes nothing.
 */
import { z } from 'zod';

export const RAW_FILE_STATUSES = ['registered', 'transferred', 'missing', 'corrupt'] as const;
export type RawFileStatus = (typeof RAW_FILE_STATUSES)[number];
/** Statuses that will not change by waiting: a run whose files are all settled is ready (src/domain/run-readiness.ts). */
export const SETTLED_FILE_STATUSES: readonly RawFileStatus[] = ['transferred', 'missing', 'corrupt'];
export const QUALITY_VALUES = ['good', 'bad', 'ugly'] as const;

const isoTime = z.iso.datetime({ offset: true }).describe('ISO 8601 time with zone');
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const RunListFileEntrySchema = z.strictObject({
  path: z.string().min(1).max(4096).refine((p) => p.startsWith('/'), 'must be an absolute path'),
  status: z.enum(RAW_FILE_STATUSES),
  size: count.default(0),
  checksum: z
    .string()
    .regex(/^(sha256:[0-9a-f]{64})?$/, 'must be sha256:<64 hex digits> or empty')
    .default(''),
  events: count.default(0),
});

export const RunListRunSchema = z
  .strictObject({
    exp: z.number().int().min(0).max(9999),
    run: z.number().int().min(0).max(999_999),
    type: z.string().min(1).max(64),
    startTime: isoTime.nullable().optional(),
    endTime: isoTime.nullable().optional(),
    luminosity: z.number().min(0).finite().default(0).describe('integrated luminosity in /pb'),
    eventsOnline: count.default(0),
    eventsOffline: count.default(0),
    quality: z.record(z.string().min(1).max(16), z.enum(QUALITY_VALUES)).default({}),
    files: z.array(RunListFileEntrySchema).max(100_000).default([]),
  })
  .superRefine((r, ctx) => {
    if (r.startTime && r.endTime && Date.parse(r.endTime) < Date.parse(r.startTime)) {
      ctx.addIssue({ code: 'custom', path: ['endTime'], message: 'ends before it starts' });
    }
    const seen = new Set<string>();
    r.files.forEach((f, i) => {
      if (seen.has(f.path)) ctx.addIssue({ code: 'custom', path: ['files', i, 'path'], message: 'listed twice' });
      seen.add(f.path);
    });
  });

export const RunListSchema = z
  .strictObject({ runs: z.array(RunListRunSchema).max(100_000) })
  .superRefine((l, ctx) => {
    const runs = new Set<string>();
    const paths = new Map<string, string>();
    l.runs.forEach((r, i) => {
      const key = `${r.exp}/${r.run}`;
      if (runs.has(key)) ctx.addIssue({ code: 'custom', path: ['runs', i], message: `run e${r.exp} r${r.run} listed twice` });
      runs.add(key);
      r.files.forEach((f, j) => {
        const other = paths.get(f.path);
        if (other !== undefined && other !== key) {
          ctx.addIssue({ code: 'custom', path: ['runs', i, 'files', j, 'path'], message: `also listed for run ${other}` });
        }
        paths.set(f.path, key);
      });
    });
  });

export type RunList = z.output<typeof RunListSchema>;
export type RunListRun = z.output<typeof RunListRunSchema>;
export type RunListFileEntry = z.output<typeof RunListFileEntrySchema>;

export interface RunListProblem {
  path: string;
  message: string;
}

export function parseRunList(data: unknown): { ok: true; list: RunList } | { ok: false; problems: RunListProblem[] } {
  const r = RunListSchema.safeParse(data);
  if (r.success) return { ok: true, list: r.data };
  return {
    ok: false,
    problems: r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
  };
}
