import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (where package.json lives), independent of the current directory. */
export const ROOT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PRISMA_DIR = join(ROOT_DIR, 'prisma');
