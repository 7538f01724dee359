// @ts-check
/**
 * The validation plot an algorithm leaves in its output directory (docs/contracts.md: PNG/SVG/PDF files there are
 * attached to the payload candidate): each constant with its error, as a real algorithm would draw with ROOT.
 */

/** @param {string} title @param {Record<string, number>} values @param {Record<string, number>} errors */
export function validationSvg(title, values, errors) {
  const keys = Object.keys(values).slice(0, 200);
  const w = 640, h = 320, left = 60, right = 10, top = 30, bottom = 30;
  const lo = Math.min(...keys.map((k) => values[k] - (errors[k] ?? 0)));
  const hi = Math.max(...keys.map((k) => values[k] + (errors[k] ?? 0)));
  const span = hi - lo || Math.abs(hi) || 1;
  const y = (/** @type {number} */ v) => top + (h - top - bottom) * (1 - (v - lo + span * 0.05) / (span * 1.1));
  const x = (/** @type {number} */ i) => left + ((w - left - right) * (i + 0.5)) / Math.max(keys.length, 1);
  const marks = keys.map((k, i) => {
    const e = errors[k] ?? 0;
    return `<line x1="${x(i).toFixed(1)}" x2="${x(i).toFixed(1)}" y1="${y(values[k] - e).toFixed(1)}" y2="${y(values[k] + e).toFixed(1)}" stroke="#555"/><circle cx="${x(i).toFixed(1)}" cy="${y(values[k]).toFixed(1)}" r="2.5" fill="#1f6feb"/>`;
  });
  const esc = (/** @type {string} */ s) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">
<rect width="100%" height="100%" fill="white"/>
<text x="${w / 2}" y="18" text-anchor="middle" font-family="sans-serif" font-size="13">${esc(title)}</text>
<line x1="${left}" x2="${left}" y1="${top}" y2="${h - bottom}" stroke="black"/><line x1="${left}" x2="${w - right}" y1="${h - bottom}" y2="${h - bottom}" stroke="black"/>
<text x="${left - 4}" y="${y(hi).toFixed(1)}" text-anchor="end" font-family="sans-serif" font-size="10">${hi.toPrecision(4)}</text>
<text x="${left - 4}" y="${y(lo).toFixed(1)}" text-anchor="end" font-family="sans-serif" font-size="10">${lo.toPrecision(4)}</text>
<text x="${(w + left) / 2}" y="${h - 8}" text-anchor="middle" font-family="sans-serif" font-size="10">constant (${keys.length})</text>
${marks.join('\n')}
</svg>
`;
}
