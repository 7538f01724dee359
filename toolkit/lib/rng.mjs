// @ts-check
/**
 * Seeded pseudo-random numbers: xoshiro128** seeded through splitmix32 from a hash of the seed parts. Same seed parts,
 * same stream, on every machine (only 32-bit integer arithmetic; Math.log/sqrt/cos are the only floating functions).
 */

/**
 * FNV-1a hash of the parts joined by '/', so `hashSeed(42, 12, 7, 0)` names the stream of file 0 of run 7 of exp 12.
 * @param {...(string|number)} parts
 * @returns {number} uint32
 */
export function hashSeed(...parts) {
  const s = parts.join('/');
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** @param {number} state @returns {[number, number]} next state and output */
function splitmix32(state) {
  const s = (state + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [s, z >>> 0];
}

export class Rng {
  /** @param {number} seed uint32, typically from hashSeed */
  constructor(seed) {
    let st = seed >>> 0;
    /** @type {number[]} */
    const s = [];
    for (let i = 0; i < 4; i++) {
      const [next, out] = splitmix32(st);
      st = next;
      s.push(out);
    }
    if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
    this.s0 = s[0]; this.s1 = s[1]; this.s2 = s[2]; this.s3 = s[3];
    /** @type {number|null} second Box-Muller value */
    this.spare = null;
  }

  /** @param {...(string|number)} parts */
  static from(...parts) {
    return new Rng(hashSeed(...parts));
  }

  /** @returns {number} uint32 (xoshiro128**) */
  nextU32() {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** @returns {number} uniform in [0, 1) */
  uniform() {
    return this.nextU32() / 4294967296;
  }

  /** @param {number} a @param {number} b @returns {number} uniform in [a, b) */
  range(a, b) {
    return a + (b - a) * this.uniform();
  }

  /** @param {number} n @returns {number} integer in [0, n) */
  int(n) {
    return Math.floor(this.uniform() * n);
  }

  /** @param {number} p */
  bernoulli(p) {
    return this.uniform() < p;
  }

  /** Standard normal by Box-Muller; the second value of each pair is kept for the next call. */
  gauss() {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    const u1 = 1 - this.uniform(); // (0, 1]: log(0) impossible
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** @param {number} mean @param {number} sigma */
  normal(mean, sigma) {
    return mean + sigma * this.gauss();
  }

  /** @param {number} mean */
  exponential(mean) {
    return -mean * Math.log(1 - this.uniform());
  }

  /** Knuth's method; fine for the small means used here. @param {number} mu */
  poisson(mu) {
    const l = Math.exp(-mu);
    let k = 0;
    let p = 1;
    do {
      k++;
      p *= this.uniform();
    } while (p > l);
    return k - 1;
  }

  /** @template T @param {readonly T[]} items @returns {T} */
  pick(items) {
    return items[this.int(items.length)];
  }

  /** @param {number} n @returns {Buffer} n random bytes */
  bytes(n) {
    const buf = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.nextU32();
      for (let j = 0; j < 4 && i + j < n; j++) buf[i + j] = (v >>> (8 * j)) & 0xff;
    }
    return buf;
  }
}

/** @param {number} x @param {number} k */
function rotl(x, k) {
  return (x << k) | (x >>> (32 - k));
}
