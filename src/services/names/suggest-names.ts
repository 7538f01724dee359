/**
 * "Did you mean …?" for a tag, bucket, calibration or campaign name that names nothing: the closest existing names by
 * edit distance (src/domain/suggest.ts), at most three, and only names the caller could list anyway — tags are public,
 * the others need a token. The API's error path calls this for every UnknownNameError (src/http/errors.ts); the CLI
 * prints what the server suggests.
 */
import type { Deps } from '../../deps.ts';
import type { NameKind } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { closestNames } from '../../domain/suggest.ts';
import { calibrationSetup } from '../calibration/calibration-config.ts';

/** The most names read to compare with (a typo among more than this many is rarer than the cost of reading them). */
const MAX_KNOWN = 20_000;

async function knownNames(deps: Deps, kind: NameKind): Promise<string[]> {
  const p = deps.prisma;
  const pick = (rows: { name: string }[]) => rows.map((r) => r.name);
  switch (kind) {
    case 'tag':
      return pick(await p.globalTag.findMany({ select: { name: true }, take: MAX_KNOWN, orderBy: { id: 'desc' } }));
    case 'bucket':
      return pick(await p.bucket.findMany({ select: { name: true }, take: MAX_KNOWN, orderBy: { id: 'desc' } }));
    case 'campaign':
      return [...new Set(pick(await p.reprocessingCampaign.findMany({ select: { name: true }, take: MAX_KNOWN, orderBy: { id: 'desc' } })))];
    case 'calibration':
      return calibrationSetup(deps.config).calibrations.map((c) => c.name);
  }
}

export function mayListNames(kind: NameKind, actor: Actor | undefined): boolean {
  return kind === 'tag' || actor !== undefined;
}

export async function suggestNames(deps: Deps, kind: NameKind, typed: string, actor: Actor | undefined): Promise<string[]> {
  if (!mayListNames(kind, actor)) return [];
  return closestNames(typed, await knownNames(deps, kind));
}
