// @ts-check
/** Small statistics toolbox for the algorithms: windowed and clipped means, truncation corrections, a Gaussian χ². */

/** @param {ArrayLike<number>} xs */
export function mean(xs) {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return xs.length ? s / xs.length : NaN;
}

/** @param {number[]} xs sorted ascending @param {number} q in [0, 1] */
export function quantileSorted(xs, q) {
  if (xs.length === 0) return NaN;
  const pos = (xs.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(xs.length - 1, lo + 1);
  return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo);
}

/** @param {number[]} xs */
export function median(xs) {
  return quantileSorted([...xs].sort((a, b) => a - b), 0.5);
}

/**
 * Mean and spread of the values inside [centre − half, centre + half]. `error` is the error of the self-consistent
 * windowed mean (the window centred on its own result, as when iterated to convergence): an M-estimator whose
 * variance is Σ(x−m)² / (n − half·(ρ(lo) + ρ(hi)))², ρ being the density of entries at the window's edges. It is
 * about 10 % larger than rms/√n for a ±2.5σ window.
 * @param {ArrayLike<number>} xs @param {number} centre @param {number} half
 * @returns {{ mean: number, rms: number, n: number, error: number }}
 */
export function windowedMean(xs, centre, half) {
  let n = 0;
  let s = 0;
  let s2 = 0;
  const lo = centre - half;
  const hi = centre + half;
  const edge = half / 10;
  let atEdges = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (x >= lo && x <= hi) {
      n++;
      s += x;
      s2 += x * x;
    }
    if (Math.abs(x - lo) < edge || Math.abs(x - hi) < edge) atEdges++;
  }
  if (n === 0) return { mean: NaN, rms: NaN, n: 0, error: NaN };
  const m = s / n;
  const rms = Math.sqrt(Math.max(0, s2 / n - m * m));
  const denominator = Math.max(0.5 * n, n - half * (atEdges / (2 * edge)));
  return { mean: m, rms, n, error: (rms * Math.sqrt(n)) / denominator };
}

/**
 * Mean of a Gaussian core with outliers or tails: start at the median with a robust width, then repeat a ±k·σ window
 * around the current mean (σ corrected for the truncation) until it stops moving.
 * @param {ArrayLike<number>} xs @param {number} k window half-width in σ
 * @returns {{ mean: number, sigma: number, n: number, error: number, lo: number, hi: number }}
 */
export function clippedMean(xs, k = 3) {
  const sorted = Array.from(xs).sort((a, b) => a - b);
  let centre = quantileSorted(sorted, 0.5);
  let sigma = (quantileSorted(sorted, 0.8413) - quantileSorted(sorted, 0.1587)) / 2;
  if (!(sigma > 0)) sigma = Math.abs(centre) * 1e-3 || 1e-6;
  let w = windowedMean(sorted, centre, k * sigma);
  for (let i = 0; i < 50 && w.n > 1; i++) {
    const nextSigma = w.rms / truncatedRmsFactor(k);
    const moved = Math.abs(w.mean - centre);
    centre = w.mean;
    sigma = nextSigma;
    w = windowedMean(sorted, centre, k * sigma);
    if (moved < 1e-6 * sigma) break;
  }
  return { mean: w.mean, sigma, n: w.n, error: w.error, lo: centre - k * sigma, hi: centre + k * sigma };
}

/** Standard normal density. @param {number} x */
export function phi(x) {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/** Standard normal CDF (erf approximation, |error| < 1.5e-7). @param {number} x */
export function Phi(x) {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/** Inverse of Phi by bisection (only used for a handful of quantiles). @param {number} p */
export function PhiInv(p) {
  let lo = -10;
  let hi = 10;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (Phi(mid) < p) lo = mid; else hi = mid;
  }
  return (lo + hi) / 2;
}

/** RMS of a unit Gaussian truncated to ±k. @param {number} k */
export function truncatedRmsFactor(k) {
  return Math.sqrt(1 - (2 * k * phi(k)) / (2 * Phi(k) - 1));
}

/**
 * Truncated mean dropping the lowest `low` and highest `high` fractions, corrected for the shift such a truncation
 * gives a Gaussian (σ from the 16-84 % quantiles), so that it estimates the Gaussian mean.
 * @param {number[]} xs @param {number} low @param {number} high
 * @returns {{ mean: number, raw: number, sigma: number, n: number, error: number }}
 */
export function truncatedMean(xs, low, high) {
  const sorted = [...xs].sort((a, b) => a - b);
  const i0 = Math.floor(sorted.length * low);
  const i1 = Math.max(i0 + 1, Math.ceil(sorted.length * (1 - high)));
  const kept = sorted.slice(i0, i1);
  const raw = mean(kept);
  const sigma = (quantileSorted(sorted, 0.8413) - quantileSorted(sorted, 0.1587)) / 2;
  const a = PhiInv(low);
  const b = PhiInv(1 - high);
  const keptFraction = 1 - low - high;
  const shift = (phi(a) - phi(b)) / keptFraction; // mean of a unit Gaussian truncated to [a, b]
  // Error of a trimmed mean: winsorised variance / (n · kept fraction²).
  const wLo = sorted[i0];
  const wHi = sorted[i1 - 1];
  let s = 0;
  let s2 = 0;
  for (const x of sorted) {
    const w = x < wLo ? wLo : x > wHi ? wHi : x;
    s += w;
    s2 += w * w;
  }
  const n = sorted.length;
  const wVar = Math.max(0, s2 / n - (s / n) ** 2);
  return {
    mean: raw - sigma * shift,
    raw,
    sigma,
    n: kept.length,
    error: Math.sqrt(wVar / Math.max(1, n)) / keptFraction,
  };
}

/**
 * χ²/ndf of a histogram of the values inside [lo, hi] against a Gaussian (mean, sigma) truncated to that window, on
 * top of a flat background of `background` entries per unit of x. Bins expecting fewer than 5 entries are merged.
 * @param {ArrayLike<number>} xs @param {number} mu @param {number} sigma @param {number} lo @param {number} hi
 * @param {{ bins?: number, background?: number }} [opts]
 * @returns {{ chi2: number, ndf: number }}
 */
export function gaussianChi2(xs, mu, sigma, lo, hi, opts = {}) {
  const bins = opts.bins ?? 20;
  const background = opts.background ?? 0;
  const counts = new Array(bins).fill(0);
  let n = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (x < lo || x > hi) continue;
    counts[Math.min(bins - 1, Math.floor(((x - lo) / (hi - lo)) * bins))]++;
    n++;
  }
  const norm = Phi((hi - mu) / sigma) - Phi((lo - mu) / sigma);
  const nSignal = Math.max(0, n - background * (hi - lo));
  let chi2 = 0;
  let used = 0;
  let accO = 0;
  let accE = 0;
  for (let b = 0; b < bins; b++) {
    const a = lo + ((hi - lo) * b) / bins;
    const c = lo + ((hi - lo) * (b + 1)) / bins;
    accE += (nSignal * (Phi((c - mu) / sigma) - Phi((a - mu) / sigma))) / norm + background * (c - a);
    accO += counts[b];
    if (accE >= 5 || b === bins - 1) {
      if (accE > 0) {
        chi2 += ((accO - accE) ** 2) / accE;
        used++;
      }
      accO = 0;
      accE = 0;
    }
  }
  return { chi2, ndf: Math.max(1, used - 3) };
}

/**
 * σ of a Gaussian whose values inside a window of half-width `half` around its mean have the given RMS.
 * @param {number} rms @param {number} half
 */
export function sigmaFromTruncatedRms(rms, half) {
  let sigma = rms;
  for (let i = 0; i < 30; i++) sigma = rms / truncatedRmsFactor(half / sigma);
  return sigma;
}
