/**
 * Settings of the Slurm executor (CALIBLOOP_EXECUTOR=slurm), from the environment, parsed with zod at start-up.
 * Kept apart from app-config.ts because only the Slurm executor reads them; docs/deploy.md lists them all.
 */
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { AppConfig } from './app-config.ts';
import type { SlurmExecutorOptions } from '../executors/slurm-executor.ts';

const SlurmEnvSchema = z.object({
  CALIBLOOP_SLURM_STATE_DIR: z
    .string()
    .optional()
    .describe('manifests, wrappers and exit files of submitted arrays; must be on a file system the compute nodes mount at the same path (default: $CALIBLOOP_HOME/slurm)'),
  CALIBLOOP_SLURM_PARTITION: z.string().optional().describe('sbatch --partition'),
  CALIBLOOP_SLURM_ACCOUNT: z.string().optional().describe('sbatch --account'),
  CALIBLOOP_SLURM_QOS: z.string().optional().describe('sbatch --qos'),
  CALIBLOOP_SLURM_SBATCH_ARGS: z
    .string()
    .optional()
    .describe('more sbatch options for every array, whitespace-separated (e.g. "--constraint=el9 --reservation=calib")'),
  CALIBLOOP_SLURM_BIN_DIR: z.string().optional().describe('directory of sbatch/squeue/scancel/scontrol (default: PATH)'),
  CALIBLOOP_SLURM_COMMAND_TIMEOUT_S: z.coerce.number().int().positive().default(60).describe('timeout of each Slurm command'),
  CALIBLOOP_SLURM_MAX_ARRAY_SIZE: z.coerce.number().int().positive().optional().describe('tasks per array at most (default: the cluster MaxArraySize)'),
  CALIBLOOP_SLURM_MAX_RUNNING_PER_ARRAY: z.coerce.number().int().positive().optional().describe('sbatch --array=...%N throttle'),
  CALIBLOOP_SLURM_END_POLL_S: z.coerce
    .number()
    .min(0)
    .max(3600)
    .default(2)
    .describe('how often one squeue asks whether live jobs ended, so the job engine reacts at once (0: off, the jobs tick alone)'),
});

export function loadSlurmExecutorOptions(config: AppConfig, env: NodeJS.ProcessEnv = process.env): SlurmExecutorOptions {
  const parsed = SlurmEnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`invalid Slurm executor environment:\n${lines}`);
  }
  const e = parsed.data;
  return {
    stateDir: resolve(e.CALIBLOOP_SLURM_STATE_DIR ?? join(config.home, 'slurm')),
    partition: e.CALIBLOOP_SLURM_PARTITION,
    account: e.CALIBLOOP_SLURM_ACCOUNT,
    qos: e.CALIBLOOP_SLURM_QOS,
    sbatchArgs: e.CALIBLOOP_SLURM_SBATCH_ARGS?.split(/\s+/).filter(Boolean),
    binDir: e.CALIBLOOP_SLURM_BIN_DIR,
    commandTimeoutMs: e.CALIBLOOP_SLURM_COMMAND_TIMEOUT_S * 1000,
    maxArraySize: e.CALIBLOOP_SLURM_MAX_ARRAY_SIZE,
    maxRunningPerArray: e.CALIBLOOP_SLURM_MAX_RUNNING_PER_ARRAY,
    endPollIntervalMs: Math.round(e.CALIBLOOP_SLURM_END_POLL_S * 1000),
  };
}
