/**
 * Prisma's schema engine, compiled to WebAssembly, driven through a driver adapter. The native engine cannot be
 * downloaded on firewalled clusters; the wasm build ships inside the npm package, so migrations work offline on both
 * PGlite and PostgreSQL.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as bg from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import { bindMigrationAwareSqlAdapterFactory, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';

let initialised: Promise<void> | undefined;

/** The package's own entry imports the .wasm as an ES module (bundler style); Node needs it instantiated by hand. */
function initWasm(): Promise<void> {
  initialised ??= (async () => {
    const require = createRequire(import.meta.url);
    const jsPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = readFileSync(jsPath.replace(/schema_engine_bg\.js$/, 'schema_engine_bg.wasm'));
    // The engine arms long timers (connection pool housekeeping); unref them so a CLI command that migrated can
    // exit at once instead of ~10 s later.
    const imports: Record<string, unknown> = { ...bg };
    for (const key of Object.keys(imports)) {
      if (key.startsWith('__wbg_setTimeout_')) {
        imports[key] = (fn: () => void, ms: number) => setTimeout(fn, ms >>> 0).unref();
      }
    }
    const instance = await WebAssembly.instantiate(await WebAssembly.compile(bytes), {
      './schema_engine_bg.js': imports as WebAssembly.ModuleImports,
    });
    const exports = instance.exports as unknown as { __wbindgen_start(): void };
    (bg as unknown as { __wbg_set_wasm(w: unknown): void }).__wbg_set_wasm(instance.exports);
    exports.__wbindgen_start();
  })();
  return initialised;
}

export async function openSchemaEngine(
  factory: SqlMigrationAwareDriverAdapterFactory,
  schema: { path: string; content: string },
  log: (line: string) => void = () => {},
): Promise<SchemaEngine> {
  await initWasm();
  const adapter = bindMigrationAwareSqlAdapterFactory(factory);
  const engineClass = (bg as unknown as { SchemaEngine: typeof SchemaEngine }).SchemaEngine;
  return engineClass.new({ datamodels: [[schema.path, schema.content]] }, log, adapter);
}

export const NO_FILTERS = { externalTables: [] as string[], externalEnums: [] as string[] };
