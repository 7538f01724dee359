/**
 * "Did you mean …?" for names people type: the closest known names by edit distance, when close enough. Pure. The
 * server computes them (src/services/names/suggest-names.ts); the CLI only prints what the server sent.
 */

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** Up to `max` known names closest to `typed` (case-insensitive), within a third of its length (at least 2 edits). */
export function closestNames(typed: string, known: readonly string[], max = 3): string[] {
  const t = typed.toLowerCase();
  const limit = Math.max(2, Math.floor(t.length / 3));
  return known
    .map((k) => ({ k, d: k.toLowerCase().includes(t) || t.includes(k.toLowerCase()) ? 1 : distance(t, k.toLowerCase()) }))
    .filter((x) => x.k !== typed && x.d <= limit)
    .sort((a, b) => a.d - b.d || a.k.localeCompare(b.k))
    .slice(0, max)
    .map((x) => x.k);
}

/** The server's suggestions (`details.suggestions` of a 404) as people read them: `; did you mean "a" or "b"?`. */
export function didYouMean(suggestions: readonly string[]): string {
  return suggestions.length ? `; did you mean ${suggestions.map((x) => `"${x}"`).join(' or ')}?` : '';
}

/** The suggestions in an error body's details, if it carries any. */
export function suggestionsIn(details: unknown): string[] {
  const s = (details as { suggestions?: unknown } | null | undefined)?.suggestions;
  return Array.isArray(s) ? s.filter((x): x is string => typeof x === 'string') : [];
}
