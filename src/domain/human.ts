/** Numbers and durations as people read them (messages, CLI tables): rounded, with a unit. Pure. */

/** 3 significant digits at most, no float noise: 2.7720000000000002 → 2.77, 0.03333 → 0.0333, 1234.5 → 1235. */
export function roundForPeople(n: number): number {
  if (!Number.isFinite(n) || Number.isInteger(n)) return n;
  const abs = Math.abs(n);
  if (abs >= 100) return Math.round(n);
  return Number(n.toPrecision(3));
}

/** 42 s, 12 min, 4 h, 2.5 h, 3 d */
export function humanDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 90) return `${Math.round(s)} s`;
  const min = s / 60;
  if (min < 90) return `${Math.round(min)} min`;
  const h = min / 60;
  if (h < 48) return `${roundForPeople(Math.round(h * 2) / 2)} h`;
  return `${roundForPeople(Math.round((h / 24) * 2) / 2)} d`;
}
