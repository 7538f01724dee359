/**
 * The global tags the prompt loop manages (`globaltags/prompt.yaml`): the running tag, the auxiliary fixing tag, the
 * per-bucket staging / snapshot / final tag names, and the tag chains each kind of processing uses.
 *
 * Chains are written highest priority first (the first tag with an IoV covering a run wins). Entries are literal tag
 * names, names containing `{bucket}`, or one of the whole-entry references `{fixing}`, `{running}`, `{snapshot}`,
 * `{final}` (the latter two per bucket).
 */
import { z } from 'zod';
import { DomainError } from '../domain/errors.ts';
import { isValidName, NAME_MAX } from '../domain/names.ts';

export const CHAIN_NAMES = ['cdst', 'calibration', 'prompt', 'reprocessing'] as const;
export type ChainName = (typeof CHAIN_NAMES)[number];

/** References usable as a whole chain entry. */
export const CHAIN_REFERENCES = ['fixing', 'running', 'snapshot', 'final'] as const;
export type ChainReference = (typeof CHAIN_REFERENCES)[number];

export const FINAL_TAG_ASSEMBLIES = ['fixes_over_snapshot'] as const;
export type FinalTagAssembly = (typeof FINAL_TAG_ASSEMBLIES)[number];

/** Global tag names follow the one name grammar (src/domain/names.ts). */
export const TAG_NAME_MAX = NAME_MAX;
/** Used to check that a pattern yields a valid tag name. */
const SAMPLE_BUCKET = 'e0012_b0001';

/** Placeholder names found in a string, in order. */
function placeholdersIn(s: string): string[] {
  return [...s.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]);
}

export function isValidTagName(name: string): boolean {
  return isValidName(name, TAG_NAME_MAX);
}

const tagName = z
  .string()
  .superRefine((s, ctx) => {
    const ph = placeholdersIn(s);
    if (ph.length > 0) ctx.addIssue({ code: 'custom', message: `a fixed tag name takes no placeholder ("{${ph[0]}}")` });
    else if (!isValidTagName(s)) {
      ctx.addIssue({ code: 'custom', message: `"${s}" is not a valid tag name (letters, digits, "_", "-", ".")` });
    }
  });

const bucketPattern = z
  .string()
  .superRefine((s, ctx) => {
    for (const p of placeholdersIn(s)) {
      if (p !== 'bucket') ctx.addIssue({ code: 'custom', message: `unknown placeholder "{${p}}"; only {bucket} is allowed` });
    }
    if (!s.includes('{bucket}')) {
      ctx.addIssue({ code: 'custom', message: `per-bucket name "${s}" must contain {bucket}` });
    } else if (!isValidTagName(s.replaceAll('{bucket}', SAMPLE_BUCKET))) {
      ctx.addIssue({ code: 'custom', message: `"${s}" does not yield a valid tag name (letters, digits, "_", "-", ".")` });
    }
  });

const chainEntry = z.string().superRefine((s, ctx) => {
  const ph = placeholdersIn(s);
  const whole = /^\{([^{}]*)\}$/.exec(s)?.[1];
  if (whole !== undefined && (CHAIN_REFERENCES as readonly string[]).includes(whole)) return;
  for (const p of ph) {
    if ((CHAIN_REFERENCES as readonly string[]).includes(p)) {
      ctx.addIssue({ code: 'custom', message: `{${p}} must be a whole chain entry, not part of "${s}"` });
    } else if (p !== 'bucket') {
      ctx.addIssue({
        code: 'custom',
        message: `unknown placeholder "{${p}}"; known: {bucket} {${CHAIN_REFERENCES.join('} {')}}`,
      });
    }
  }
  if (ph.every((p) => p === 'bucket') && !isValidTagName(s.replaceAll('{bucket}', SAMPLE_BUCKET))) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not a valid tag name or pattern` });
  }
});

const chain = z
  .array(chainEntry)
  .min(1)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((e, i) => {
      if (seen.has(e)) ctx.addIssue({ code: 'custom', path: [i], message: `"${e}" appears twice in the chain` });
      seen.add(e);
    });
  });

export const GlobalTagsFileSchema = z
  .strictObject({
    running_tag: tagName.describe('RUNNING tag that grows bucket by bucket (running updates), e.g. data_prompt_running'),
    fixing_tag: tagName
      .default('data_reprocessing_prompt_fix')
      .describe('Auxiliary fixing tag where experts put corrected payloads during fix windows; first in chains'),
    staging_tag_pattern: bucketPattern
      .default('data_prompt_staging_{bucket}')
      .describe("Name of a bucket's staging tag (approved payloads before the running update); needs {bucket}"),
    snapshot_pattern: bucketPattern
      .default('data_reprocessing_prompt_snapshot_{bucket}')
      .describe("Name of a bucket's snapshot (PUBLISHED copy of the running tag for prompt processing); needs {bucket}"),
    final_tag_pattern: bucketPattern
      .default('data_reprocessing_prompt_{bucket}')
      .describe("Name of a bucket's final tag, blessed at the end of the fix window; needs {bucket}"),
    chains: z
      .strictObject({
        cdst: chain.describe('Tag chain for cDST production of calibration skims (the current baseline)'),
        calibration: chain.describe('Tag chain calibration jobs read (fixing tag first, then running)'),
        prompt: chain.describe("Tag chain of prompt processing (the bucket's snapshot)"),
        reprocessing: chain.describe("Tag chain of the final mDST reprocessing (the bucket's blessed final tag)"),
      })
      .describe('Tag chains per kind of processing, highest priority first'),
    fix_window: z
      .strictObject({
        hours: z.number().positive().max(24 * 90).default(48).describe('Length of the fix window in hours'),
        closing_soon_lead_hours: z
          .number()
          .min(0)
          .default(6)
          .describe('How long before the window closes experts are warned it is closing soon, in hours'),
      })
      .prefault({})
      .refine((w) => w.closing_soon_lead_hours < w.hours, {
        path: ['closing_soon_lead_hours'],
        message: 'closing_soon_lead_hours must be shorter than the window',
      })
      .describe('The window after prompt processing in which experts may upload fixes'),
    final_tag: z
      .strictObject({
        assembly: z
          .enum(FINAL_TAG_ASSEMBLIES)
          .default('fixes_over_snapshot')
          .describe("fixes_over_snapshot: fixing tag entries of the bucket's runs take priority over the snapshot"),
      })
      .prefault({})
      .describe('How the final tag of a bucket is assembled when the fix window closes'),
  })
  .superRefine((c, ctx) => {
    // Two roles sharing one tag would make a running update write into the fixing tag or a snapshot overwrite a
    // final tag; compare with a sample bucket.
    const names: Array<[string, string]> = [
      ['running_tag', c.running_tag],
      ['fixing_tag', c.fixing_tag],
      ['staging_tag_pattern', c.staging_tag_pattern.replaceAll('{bucket}', SAMPLE_BUCKET)],
      ['snapshot_pattern', c.snapshot_pattern.replaceAll('{bucket}', SAMPLE_BUCKET)],
      ['final_tag_pattern', c.final_tag_pattern.replaceAll('{bucket}', SAMPLE_BUCKET)],
    ];
    const seen = new Map<string, string>();
    for (const [key, name] of names) {
      const other = seen.get(name);
      if (other !== undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: `names the same tag as ${other}` });
      }
      seen.set(name, key);
    }
  })
  .describe('Global tags managed by the prompt calibration loop (globaltags/prompt.yaml)');

export type GlobalTagsFileInput = z.input<typeof GlobalTagsFileSchema>;
export type GlobalTagsFile = z.output<typeof GlobalTagsFileSchema>;

export interface GlobalTagConfig {
  runningTag: string;
  fixingTag: string;
  stagingTagPattern: string;
  snapshotPattern: string;
  finalTagPattern: string;
  chains: Record<ChainName, string[]>;
  fixWindow: { hours: number; closingSoonLeadHours: number };
  finalTag: { assembly: FinalTagAssembly };
}

export function toGlobalTagConfig(file: GlobalTagsFile): GlobalTagConfig {
  return {
    runningTag: file.running_tag,
    fixingTag: file.fixing_tag,
    stagingTagPattern: file.staging_tag_pattern,
    snapshotPattern: file.snapshot_pattern,
    finalTagPattern: file.final_tag_pattern,
    chains: {
      cdst: [...file.chains.cdst],
      calibration: [...file.chains.calibration],
      prompt: [...file.chains.prompt],
      reprocessing: [...file.chains.reprocessing],
    },
    fixWindow: { hours: file.fix_window.hours, closingSoonLeadHours: file.fix_window.closing_soon_lead_hours },
    finalTag: { assembly: file.final_tag.assembly },
  };
}

function bucketPart(bucket: string): string {
  if (!isValidTagName(bucket)) {
    throw new DomainError('INVALID_INPUT', `bucket name "${bucket}" cannot be part of a tag name`);
  }
  return bucket;
}

/** Concrete per-bucket tag names. */
export interface BucketTagNames {
  running: string;
  fixing: string;
  staging: string;
  snapshot: string;
  final: string;
}

export function bucketTagNames(config: GlobalTagConfig, bucket: string): BucketTagNames {
  const b = bucketPart(bucket);
  return {
    running: config.runningTag,
    fixing: config.fixingTag,
    staging: config.stagingTagPattern.replaceAll('{bucket}', b),
    snapshot: config.snapshotPattern.replaceAll('{bucket}', b),
    final: config.finalTagPattern.replaceAll('{bucket}', b),
  };
}

export const stagingTagName = (config: GlobalTagConfig, bucket: string) => bucketTagNames(config, bucket).staging;
export const snapshotTagName = (config: GlobalTagConfig, bucket: string) => bucketTagNames(config, bucket).snapshot;
export const finalTagName = (config: GlobalTagConfig, bucket: string) => bucketTagNames(config, bucket).final;

/** Resolves a chain for a bucket to concrete tag names, highest priority first. */
export function resolveTagChain(config: GlobalTagConfig, chainName: ChainName, bucket: string): string[] {
  const entries = config.chains[chainName];
  if (entries === undefined) throw new DomainError('NOT_FOUND', `tag chain "${chainName}" not found`);
  const names = bucketTagNames(config, bucket);
  return entries.map((entry) => {
    const ref = /^\{([^{}]*)\}$/.exec(entry)?.[1];
    if (ref !== undefined && (CHAIN_REFERENCES as readonly string[]).includes(ref)) return names[ref as ChainReference];
    return entry.replaceAll('{bucket}', bucket);
  });
}
