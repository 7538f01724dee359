#!/usr/bin/env node
// `prisma generate` needs no schema engine, but the CLI insists on finding one and would try to download it.
// Experiment clusters are often firewalled, so point it at a stub: generation never calls it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stub = join(mkdtempSync(join(tmpdir(), 'calibloop-')), 'schema-engine-stub');
writeFileSync(stub, '#!/bin/sh\necho "calibloop uses @prisma/schema-engine-wasm; the native engine is not needed" >&2\nexit 1\n');
chmodSync(stub, 0o755);
const prismaCli = join(root, 'node_modules', 'prisma', 'build', 'index.js');
const r = spawnSync(process.execPath, [prismaCli, 'generate', '--schema', join(root, 'prisma', 'schema.prisma')], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: stub, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' },
});
process.exit(r.status ?? 1);
