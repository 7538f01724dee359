// @ts-check
/** Command-line flags: `--name value` or `--name=value`; unknown flags and bad values are usage errors (exit 2). */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { InputError, UsageError } from './errors.mjs';

/**
 * @typedef {{ [name: string]: 'string'|'boolean' }} FlagSpec
 */

export class Flags {
  /**
   * @param {string} command @param {string[]} argv @param {FlagSpec} spec
   */
  constructor(command, argv, spec) {
    this.command = command;
    /** @type {Record<string, {type: 'string'|'boolean'}>} */
    const options = {};
    for (const [name, type] of Object.entries(spec)) options[name] = { type };
    try {
      const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
      if (positionals.length) throw new UsageError(`${command}: unexpected argument "${positionals[0]}"`);
      /** @type {Record<string, string|boolean|undefined>} */
      this.values = /** @type {any} */ (values);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`${command}: ${/** @type {Error} */ (err).message}`);
    }
  }

  /** @param {string} name */
  has(name) {
    return this.values[name] !== undefined;
  }

  /** @param {string} name */
  string(name) {
    const v = this.values[name];
    if (typeof v !== 'string' || v === '') throw new UsageError(`${this.command}: --${name} is required`);
    return v;
  }

  /** @param {string} name @returns {string|undefined} */
  optString(name) {
    const v = this.values[name];
    return typeof v === 'string' && v !== '' ? v : undefined;
  }

  /** @param {string} name */
  bool(name) {
    return this.values[name] === true;
  }

  /** @param {string} name @param {number} [fallback] */
  int(name, fallback) {
    const v = this.values[name];
    if (v === undefined && fallback !== undefined) return fallback;
    const n = Number(v);
    if (typeof v !== 'string' || !/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) {
      throw new UsageError(`${this.command}: --${name} needs an integer${v === undefined ? '' : `, got "${v}"`}`);
    }
    return n;
  }

  /** @param {string} name @param {number} [fallback] */
  float(name, fallback) {
    const v = this.values[name];
    if (v === undefined && fallback !== undefined) return fallback;
    const n = Number(v);
    if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) {
      throw new UsageError(`${this.command}: --${name} needs a number${v === undefined ? '' : `, got "${v}"`}`);
    }
    return n;
  }

  /** Comma-separated integers. @param {string} name @returns {number[]} */
  intList(name) {
    const v = this.optString(name);
    if (!v) return [];
    return v.split(',').filter((s) => s.trim() !== '').map((s) => {
      if (!/^-?\d+$/.test(s.trim())) throw new UsageError(`${this.command}: --${name} needs integers, got "${s}"`);
      return Number(s);
    });
  }

  /**
   * Input paths from `--input a,b,c` and/or `--input-list FILE` (one path per line, blank lines and # comments
   * ignored). At least one is required unless `allowEmpty` (an empty list file then means "no data").
   * @param {{ allowEmpty?: boolean }} [opts]
   * @returns {string[]}
   */
  inputs(opts = {}) {
    const paths = [];
    const direct = this.optString('input');
    if (direct) paths.push(...direct.split(',').map((s) => s.trim()).filter(Boolean));
    const list = this.optString('input-list');
    if (list) {
      let text;
      try {
        text = readFileSync(list, 'utf8');
      } catch {
        throw new InputError(`${list}: cannot read the input list`);
      }
      for (const line of text.split('\n')) {
        const p = line.trim();
        if (p && !p.startsWith('#')) paths.push(p);
      }
    }
    if (paths.length === 0 && !(opts.allowEmpty && list)) throw new UsageError(`${this.command}: no inputs (use --input or --input-list)`);
    return paths;
  }
}
