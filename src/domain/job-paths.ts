/**
 * Where a job's attempts live: `<jobs root>/<key as a path>/a<attempt>`, readable by a person looking for a job
 * (`jobs/hlt_skim/hlt_bhabha/e12/r101/c0/a1/job.log`) and derived from the key alone, so a restarted server finds
 * the directory of an interrupted submission again.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';

export function keyAsPath(key: string): string {
  const safe = key
    .split('/')
    .map((seg) => seg.replace(/[^A-Za-z0-9._=-]/g, '_').replace(/^\.+/, '_'))
    .filter((seg) => seg.length > 0)
    .join('/');
  if (safe.length > 0 && safe.length <= 180) return safe;
  return `${safe.slice(0, 120)}_${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

export function jobDir(jobsRoot: string, key: string): string {
  return join(jobsRoot, keyAsPath(key));
}

export function attemptDir(jobsRoot: string, key: string, attempt: number): string {
  return join(jobDir(jobsRoot, key), `a${attempt}`);
}

/** The key an executor sees for one attempt (also the engine's job name). */
export function attemptKey(key: string, attempt: number): string {
  return `${key}#a${attempt}`;
}
