/** Types of scripts/build-stamp.mjs (plain JavaScript: bin/calibloop.js loads it before anything is compiled). */
export type SourceEntry = [path: string, mtimeMs: number, size: number];
export function listSources(root: string): SourceEntry[];
export function writeStamp(stampPath: string, sources: SourceEntry[]): void;
export function stampIsFresh(root: string, stampPath: string): boolean;
