/**
 * Command templates of docs/contracts.md: argv arrays whose entries may contain `{placeholder}`s. Substitution is
 * textual inside each entry and never goes through a shell, so a path with spaces stays one argument.
 */
import { invalid } from './errors.ts';

export const COMMAND_PLACEHOLDERS = [
  'node',
  'toolkit',
  'inputs',
  'inputList',
  'output',
  'outputDir',
  'skim',
  'exp',
  'run',
  'firstRun',
  'iteration',
  'localdb',
  'expertConfig',
  'algorithm',
] as const;
export type CommandPlaceholder = (typeof COMMAND_PLACEHOLDERS)[number];
export type CommandValues = Partial<Record<CommandPlaceholder, string | number>>;

const PLACEHOLDER_RE = /\{([A-Za-z][A-Za-z0-9]*)\}/g;

export function placeholdersOf(arg: string): string[] {
  return [...arg.matchAll(PLACEHOLDER_RE)].map((m) => m[1]);
}

/** Substitutes every placeholder; a placeholder without a value is an error (a job must never run with `{x}`). */
export function renderCommand(template: readonly string[], values: CommandValues): string[] {
  return template.map((arg) =>
    arg.replace(PLACEHOLDER_RE, (whole, p: string) => {
      const v = values[p as CommandPlaceholder];
      if (v === undefined) throw invalid(`command template needs {${p}} but no value is known for it`, { placeholder: p, arg });
      return String(v);
    }),
  );
}

/** Output path patterns use a smaller set: {bucket} {step} {skim} {exp} {run} {chunk}. */
export function renderPattern(pattern: string, values: Record<string, string | number>): string {
  return pattern.replace(PLACEHOLDER_RE, (whole, p: string) => {
    const v = values[p];
    if (v === undefined) throw invalid(`pattern ${pattern} needs {${p}}`, { placeholder: p });
    return String(v);
  });
}
