/**
 * Running update planning (docs/conditions.md; Belle II `b2conditionsdb tag runningupdate`): given the IoVs of a RUNNING tag,
 * those of a VALIDATED staging tag, a first valid run R and a mode, either the operations that apply the staging tag
 * from R on, or every rule that is broken, each naming the IoV that broke it. Pure: the service loads, locks and
 * applies.
 *
 * Rules (each violation carries one of these `rule` codes):
 * - `below-fcsr`: R is below the tag's first condition-safe run (runs already processed with the running tag).
 * - `running-starts-at-or-after-first-valid-run`: every running IoV must start before R.
 * - `running-closed-ends-at-or-after-first-valid-run`: every closed running IoV must end before R.
 * - `staging-overlap`: staging IoVs of one payload name overlap.
 * - `staging-gap`: staging IoVs of one payload name leave a gap.
 * - `staging-starts-before-first-valid-run`: staging IoVs not starting at (0,0) must start at or after R.
 * - `staging-ends-before-first-valid-run`: a staging IoV starting at (0,0) (moved to R) ends before R.
 * - `staging-not-open-ended`: the staging coverage of a name must be open-ended (strict mode).
 *
 * Modes: `strict` (default); `allow-closed` (closed staging coverage allowed, e.g. to retire a payload); `fix-closed`
 * (the last staging IoV of each name is extended to the open end); `full-replacement` (closed staging allowed, and open
 * running IoVs of names absent from staging are closed just before R).
 *
 * Operations: staging IoVs starting at (0,0) start at R; each open running IoV of a name present in staging is closed
 * just before that name's staging coverage starts; when the first staging IoV of a name holds the *same* payload
 * revision as the open running IoV (or as a closed running IoV ending just before it), that running IoV is extended
 * instead of adding a copy.
 */
import {
  compareIov,
  endFromKey,
  endKey,
  formatIov,
  formatPoint,
  gaps,
  isOpenEnded,
  iovFromKeys,
  pointKey,
  startKey,
  startsAtZero,
  keyToPoint,
  type Iov,
  type RunPoint,
} from './iov.ts';

export const RUNNING_UPDATE_MODES = {
  strict: 'strict',
  allowClosed: 'allow-closed',
  fixClosed: 'fix-closed',
  fullReplacement: 'full-replacement',
} as const;
export type RunningUpdateMode = (typeof RUNNING_UPDATE_MODES)[keyof typeof RUNNING_UPDATE_MODES];
export const RUNNING_UPDATE_MODE_LIST = Object.values(RUNNING_UPDATE_MODES) as RunningUpdateMode[];

export const RUNNING_UPDATE_RULES = {
  belowFcsr: 'below-fcsr',
  runningStartsLate: 'running-starts-at-or-after-first-valid-run',
  runningClosedEndsLate: 'running-closed-ends-at-or-after-first-valid-run',
  stagingOverlap: 'staging-overlap',
  stagingGap: 'staging-gap',
  stagingStartsEarly: 'staging-starts-before-first-valid-run',
  stagingEndsEarly: 'staging-ends-before-first-valid-run',
  stagingNotOpen: 'staging-not-open-ended',
} as const;
export type RunningUpdateRule = (typeof RUNNING_UPDATE_RULES)[keyof typeof RUNNING_UPDATE_RULES];

/** An IoV row of a tag, as the planner needs it. */
export interface TagIov extends Iov {
  id: number;
  name: string;
  revision: number;
  payloadId: number;
}

export interface Violation {
  rule: RunningUpdateRule;
  message: string;
  tag?: 'running' | 'staging';
  name?: string;
  iov?: { id: number; revision: number; iov: string };
  /** for overlaps: the other IoV */
  other?: { id: number; revision: number; iov: string };
}

export interface RunningUpdateInput {
  /** live IoVs of the running tag (at least all open ones and all ending at or after the run before R) */
  running: readonly TagIov[];
  /** live IoVs of the staging tag */
  staging: readonly TagIov[];
  firstValid: RunPoint;
  mode?: RunningUpdateMode;
  /** first condition-safe run of the running tag, when recorded */
  fcsr?: RunPoint | null;
}

export interface IovChange {
  /** the running IoV row that is replaced */
  iov: TagIov;
  /** its new IoV (same start, new end) */
  to: Iov;
}

export interface IovExtension extends IovChange {
  /** the staging IoV whose coverage it takes over (not added as a copy) */
  staging: TagIov;
  /** true when the row stays as it is (an open IoV that stays open) */
  unchanged: boolean;
}

export interface IovAddition {
  /** the staging IoV */
  staging: TagIov;
  /** where it goes in the running tag (moved to R when it started at 0,0; opened in fix-closed mode) */
  iov: Iov;
}

export interface RunningUpdatePlan {
  firstValid: RunPoint;
  mode: RunningUpdateMode;
  closed: IovChange[];
  extended: IovExtension[];
  added: IovAddition[];
  /** the smallest first valid run a following update may use */
  nextFirstValid: RunPoint;
}

export type RunningUpdateResult = { ok: true; plan: RunningUpdatePlan } | { ok: false; violations: Violation[] };

const ref = (i: TagIov) => ({ id: i.id, revision: i.revision, iov: formatIov(i) });

function byName(list: readonly TagIov[]): Map<string, TagIov[]> {
  const m = new Map<string, TagIov[]>();
  for (const i of list) {
    const arr = m.get(i.name);
    if (arr) arr.push(i);
    else m.set(i.name, [i]);
  }
  for (const arr of m.values()) arr.sort(compareIov);
  return m;
}

export function planRunningUpdate(input: RunningUpdateInput): RunningUpdateResult {
  const mode = input.mode ?? 'strict';
  const R = pointKey(input.firstValid.exp, input.firstValid.run);
  const Rtxt = formatPoint(input.firstValid);
  const allowClosed = mode !== 'strict';
  const violations: Violation[] = [];

  if (input.fcsr && R < pointKey(input.fcsr.exp, input.fcsr.run)) {
    violations.push({
      rule: 'below-fcsr',
      message: `first valid run ${Rtxt} is below the first condition-safe run ${formatPoint(input.fcsr)}: runs before it were already processed with the running tag`,
    });
  }

  for (const i of input.running) {
    if (startKey(i) >= R) {
      violations.push({
        rule: 'running-starts-at-or-after-first-valid-run',
        tag: 'running',
        name: i.name,
        iov: ref(i),
        message: `running IoV ${i.name} r${i.revision} [${formatIov(i)}] starts at or after the first valid run ${Rtxt}`,
      });
    } else if (!isOpenEnded(i) && endKey(i) >= R) {
      violations.push({
        rule: 'running-closed-ends-at-or-after-first-valid-run',
        tag: 'running',
        name: i.name,
        iov: ref(i),
        message: `closed running IoV ${i.name} r${i.revision} [${formatIov(i)}] ends at or after the first valid run ${Rtxt}`,
      });
    }
  }

  const staging = byName(input.staging);
  for (const [name, list] of staging) {
    let reach = Number.NEGATIVE_INFINITY;
    let reachIov: TagIov | undefined;
    for (const i of list) {
      if (reachIov && startKey(i) <= reach) {
        violations.push({
          rule: 'staging-overlap',
          tag: 'staging',
          name,
          iov: ref(i),
          other: ref(reachIov),
          message: `staging IoVs of ${name} overlap: r${i.revision} [${formatIov(i)}] and r${reachIov.revision} [${formatIov(reachIov)}]`,
        });
      }
      if (endKey(i) > reach) {
        reach = endKey(i);
        reachIov = i;
      }
    }
    for (const g of gaps(list)) {
      const after = list.find((i) => startKey(i) === endKey(g) + 1)!;
      violations.push({
        rule: 'staging-gap',
        tag: 'staging',
        name,
        iov: ref(after),
        message: `staging IoVs of ${name} leave a gap [${formatIov(g)}] before r${after.revision} [${formatIov(after)}]`,
      });
    }
    for (const i of list) {
      if (startsAtZero(i)) {
        if (endKey(i) < R) {
          violations.push({
            rule: 'staging-ends-before-first-valid-run',
            tag: 'staging',
            name,
            iov: ref(i),
            message: `staging IoV ${name} r${i.revision} [${formatIov(i)}] starts at 0,0 (moved to ${Rtxt}) but ends before ${Rtxt}`,
          });
        }
      } else if (startKey(i) < R) {
        violations.push({
          rule: 'staging-starts-before-first-valid-run',
          tag: 'staging',
          name,
          iov: ref(i),
          message: `staging IoV ${name} r${i.revision} [${formatIov(i)}] starts before the first valid run ${Rtxt}`,
        });
      }
    }
    if (!allowClosed) {
      const last = list.reduce((a, b) => (endKey(b) > endKey(a) ? b : a));
      if (!isOpenEnded(last)) {
        violations.push({
          rule: 'staging-not-open-ended',
          tag: 'staging',
          name,
          iov: ref(last),
          message: `staging coverage of ${name} ends at ${last.finalExp},${last.finalRun} (r${last.revision} [${formatIov(last)}]); strict mode needs it open-ended (use allow-closed or fix-closed)`,
        });
      }
    }
  }

  if (violations.length) return { ok: false, violations };

  // Staging as it will go into the running tag.
  const adjusted = new Map<string, IovAddition[]>();
  for (const [name, list] of staging) {
    const adds = list.map((s) => ({ staging: s, iov: startsAtZero(s) ? iovFromKeys(R, endKey(s)) : ({ ...pick(s) } as Iov) }));
    if (mode === 'fix-closed') {
      const last = adds.reduce((a, b) => (startKey(b.iov) > startKey(a.iov) ? b : a));
      last.iov = { ...last.iov, finalExp: -1, finalRun: -1 };
    }
    adds.sort((a, b) => compareIov(a.iov, b.iov));
    adjusted.set(name, adds);
  }

  const closed: IovChange[] = [];
  const extended: IovExtension[] = [];
  const dropped = new Set<IovAddition>();
  const runningByName = byName(input.running);

  for (const [name, adds] of adjusted) {
    const first = adds[0];
    const coverageStart = startKey(first.iov);
    for (const r of runningByName.get(name) ?? []) {
      const sameRevision = r.revision === first.staging.revision && !dropped.has(first);
      if (isOpenEnded(r)) {
        if (sameRevision) {
          dropped.add(first);
          const to = { ...pick(r), ...endFromKey(endKey(first.iov)) };
          extended.push({ iov: r, to, staging: first.staging, unchanged: isOpenEnded(first.iov) });
        } else {
          closed.push({ iov: r, to: { ...pick(r), ...endFromKey(coverageStart - 1) } });
        }
      } else if (sameRevision && endKey(r) + 1 === coverageStart) {
        dropped.add(first);
        extended.push({ iov: r, to: { ...pick(r), ...endFromKey(endKey(first.iov)) }, staging: first.staging, unchanged: false });
      }
    }
  }
  if (mode === 'full-replacement') {
    for (const [name, list] of runningByName) {
      if (adjusted.has(name)) continue;
      for (const r of list) if (isOpenEnded(r)) closed.push({ iov: r, to: { ...pick(r), ...endFromKey(R - 1) } });
    }
  }

  const added = [...adjusted.values()].flat().filter((a) => !dropped.has(a));

  // After the update every live IoV starts before, and every closed one ends before, the next first valid run.
  const changed = new Map<number, Iov>();
  for (const c of [...closed, ...extended]) changed.set(c.iov.id, c.to);
  const result: Iov[] = [...input.running.map((r) => changed.get(r.id) ?? r), ...added.map((a) => a.iov)];
  let next = input.fcsr ? pointKey(input.fcsr.exp, input.fcsr.run) : 0;
  for (const i of result) {
    next = Math.max(next, startKey(i) + 1);
    if (!isOpenEnded(i)) next = Math.max(next, endKey(i) + 1);
  }
  if (added.length || closed.length || extended.some((e) => !e.unchanged)) next = Math.max(next, R + 1);

  return {
    ok: true,
    plan: { firstValid: input.firstValid, mode, closed, extended, added, nextFirstValid: keyToPoint(next) },
  };
}

function pick(i: Iov): Iov {
  return { firstExp: i.firstExp, firstRun: i.firstRun, finalExp: i.finalExp, finalRun: i.finalRun };
}
