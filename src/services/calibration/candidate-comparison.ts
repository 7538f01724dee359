/**
 * What the manager compares a candidate with on the approval page: its constants (result.json `metrics.values`),
 * the payload it replaces in the running tag (values read from that payload's file), and the same calibration's
 * approved candidates of earlier buckets (the trend). Also serves the candidate's validation images.
 */
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { join } from 'node:path';
import type { Deps } from '../../deps.ts';
import { notFound } from '../../domain/errors.ts';
import { candidateValues, type CandidateView } from './candidate-view.ts';
import { conditionsPort } from '../conditions/store-conditions.ts';
import { VALIDATION_IMAGE } from './collect-outputs.ts';

type Values = NonNullable<CandidateView['values']>;

function payloadValues(path: string): Values | null {
  try {
    const content = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    return candidateValues(content);
  } catch {
    return null;
  }
}

export async function candidateComparison(deps: Deps, id: number) {
  const c = await deps.prisma.payloadCandidate.findUnique({ where: { id } });
  if (!c) throw notFound(`payload candidate ${id}`);
  const metrics = (c.metrics ?? {}) as Record<string, unknown>;
  const conditions = conditionsPort(deps);
  let running: { revision: number; values: Values | null } | null = null;
  if (c.previousRevision !== null) {
    const p = await deps.prisma.payload.findUnique({ where: { name_revision: { name: c.name, revision: c.previousRevision } } });
    if (p) {
      const values = payloadValues(await conditions.payloadPath(p.id));
      const run = metrics.run;
      running = { revision: p.revision, values: values && typeof run === 'number' && values.some((v) => v.key === String(run)) ? values.filter((v) => v.key === String(run)) : values };
    }
  }
  const earlier = await deps.prisma.payloadCandidate.findMany({
    where: { calibration: c.calibration, name: c.name, state: 'approved', bucketId: { not: c.bucketId }, id: { lt: c.id } },
    orderBy: { id: 'desc' },
    take: 20,
    select: { bucketId: true, revision: true, firstExp: true, firstRun: true, metrics: true },
  });
  const names = new Map((await deps.prisma.bucket.findMany({ where: { id: { in: [...new Set(earlier.map((e) => e.bucketId))] } }, select: { id: true, name: true } })).map((b) => [b.id, b.name]));
  return {
    id: c.id,
    name: c.name,
    revision: c.revision,
    values: candidateValues(metrics),
    running,
    previousBuckets: earlier.reverse().map((e) => ({ bucket: names.get(e.bucketId) ?? String(e.bucketId), revision: e.revision, firstRun: [e.firstExp, e.firstRun], values: candidateValues((e.metrics ?? {}) as Record<string, unknown>) })),
  };
}

const CONTENT_TYPES: Record<string, string> = { png: 'image/png', svg: 'image/svg+xml', pdf: 'application/pdf' };

/** The path and type of one validation image attached to a candidate (only names recorded on the candidate). */
export async function candidateImage(deps: Deps, id: number, file: string): Promise<{ path: string; contentType: string; size: number }> {
  const c = await deps.prisma.payloadCandidate.findUnique({ where: { id }, select: { calibrationRunId: true, iteration: true, metrics: true } });
  const images = ((c?.metrics ?? {}) as { validationImages?: unknown }).validationImages;
  if (!c || !Array.isArray(images) || !images.includes(file) || !VALIDATION_IMAGE.test(file)) throw notFound(`validation image ${file} of payload candidate ${id}`);
  const it = await deps.prisma.calibrationIteration.findUnique({ where: { calibrationRunId_iteration: { calibrationRunId: c.calibrationRunId, iteration: c.iteration } }, select: { outputDir: true } });
  if (!it?.outputDir) throw notFound(`output directory of payload candidate ${id}`);
  const path = join(it.outputDir, file);
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw notFound(`validation image ${file} of payload candidate ${id} (no longer on disk)`);
  }
  return { path, contentType: CONTENT_TYPES[file.split('.').pop()!.toLowerCase()], size };
}

const ValuesSchema = z.array(z.object({ key: z.string(), value: z.number(), error: z.number().nullable() })).nullable();
/** The answer of GET /payload-candidates/:id/comparison (documented in the OpenAPI document). */
export const CandidateComparisonSchema = z.object({
  id: z.number(),
  name: z.string(),
  revision: z.number(),
  values: ValuesSchema,
  running: z.object({ revision: z.number(), values: ValuesSchema }).nullable().describe('the payload this candidate replaces in the running tag'),
  previousBuckets: z.array(z.object({ bucket: z.string(), revision: z.number(), firstRun: z.tuple([z.number(), z.number()]), values: ValuesSchema })).describe('approved candidates of the same calibration and payload in earlier buckets, oldest first'),
});
