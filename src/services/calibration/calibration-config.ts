/**
 * The calibration definitions and global tag configuration the loop works with, read once per directory (start-up
 * parse, fail fast) from the directories of the app config. Tests point `calibrationsDir` / `globaltagsDir` elsewhere.
 */
import type { AppConfig } from '../../config/app-config.ts';
import type { CalibrationDefinition } from '../../config/calibration-schema.ts';
import { loadCalibrationGraph, loadGlobalTags } from '../../config/load-config.ts';
import { resolveTagChain, stagingTagName, snapshotTagName, type GlobalTagConfig } from '../../config/globaltags-schema.ts';
import type { CalibrationGraph } from '../../domain/calibration-graph.ts';
import { unknownName } from '../../domain/errors.ts';

export interface CalibrationSetup {
  /** topological order */
  calibrations: CalibrationDefinition[];
  graph: CalibrationGraph;
  byName: Map<string, CalibrationDefinition>;
  globalTags: GlobalTagConfig;
}

const cache = new Map<string, CalibrationSetup>();

export function calibrationSetup(config: Pick<AppConfig, 'calibrationsDir' | 'globaltagsDir'>): CalibrationSetup {
  const key = `${config.calibrationsDir}\n${config.globaltagsDir}`;
  let setup = cache.get(key);
  if (!setup) {
    const { calibrations, graph, byName } = loadCalibrationGraph(config.calibrationsDir);
    setup = { calibrations, graph, byName, globalTags: loadGlobalTags(config.globaltagsDir) };
    cache.set(key, setup);
  }
  return setup;
}

export function definitionOf(setup: CalibrationSetup, name: string): CalibrationDefinition {
  const d = setup.byName.get(name);
  if (!d) throw unknownName('calibration', name);
  return d;
}

/** Tag names of one bucket the loop uses. */
export function loopTags(setup: CalibrationSetup, bucket: string) {
  return {
    running: setup.globalTags.runningTag,
    staging: stagingTagName(setup.globalTags, bucket),
    snapshot: snapshotTagName(setup.globalTags, bucket),
    /** calibration chain, highest priority first (fixing tag, then running) */
    calibrationChain: resolveTagChain(setup.globalTags, 'calibration', bucket),
  };
}
